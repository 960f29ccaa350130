package dev.prism.onnx.trees;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.prism.model.Model;
import dev.prism.model.RowBatch;
import dev.prism.model.trees.OutputStep;
import dev.prism.model.trees.OutputTransform;
import dev.prism.model.trees.ProbeRows;
import dev.prism.model.trees.ScoreLayout;
import dev.prism.model.trees.SplitMode;
import dev.prism.model.trees.TreeEnsemble;
import dev.prism.onnx.OnnxModelLoader;
import dev.prism.repository.ModelSettings;
import dev.prism.tensor.RowBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The converters' tree models (tools/make_tree_models.py): Prism reads each, and its own
 * evaluation equals ONNX Runtime's on random rows with NaN and on rows at the edges of the splits.
 */
class ConvertedTreeModelsTest {
    private static final Path DIR = Path.of("src/test/resources/models/trees");
    private static final OnnxModelLoader LOADER = new OnnxModelLoader(1);

    /** Score columns within float32 rounding of ONNX Runtime's (small ensembles: no summation drift). */
    static void assertSameOutputs(TreeEnsemble trees, Model model, RowBlock rows, String what) {
        RowBlock ort = model.run(RowBatch.of(rows));
        for (int r = 0; r < rows.rows(); r++) {
            double[] prism = trees.outputs(rows.row(r));
            assertEquals(ort.width(), prism.length);
            for (int j = 0; j < prism.length; j++) {
                double o = ort.get(r, j);
                assertEquals(o, prism[j], 1e-5 * Math.abs(o) + 1e-6, what + " row " + r + " column " + j);
            }
        }
    }

    /** Normal values scaled 1.5, NaN at the given rate; a categorical column holds codes 0..6. */
    static RowBlock randomRows(int rows, int features, double nanRate, int categorical, long seed) {
        Random random = new Random(seed);
        double[] data = new double[rows * features];
        for (int i = 0; i < data.length; i++) {
            data[i] = random.nextDouble() < nanRate ? Double.NaN
                    : i % features == categorical ? random.nextInt(7) : 1.5 * random.nextGaussian();
        }
        return new RowBlock(rows, features, data);
    }

    private static long leafNodes(ModelProto proto) {
        long leaves = 0;
        for (NodeProto n : proto.getGraph().getNodeList()) {
            for (AttributeProto a : n.getAttributeList()) {
                if (a.getName().equals("nodes_modes")) {
                    leaves += a.getStringsList().stream().filter(s -> s.toStringUtf8().equals("LEAF")).count();
                }
            }
        }
        return leaves;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // model, trees, max depth, layout, transform, tail
        "rf_binary, 6, 4, COMPLEMENT_PAIR, NONE, ''",
        "rf_multiclass, 6, 4, TARGETS, NONE, ''",
        "rf_regressor, 6, 4, TARGETS, NONE, ''",
        "extra_trees_regressor, 6, 4, TARGETS, NONE, ''",
        "gb_binary, 8, 3, NEGATED_PAIR, LOGISTIC, ''",
        "gb_multiclass, 15, 3, TARGETS, SOFTMAX, ''",
        "gb_exponential, 8, 3, NEGATED_PAIR, NONE, '[MUL[2.0], SIGMOID]'",
        "hgb_nan, 8, 3, NEGATED_PAIR, LOGISTIC, ''",
        "xgb_binary_nan, 8, 3, NEGATED_PAIR, LOGISTIC, ''",
        "xgb_multiclass_nan, 24, 3, TARGETS, SOFTMAX, ''",
        "xgb_regressor_nan, 8, 3, TARGETS, NONE, ''",
        "xgb_poisson, 8, 3, TARGETS, NONE, '[EXP, MUL[1.002500057220459]]'",
        "lgbm_categorical, 8, -1, TARGETS, NONE, ''",
        "lgbm_categorical_binary, 8, -1, NEGATED_PAIR, LOGISTIC, '[MUL[1.0]]'",
    })
    void prismEvaluatesTheConvertedModelAsOnnxRuntimeDoes(String name, int treeCount, int maxDepth,
                                                          ScoreLayout layout, OutputTransform transform,
                                                          String tail) throws IOException {
        Path file = DIR.resolve(name + ".onnx");
        try (Model model = LOADER.load(file, ModelSettings.DEFAULTS, "cpu")) {
            assertEquals(Optional.empty(), model.treesUnsupported());
            TreeEnsemble trees = model.trees().orElseThrow();
            assertEquals(treeCount, trees.treeCount());
            assertEquals(layout, trees.layout());
            assertEquals(transform, trees.transform());
            assertEquals(tail, tail.isEmpty() ? "" : trees.tail().stream().map(OutputStep::toString).toList().toString());
            if (tail.isEmpty()) {
                assertEquals(List.of(), trees.tail());
            }
            ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(file));
            assertEquals(leafNodes(proto), trees.leafCount(), "every leaf node is reachable and counted once");
            int categorical = name.startsWith("lgbm") ? 4 : -1;
            if (maxDepth >= 0) {
                assertEquals(maxDepth, trees.maxDepth());
            } else {
                // Categorical splits are chains of EQ nodes sharing their true child: DAGs, deeper
                // than the leaf count of a binary tree allows.
                assertTrue(sharedChildren(trees) > 0, "EQ chains share children");
                assertTrue(trees.maxDepth() > 3, "EQ chains add depth: " + trees.maxDepth());
            }
            RowBlock random = randomRows(300, 5, 0.1, categorical, name.hashCode());
            assertSameOutputs(trees, model, random, name + " random rows");
            assertSameOutputs(trees, model, ProbeRows.of(trees, 300, 7), name + " rows at the splits");
        }
    }

    /** Nodes reached from more than one parent. */
    private static int sharedChildren(TreeEnsemble trees) {
        int[] parents = new int[trees.nodeCount()];
        for (int n = 0; n < trees.nodeCount(); n++) {
            if (!trees.isLeaf(n)) {
                parents[trees.trueChild(n)]++;
                if (trees.falseChild(n) != trees.trueChild(n)) {
                    parents[trees.falseChild(n)]++;
                }
            }
        }
        int shared = 0;
        for (int p : parents) {
            shared += p > 1 ? 1 : 0;
        }
        return shared;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"xgb_binary_nan, LT", "rf_binary, LEQ", "lgbm_categorical, EQ"})
    void theConvertersSplitModesAreRead(String name, SplitMode mode) {
        try (Model model = LOADER.load(DIR.resolve(name + ".onnx"), ModelSettings.DEFAULTS, "cpu")) {
            TreeEnsemble trees = model.trees().orElseThrow();
            boolean found = false;
            for (int n = 0; n < trees.nodeCount(); n++) {
                found |= !trees.isLeaf(n) && trees.mode(n) == mode;
            }
            assertTrue(found, name + " has " + mode + " splits");
        }
    }
}
