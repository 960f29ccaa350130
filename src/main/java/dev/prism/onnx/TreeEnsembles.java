package dev.prism.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.prism.error.PrismException;
import dev.prism.model.Background;
import dev.prism.model.Model;
import dev.prism.model.trees.ProbeRows;
import dev.prism.model.trees.TreeEnsemble;
import dev.prism.model.trees.TreeEnsembleCheck;
import dev.prism.onnx.trees.TreeEnsembleReader;
import dev.prism.onnx.graph.UnsupportedGraphException;
import dev.prism.tensor.DType;
import dev.prism.tensor.RowBlock;
import java.util.Arrays;
import java.util.Optional;

/**
 * A model's tree ensemble at load time: read from the graph, then checked against ONNX Runtime on
 * the default background (its first {@value #MAX_BACKGROUND_ROWS} rows) and on probe rows at the
 * edges of the splits. An ensemble Prism cannot read, or whose outputs differ from the runtime's,
 * leaves the model without one and says why; every other method serves the model as before.
 */
final class TreeEnsembles {
    static final int MAX_BACKGROUND_ROWS = 1000;
    static final int PROBE_ROWS = 64;
    private static final long PROBE_SEED = 0x7EE5L;

    private TreeEnsembles() {
    }

    /** The model with its ensemble settled. */
    static OnnxModel settle(OnnxModel model, ModelProto proto, Optional<Background> background) {
        Optional<TreeEnsemble> read;
        try {
            read = TreeEnsembleReader.read(proto, model.signature());
        } catch (UnsupportedGraphException e) {
            return model.withTrees(null, "Prism cannot read the model's tree ensemble: " + e.getMessage());
        }
        if (read.isEmpty()) {
            return model.withTrees(null, Model.NOT_A_TREE_ENSEMBLE);
        }
        TreeEnsemble trees = read.get();
        // The runtime sums in float32 for a float ensemble, and rounds to float32 for a float output.
        boolean float32 = trees.rounding().roundsToFloat32()
                || model.signature().scoreOutputs().get(0).dtype() == DType.FLOAT32;
        try {
            if (background.isPresent()) {
                RowBlock rows = background.get().rows();
                rows = rows.slice(0, Math.min(rows.rows(), MAX_BACKGROUND_ROWS));
                Optional<TreeEnsembleCheck.Disagreement> d = TreeEnsembleCheck.compare(trees, model, rows, float32);
                if (d.isPresent()) {
                    return model.withTrees(null, describe(d.get(), "background row " + d.get().row()));
                }
            }
            RowBlock probes = ProbeRows.of(trees, PROBE_ROWS, PROBE_SEED);
            Optional<TreeEnsembleCheck.Disagreement> d = TreeEnsembleCheck.compare(trees, model, probes, float32);
            if (d.isPresent()) {
                return model.withTrees(null, describe(d.get(), "the probe row "
                        + Arrays.toString(probes.row(d.get().row()))));
            }
        } catch (PrismException e) {
            return model.withTrees(null, "running the model to check Prism's evaluation of its tree ensemble failed: "
                    + e.getMessage());
        }
        return model.withTrees(trees, null);
    }

    private static String describe(TreeEnsembleCheck.Disagreement d, String where) {
        return "Prism's evaluation of the tree ensemble differs from ONNX Runtime's by " + d.difference()
                + " (more than " + d.tolerance() + ") on " + where + ", score column " + d.column()
                + ": Prism " + d.prism() + ", ONNX Runtime " + d.model();
    }
}
