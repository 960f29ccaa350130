package dev.prism.explain.tree;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.prism.model.Background;
import dev.prism.model.ModelSignature;
import dev.prism.model.OutputKind;
import dev.prism.model.trees.TreeEnsemble;
import dev.prism.onnx.trees.TreeEnsembleReader;
import dev.prism.tensor.DType;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A golden tree model of tools/make_golden_trees.py: its ONNX export read into Prism's ensemble,
 * and shap's answers on the native model.
 */
record GoldenTrees(TreeEnsemble trees, JsonObject golden, double[][] instances, Background background) {

    /** The models shap explained with a background (not lgbm_categorical, which only the enumeration answers). */
    static final List<String> MODELS = List.of("rf_binary", "gb_binary", "xgb_binary", "rf_iris", "rf_regressor",
            "et_regressor", "lgbm_regressor", "et_binary", "et_iris", "xgb_multiclass_nan", "xgb_regressor_nan");

    static GoldenTrees load(String name) {
        JsonObject golden = JsonParser.parseString(new String(resource("/golden/tree_shap_" + name + ".json"),
                StandardCharsets.UTF_8)).getAsJsonObject();
        JsonObject config = JsonParser.parseString(new String(resource("/models/tree_" + name + "/config.json"),
                StandardCharsets.UTF_8)).getAsJsonObject();
        double[][] instances = matrix(golden.getAsJsonArray("instances"));
        double[][] rows = matrix(golden.getAsJsonArray("background"));
        int m = instances[0].length;
        int columns = config.getAsJsonArray("outputNames").size();
        TensorSpec in = new TensorSpec("input", DType.FLOAT32, new long[] {-1, m});
        TensorSpec out = new TensorSpec(config.getAsJsonArray("scoreOutputs").get(0).getAsString(), DType.FLOAT32,
                new long[] {-1, columns});
        ModelSignature signature = new ModelSignature(List.of(in), List.of(out), in, List.of(out),
                IntStream.range(0, m).mapToObj(i -> "f" + i).toList(),
                IntStream.range(0, columns).mapToObj(i -> "c" + i).toList(), OutputKind.UNSPECIFIED);
        ModelProto proto;
        try {
            proto = ModelProto.parseFrom(resource("/models/tree_" + name + "/model.onnx"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TreeEnsemble trees = TreeEnsembleReader.read(proto, signature).orElseThrow();
        double[] data = new double[rows.length * m];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, data, r * m, m);
        }
        return new GoldenTrees(trees, golden, instances, Background.uniform(new RowBlock(rows.length, m, data)));
    }

    private static byte[] resource(String path) {
        try (InputStream in = GoldenTrees.class.getResourceAsStream(path)) {
            assertNotNull(in, path);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double[][] matrix(JsonArray rows) {
        double[][] out = new double[rows.size()][];
        for (int r = 0; r < out.length; r++) {
            out[r] = vector(rows.get(r).getAsJsonArray());
        }
        return out;
    }

    /** The numbers, a missing value (null) as NaN. */
    static double[] vector(JsonArray values) {
        double[] out = new double[values.size()];
        int i = 0;
        for (JsonElement e : values) {
            out[i++] = e.isJsonNull() ? Double.NaN : e.getAsDouble();
        }
        return out;
    }

    int features() {
        return instances[0].length;
    }

    /** Score columns of the export, which are shap's columns. */
    int columns() {
        return trees.outputCount();
    }

    /**
     * The score column c's share of one row of per-target numbers laid out as the export lays out
     * its margins; {@code reach} is the reach game's, the "1" of a 1 − s column.
     */
    double column(int c, double[] perTarget, double reach) {
        return switch (trees.layout()) {
            case TARGETS -> perTarget[c];
            case COMPLEMENT_PAIR -> c == 0 ? reach - perTarget[0] : perTarget[0];
            case NEGATED_PAIR -> c == 0 ? -perTarget[0] : perTarget[0];
        };
    }
}
