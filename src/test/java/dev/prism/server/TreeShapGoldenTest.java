package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.TreeShapParams;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * tree_shap on ONNX exports against the native models (tools/make_golden_trees.py): the same
 * interventional game on the same margins. The answer is the enumeration of every coalition through
 * the native model where the script made one (at most 12 features), else shap's TreeExplainer; shap
 * is not exact on every forest (the script records by how much). The xgb_*_nan models have missing
 * values (null in the files, NaN on the wire) in instances and background, routed by each split's
 * learned default; lgbm_categorical's trees are DAGs of BRANCH_EQ chains, and only the enumeration
 * answers for it.
 */
class TreeShapGoldenTest {
    private static final String[] MODELS = {"rf_binary", "gb_binary", "xgb_binary", "rf_iris", "rf_regressor",
        "et_regressor", "lgbm_regressor", "et_binary", "et_iris", "xgb_multiclass_nan", "xgb_regressor_nan",
        "lgbm_categorical", "rf_regressor_covers"};
    /** Copies of the instances in one request: enough rows that tabulating the background pays. */
    private static final int COPIES = 64;
    private static ServerTestSupport.InProcess prism;
    /** A server with no room for tables, which walks every background row. */
    private static ServerTestSupport.InProcess walking;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        String[] names = new String[MODELS.length];
        for (int i = 0; i < MODELS.length; i++) {
            names[i] = "tree_" + MODELS[i];
        }
        Path repo = ServerTestSupport.repository(dir, names);
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(repo));
        walking = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(repo)
                .withTreeShap(new ServerOptions.TreeShapSettings(2, 0)));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        prism.close();
        walking.close();
    }

    /** The rows, a missing value (null) as NaN. */
    private static double[] flat(JsonArray rows) {
        List<Double> v = new ArrayList<>();
        for (JsonElement row : rows) {
            row.getAsJsonArray().forEach(e -> v.add(e.isJsonNull() ? Double.NaN : e.getAsDouble()));
        }
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"rf_binary", "gb_binary", "xgb_binary", "rf_iris", "rf_regressor", "et_regressor",
        "lgbm_regressor", "et_binary", "et_iris", "xgb_multiclass_nan", "xgb_regressor_nan", "lgbm_categorical"})
    void agreesWithShapsTreeExplainerFromTables(String name) {
        double keptBefore = prism.registry().get("prism.tree_shap.table_cache.entries").gauge().value();
        agrees(prism, name, COPIES);
        // The request was large enough to tabulate its background, and the table was kept.
        assertEquals(keptBefore + 1, prism.registry().get("prism.tree_shap.table_cache.entries").gauge().value());
        agrees(prism, name, 1);
        assertTrue(prism.registry().get("prism.tree_shap.table_cache.hits").functionCounter().count() >= 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rf_binary", "gb_binary", "xgb_binary", "rf_iris", "rf_regressor", "et_regressor",
        "lgbm_regressor", "et_binary", "et_iris", "xgb_multiclass_nan", "xgb_regressor_nan", "lgbm_categorical"})
    void agreesWithShapsTreeExplainerByWalking(String name) {
        agrees(walking, name, COPIES);
        assertEquals(0.0, walking.registry().get("prism.tree_shap.table_cache.entries").gauge().value());
    }

    private static void agrees(ServerTestSupport.InProcess server, String name, int copies) {
        JsonObject golden = golden(name);
        agrees(server, name, copies, TreeShapParams.getDefaultInstance(),
                golden.has("exact_values") ? "exact_values" : "values", "base_values");
    }

    private static JsonObject golden(String name) {
        return JsonParser.parseString(ServerTestSupport.resource("/golden/tree_shap_" + name + ".json"))
                .getAsJsonObject();
    }

    @ParameterizedTest
    @ValueSource(strings = {"rf_binary", "gb_binary", "xgb_binary", "rf_iris", "rf_regressor", "et_regressor",
        "lgbm_regressor", "et_binary", "et_iris", "xgb_multiclass_nan", "xgb_regressor_nan"})
    void pathDependentAgreesWithShapsTreePathDependent(String name) {
        TreeShapParams path = TreeShapParams.newBuilder()
                .setFeaturePerturbation(TreeShapParams.FeaturePerturbation.FEATURE_PERTURBATION_PATH_DEPENDENT)
                .build();
        // Walking every path with its covers, on a server with no room for tables.
        agrees(walking, name, 1, path, "path_values", "path_base_values");
        // From tables of the covers: enough rows that building them pays, and they are kept.
        double kept = prism.registry().get("prism.tree_shap.table_cache.entries").gauge().value();
        agrees(prism, name, COPIES, path, "path_values", "path_base_values");
        assertEquals(kept + 1, prism.registry().get("prism.tree_shap.table_cache.entries").gauge().value());
    }

    @ParameterizedTest
    @ValueSource(strings = {"rf_binary", "gb_binary", "xgb_binary", "rf_iris", "rf_regressor", "et_regressor",
        "lgbm_regressor", "et_binary", "et_iris", "xgb_multiclass_nan", "xgb_regressor_nan"})
    void pathDependentInteractionsAgreeWithShaps(String name) {
        ExplainResponse response = agrees(prism, name, 1, TreeShapParams.newBuilder()
                .setFeaturePerturbation(TreeShapParams.FeaturePerturbation.FEATURE_PERTURBATION_PATH_DEPENDENT)
                .setInteractions(true).build(), "path_values", "path_base_values");
        JsonArray want = golden(name).getAsJsonArray("path_interaction_values");
        for (Explanation e : response.getExplanationsList()) {
            int k = response.getSummary().getOutputsList().indexOf(e.getOutput());
            JsonArray matrix = want.get(e.getInstance()).getAsJsonArray();
            int m = e.getAttributionsCount();
            double scale = 0;
            for (int a = 0; a < m; a++) {
                for (int b = 0; b < m; b++) {
                    scale = Math.max(scale, Math.abs(cell(matrix, a, b, k)));
                }
            }
            for (int a = 0; a < m; a++) {
                for (int b = 0; b < m; b++) {
                    assertEquals(cell(matrix, a, b, k), e.getInteractions(a * m + b), 1e-6 * scale,
                            name + " instance " + e.getInstance() + " " + e.getOutput() + " pair " + a + "," + b);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rf_binary", "gb_binary", "xgb_binary", "rf_iris", "rf_regressor", "et_regressor",
        "lgbm_regressor", "et_binary", "et_iris", "xgb_multiclass_nan", "xgb_regressor_nan", "lgbm_categorical"})
    void interventionalInteractionsAreSymmetricAndSumToTheValues(String name) {
        JsonObject golden = golden(name);
        ExplainResponse response = agrees(prism, name, 1, TreeShapParams.newBuilder().setInteractions(true).build(),
                golden.has("exact_values") ? "exact_values" : "values", "base_values");
        for (Explanation e : response.getExplanationsList()) {
            int m = e.getAttributionsCount();
            assertEquals(m * m, e.getInteractionsCount());
            for (int a = 0; a < m; a++) {
                double row = 0;
                for (int b = 0; b < m; b++) {
                    row += e.getInteractions(a * m + b);
                    assertEquals(e.getInteractions(a * m + b), e.getInteractions(b * m + a), 1e-12);
                }
                assertEquals(e.getAttributions(a), row, 1e-9);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void theModelsStatedCoversGiveShapsPathDependentValuesWithoutData() {
        TreeShapParams modelCovers = TreeShapParams.newBuilder()
                .setFeaturePerturbation(TreeShapParams.FeaturePerturbation.FEATURE_PERTURBATION_PATH_DEPENDENT)
                .setModelCovers(true).build();
        agrees(prism, "rf_regressor_covers", 1, modelCovers, "model_cover_values", "model_cover_base_values");
        var info = prism.models().getModel(dev.prism.api.v1.GetModelRequest.newBuilder()
                .setName("tree_rf_regressor_covers").build()).getTrees();
        assertTrue(info.getStatedCovers());
        assertEquals("", info.getStatedCoversUnusable());
        // The same forest exported as converters write it states 1.0 for every node: no covers to use.
        var plain = prism.models().getModel(dev.prism.api.v1.GetModelRequest.newBuilder()
                .setName("tree_rf_regressor").build()).getTrees();
        assertFalse(plain.getStatedCovers());
        assertTrue(plain.getStatedCoversUnusable().startsWith("every node states the same cover"),
                plain.getStatedCoversUnusable());
        JsonObject golden = golden("rf_regressor");
        ExplainRequest onPlain = ExplainRequest.newBuilder().setModel("tree_rf_regressor")
                .addInputs(ServerTestSupport.floats(1, java.util.Arrays.copyOf(flat(golden.getAsJsonArray("instances")), 10)))
                .setBackground(ServerTestSupport.floats(golden.getAsJsonArray("background").size(),
                        flat(golden.getAsJsonArray("background"))))
                .setTreeShap(modelCovers).build();
        var refused = ServerTestSupport.assertStatus(ServerTestSupport.failure(() -> prism.explain().explain(onPlain)),
                io.grpc.Status.Code.FAILED_PRECONDITION, "METHOD_UNSUPPORTED_FOR_MODEL");
        assertTrue(refused.getStatus().getDescription().contains("cannot use this model's covers: every node"),
                refused.getStatus().getDescription());
        ExplainRequest interventional = onPlain.toBuilder().setModel("tree_rf_regressor_covers")
                .setTreeShap(TreeShapParams.newBuilder().setModelCovers(true)).build();
        ServerTestSupport.assertViolation(ServerTestSupport.assertStatus(ServerTestSupport.failure(
                () -> prism.explain().explain(interventional)), io.grpc.Status.Code.INVALID_ARGUMENT,
                "INVALID_PARAMS"), "tree_shap.model_covers");
    }

    private static double cell(JsonArray matrix, int a, int b, int k) {
        return matrix.get(a).getAsJsonArray().get(b).getAsJsonArray().get(k).getAsDouble();
    }

    private static ExplainResponse agrees(ServerTestSupport.InProcess server, String name, int copies,
                                          TreeShapParams params, String valuesKey, String baseKey) {
        JsonObject golden = golden(name);
        JsonArray instances = golden.getAsJsonArray("instances");
        JsonArray background = golden.getAsJsonArray("background");
        int m = instances.get(0).getAsJsonArray().size();
        if (name.endsWith("_nan")) {
            assertTrue(Arrays.stream(flat(instances)).anyMatch(Double::isNaN), "missing values in the instances");
            assertTrue(Arrays.stream(flat(background)).anyMatch(Double::isNaN), "missing values in the background");
        }
        double[] rows = flat(instances);
        double[] copied = new double[rows.length * copies];
        for (int c = 0; c < copies; c++) {
            System.arraycopy(rows, 0, copied, c * rows.length, rows.length);
        }
        ExplainRequest request = ExplainRequest.newBuilder().setModel("tree_" + name)
                .addInputs(ServerTestSupport.floats(instances.size() * copies, copied))
                .setBackground(ServerTestSupport.floats(background.size(), flat(background)))
                .setTreeShap(params)
                .build();
        ExplainResponse response = server.explain().explain(request);
        assertEquals("tree_shap", response.getMethod());
        JsonArray values = golden.getAsJsonArray(valuesKey);
        JsonArray base = golden.getAsJsonArray(baseKey);
        int columns = base.size();
        assertEquals(instances.size() * copies * columns, response.getExplanationsCount());
        for (Explanation e : response.getExplanationsList()) {
            int k = response.getSummary().getOutputsList().indexOf(e.getOutput());
            JsonArray want = values.get(e.getInstance() % instances.size()).getAsJsonArray();
            double scale = Math.abs(base.get(k).getAsDouble());
            for (int f = 0; f < m; f++) {
                scale = Math.max(scale, Math.abs(want.get(f).getAsJsonArray().get(k).getAsDouble()));
            }
            String label = name + " instance " + e.getInstance() + " " + e.getOutput();
            assertEquals(base.get(k).getAsDouble(), e.getBaseValue(), 1e-6 * scale, label + " base");
            for (int f = 0; f < m; f++) {
                assertEquals(want.get(f).getAsJsonArray().get(k).getAsDouble(), e.getAttributions(f), 1e-6 * scale,
                        label + " feature " + f);
            }
            // Exact: the values add up to the margin of x, in double.
            assertEquals(e.getModelOutput() - e.getBaseValue(), ExplainServiceTest.sum(e.getAttributionsList()),
                    1e-9 * Math.max(1, scale), label);
            assertTrue(e.getDiagnostics().getExact());
            assertEquals(0, e.getDiagnostics().getModelEvaluations());
        }
        assertFalse(response.getPartial());
        return response;
    }
}
