package dev.prism.onnx;

import static dev.prism.onnx.trees.OnnxTrees.FLOAT;
import static dev.prism.onnx.trees.OnnxTrees.ML;
import static dev.prism.onnx.trees.OnnxTrees.floats;
import static dev.prism.onnx.trees.OnnxTrees.integer;
import static dev.prism.onnx.trees.OnnxTrees.ints;
import static dev.prism.onnx.trees.OnnxTrees.model;
import static dev.prism.onnx.trees.OnnxTrees.node;
import static dev.prism.onnx.trees.OnnxTrees.strings;
import static dev.prism.onnx.trees.OnnxTrees.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.prism.model.Background;
import dev.prism.model.Model;
import dev.prism.repository.ModelSettings;
import dev.prism.tensor.RowBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load-time check: an ensemble whose evaluation differs from ONNX Runtime's is left out, naming
 * the background row (or probe row) where they first differ. The disagreement is made by reading
 * the ensemble from a graph whose right leaf differs from the one the runtime runs.
 */
class TreeEnsemblesTest {
    @TempDir
    Path dir;

    /** x0 <= 0.5 ? 1 : right. */
    private static ModelProto stump(double right) {
        return model(1, List.of(node("TreeEnsembleRegressor", ML, "trees", List.of("x"), List.of("y"),
                ints("nodes_treeids", 0, 0, 0), ints("nodes_nodeids", 0, 1, 2), ints("nodes_featureids", 0, 0, 0),
                floats("nodes_values", 0.5, 0, 0), strings("nodes_modes", "BRANCH_LEQ", "LEAF", "LEAF"),
                ints("nodes_truenodeids", 1, 0, 0), ints("nodes_falsenodeids", 2, 0, 0),
                ints("target_treeids", 0, 0), ints("target_nodeids", 1, 2), ints("target_ids", 0, 0),
                floats("target_weights", 1, right), integer("n_targets", 1))),
                List.of(), value("x", FLOAT, -1, 1), value("y", FLOAT, -1, 1));
    }

    private OnnxModel load(ModelProto proto) throws IOException {
        Path file = dir.resolve("model.onnx");
        Files.write(file, proto.toByteArray());
        return (OnnxModel) new OnnxModelLoader(1).load(file, ModelSettings.DEFAULTS, "cpu");
    }

    @Test
    void theFirstBackgroundRowWhereTheyDifferIsNamed() throws IOException {
        try (OnnxModel model = load(stump(2))) {
            assertTrue(model.trees().isPresent(), "the runtime and Prism read the same graph");
            Background background = Background.uniform(new RowBlock(3, 1, new double[] {0, 0.25, 0.75}));
            Model checked = TreeEnsembles.settle(model, stump(2.5), Optional.of(background));
            assertTrue(checked.trees().isEmpty());
            assertEquals("Prism's evaluation of the tree ensemble differs from ONNX Runtime's by 0.5 (more than "
                    + (1e-5 * 2 + 1e-6 + 2 * 0x1p-24 * 2.5) + ") on background row 2, score column 0: Prism 2.5, "
                    + "ONNX Runtime 2.0", checked.treesUnsupported().orElseThrow());
            // Rows on the left only agree; the probe rows at the split then find the difference.
            Background left = Background.uniform(new RowBlock(2, 1, new double[] {0, 0.25}));
            String reason = TreeEnsembles.settle(model, stump(2.5), Optional.of(left)).treesUnsupported().orElseThrow();
            assertTrue(reason.contains(" on the probe row ["), reason);
            assertEquals(Optional.empty(), TreeEnsembles.settle(model, stump(2), Optional.of(background))
                    .treesUnsupported());
        }
    }
}
