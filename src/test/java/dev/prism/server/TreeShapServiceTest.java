package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.prism.api.v1.Baseline;
import dev.prism.api.v1.ExactShapleyParams;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.ExplicitGroups;
import dev.prism.api.v1.FeatureGroup;
import dev.prism.api.v1.FeatureGroups;
import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.LimeParams;
import dev.prism.api.v1.Link;
import dev.prism.api.v1.Method;
import dev.prism.api.v1.ModelInfo;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.PredictResponse;
import dev.prism.api.v1.Tensor;
import dev.prism.api.v1.TreeEnsembleInfo;
import dev.prism.api.v1.TreeShapParams;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tree_shap through the server: what it answers, and what it refuses. */
class TreeShapServiceTest {
    private static final double[] FLOWERS = {5.1, 3.5, 1.4, 0.2, 6.3, 2.9, 5.6, 1.8, 5.9, 3.0, 4.2, 1.5};
    private static ServerTestSupport.InProcess prism;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(
                ServerTestSupport.repository(dir, "iris", "breast_cancer", "breast_cancer_xgb",
                        "tree_xgb_regressor_nan")));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        prism.close();
    }

    private static ExplainRequest.Builder iris() {
        return ExplainRequest.newBuilder().setModel("iris").addInputs(floats(3, FLOWERS))
                .setTreeShap(TreeShapParams.getDefaultInstance());
    }

    @Test
    void onAForestOfProbabilitiesItIsExactShapleyWithoutAModelRow() {
        // iris's forest outputs averaged leaf probabilities with no transform: its margin is its output,
        // so tree_shap and the enumeration of every coalition through the model play the same game.
        ExplainResponse trees = prism.explain().explain(iris().build());
        ExplainResponse exact = prism.explain().explain(iris().setExactShapley(ExactShapleyParams.getDefaultInstance())
                .build());
        assertEquals("tree_shap", trees.getMethod());
        assertEquals(exact.getExplanationsCount(), trees.getExplanationsCount());
        for (int i = 0; i < trees.getExplanationsCount(); i++) {
            Explanation t = trees.getExplanations(i);
            Explanation e = exact.getExplanations(i);
            assertEquals(e.getOutput(), t.getOutput());
            // The model sums float32 leaf values; tree_shap sums them in double.
            assertEquals(e.getBaseValue(), t.getBaseValue(), 1e-6);
            assertEquals(e.getModelOutput(), t.getModelOutput(), 1e-6);
            for (int f = 0; f < 4; f++) {
                assertEquals(e.getAttributions(f), t.getAttributions(f), 1e-6, "instance " + t.getInstance() + " "
                        + t.getOutput() + " feature " + f);
            }
            assertEquals(0, t.getDiagnostics().getModelEvaluations());
            assertTrue(t.getDiagnostics().getExact());
            assertEquals(0, t.getStandardErrorsCount());
        }
        assertEquals(0, trees.getWarningsCount());
    }

    @Test
    void theBundledXGBoostClassifierExplainsItsLogOdds() {
        ModelInfo info = prism.models().getModel(GetModelRequest.newBuilder().setName("breast_cancer_xgb").build());
        assertTrue(info.getMethodsList().contains(Method.METHOD_TREE_SHAP), info.getMethodsList().toString());
        assertTrue(info.getUnsupportedMethodsList().stream().noneMatch(u -> u.getMethod() == Method.METHOD_TREE_SHAP));
        // As the ONNX file lists it: 100 trees, 640 leaves, 5 splits deep at most.
        assertEquals(TreeEnsembleInfo.newBuilder().setTrees(100).setLeaves(640).setMaxDepth(5)
                .setStatedCoversUnusable("the model states no covers (nodes_hitrates)").build(), info.getTrees());
        assertEquals(List.of("malignant", "benign"), info.getOutputNamesList());

        double[] rows = ServerTestSupport.backgroundRows("breast_cancer_xgb", 3);
        ExplainResponse r = prism.explain().explain(ExplainRequest.newBuilder().setModel("breast_cancer_xgb")
                .addInputs(floats(3, rows)).setTreeShap(TreeShapParams.getDefaultInstance()).build());
        PredictResponse p = prism.models().predict(PredictRequest.newBuilder().setModel("breast_cancer_xgb")
                .addInputs(floats(3, rows)).build());
        Tensor probabilities = p.getOutputsList().stream().filter(t -> t.getName().equals("probabilities"))
                .findFirst().orElseThrow();
        assertEquals(6, r.getExplanationsCount());
        for (Explanation e : r.getExplanationsList()) {
            // The margin is the log-odds of benign, laid out as [-s, s]: the logistic of each column's
            // margin is ONNX Runtime's probability of that class.
            int k = e.getOutput().equals("malignant") ? 0 : 1;
            double probability = probabilities.getDoubleData(e.getInstance() * 2 + k);
            assertEquals(probability, 1 / (1 + Math.exp(-e.getModelOutput())), 1e-6, e.getOutput());
            assertEquals(e.getModelOutput() - e.getBaseValue(), ExplainServiceTest.sum(e.getAttributionsList()), 1e-9);
            assertTrue(e.getDiagnostics().getExact());
        }
        Explanation malignant = r.getExplanations(0);
        Explanation benign = r.getExplanations(1);
        assertEquals(malignant.getInstance(), benign.getInstance());
        for (int f = 0; f < 30; f++) {
            assertEquals(-benign.getAttributions(f), malignant.getAttributions(f), 1e-12);
        }
    }

    @Test
    void aModelWithoutTreesIsAFailedPreconditionNamingWhy() {
        ExplainRequest request = ExplainRequest.newBuilder().setModel("breast_cancer")
                .addInputs(floats(1, new double[30])).setTreeShap(TreeShapParams.getDefaultInstance()).build();
        var e = assertStatus(failure(() -> prism.explain().explain(request)), Status.Code.FAILED_PRECONDITION,
                "METHOD_UNSUPPORTED_FOR_MODEL");
        assertEquals("model 'breast_cancer' cannot be explained with tree_shap: the model is not a tree ensemble",
                e.getStatus().getDescription());
    }

    @Test
    void aRequestWhoseTreeWalksPassTheServersLimitIsRefusedBeforeAnyWork() {
        // Interaction values walk each background row: 10,000 instances × 10,000 background rows × 25
        // trees = 2.5e9 walks, over max_evaluations (1e9).
        double[] rows = new double[10_000 * 4];
        ExplainRequest huge = ExplainRequest.newBuilder().setModel("iris").addInputs(floats(10_000, rows))
                .setBackground(floats(10_000, rows)).setTreeShap(TreeShapParams.newBuilder().setInteractions(true))
                .build();
        assertTrue(assertViolation(assertStatus(failure(() -> prism.explain().explain(huge)),
                Status.Code.INVALID_ARGUMENT, "BUDGET_EXCEEDED"), "inputs").contains("max_evaluations"));
        // The same request without interactions reads a table of the background: one pass over the
        // trees per row, to build it and to explain, 2 × 10,000 × 25 walks.
        assertEquals(10_000 * 3, prism.explain().explain(huge.toBuilder().setTreeShap(
                TreeShapParams.getDefaultInstance()).build()).getExplanationsCount());
        // An infinity in an instance is refused by field, as for every method and model.
        ExplainRequest inf = iris().clearInputs().addInputs(floats(1, 5.1, Double.POSITIVE_INFINITY, 1.4, 0.2)).build();
        assertViolation(assertStatus(failure(() -> prism.explain().explain(inf)), Status.Code.INVALID_ARGUMENT,
                "INVALID_TENSOR"), "inputs[0]");
        // The server keeps serving.
        assertEquals(9, prism.explain().explain(iris().build()).getExplanationsCount());
    }

    /**
     * tree_shap routes a missing value (NaN) as Prism reads the trees; exact_shapley runs every
     * coalition through ONNX Runtime, which routes it as the model says. The two agree only if both
     * send each NaN where the split's missing-value flag does, and only if exact_shapley counts a
     * feature missing in the instance but present in the background as a player.
     */
    @Test
    void missingValuesInInstancesAndBackgroundAreRoutedAsTheModelRoutesThem() {
        double nan = Double.NaN;
        // iris's forest (skl2onnx): every NaN goes to the false child.
        ExplainRequest.Builder flowers = ExplainRequest.newBuilder().setModel("iris")
                .addInputs(floats(2, 5.1, nan, 1.4, nan, nan, 2.9, 5.6, 1.8))
                .setBackground(floats(3, 5.9, 3.0, 4.2, 1.5, nan, 3.4, 1.5, nan, 6.7, 3.1, nan, 2.3));
        assertSameValues(flowers, 1e-6);
        // An XGBoost regressor trained with NaN: each split sends it the way training learned. The
        // instance and the background are the golden file's, with missing values in both.
        JsonObject golden = JsonParser.parseString(
                ServerTestSupport.resource("/golden/tree_shap_xgb_regressor_nan.json")).getAsJsonObject();
        double[] x = rows(golden.getAsJsonArray("instances"), 0, 1);
        double[] bg = rows(golden.getAsJsonArray("background"), 0, 40);
        assertTrue(Arrays.stream(x).anyMatch(Double::isNaN) && Arrays.stream(bg).anyMatch(Double::isNaN));
        ExplainRequest.Builder xgb = ExplainRequest.newBuilder().setModel("tree_xgb_regressor_nan")
                .addInputs(floats(1, x)).setBackground(floats(40, bg));
        // Progression is in the hundreds and the model sums float32 leaves: float rounding is about 1e-5.
        ExplainResponse trees = assertSameValues(xgb, 1e-4);
        JsonArray exact = golden.getAsJsonArray("exact_values").get(0).getAsJsonArray();
        for (int f = 0; f < 10; f++) {
            assertEquals(exact.get(f).getAsJsonArray().get(0).getAsDouble(),
                    trees.getExplanations(0).getAttributions(f), 1e-4, "feature " + f);
        }
    }

    /** tree_shap and exact_shapley on the request: the same values and outputs, to a tolerance. */
    private static ExplainResponse assertSameValues(ExplainRequest.Builder request, double tolerance) {
        ExplainResponse trees = prism.explain().explain(request.setTreeShap(TreeShapParams.getDefaultInstance())
                .build());
        ExplainResponse exact = prism.explain().explain(request.setExactShapley(ExactShapleyParams.getDefaultInstance())
                .build());
        assertEquals("tree_shap", trees.getMethod());
        assertEquals(exact.getExplanationsCount(), trees.getExplanationsCount());
        for (int i = 0; i < trees.getExplanationsCount(); i++) {
            Explanation t = trees.getExplanations(i);
            Explanation e = exact.getExplanations(i);
            String label = request.getModel() + " instance " + t.getInstance() + " " + t.getOutput();
            assertEquals(e.getModelOutput(), t.getModelOutput(), tolerance, label);
            assertEquals(e.getBaseValue(), t.getBaseValue(), tolerance, label);
            assertEquals(e.getAttributionsCount(), t.getAttributionsCount());
            for (int f = 0; f < t.getAttributionsCount(); f++) {
                assertEquals(e.getAttributions(f), t.getAttributions(f), tolerance, label + " feature " + f);
            }
        }
        return trees;
    }

    private static double[] rows(JsonArray rows, int from, int to) {
        List<Double> v = new ArrayList<>();
        for (int r = from; r < to; r++) {
            rows.get(r).getAsJsonArray().forEach(e -> v.add(e.isJsonNull() ? Double.NaN : e.getAsDouble()));
        }
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Test
    void missingValuesAreRefusedByFieldForAModelThatIsNoTreeEnsemble() {
        double[] instance = ServerTestSupport.backgroundRows("breast_cancer", 1);
        instance[3] = Double.NaN;
        ExplainRequest nanInstance = ExplainRequest.newBuilder().setModel("breast_cancer")
                .addInputs(floats(1, instance)).build();
        String description = assertViolation(assertStatus(failure(() -> prism.explain().explain(nanInstance)),
                Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR"), "inputs[0]");
        assertEquals("value 3 is NaN; NaN and Inf are not allowed", description);
        ExplainRequest nanBackground = ExplainRequest.newBuilder().setModel("breast_cancer")
                .addInputs(floats(1, ServerTestSupport.backgroundRows("breast_cancer", 1)))
                .setBackground(floats(1, instance)).build();
        assertViolation(assertStatus(failure(() -> prism.explain().explain(nanBackground)),
                Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR"), "background");
        assertViolation(assertStatus(failure(() -> prism.models().predict(PredictRequest.newBuilder()
                .setModel("breast_cancer").addInputs(floats(1, instance)).build())), Status.Code.INVALID_ARGUMENT,
                "INVALID_TENSOR"), "inputs[0]");
        // The forest predicts a row with a missing value: ONNX Runtime's answer, NaN sent to the false child.
        PredictResponse forest = prism.models().predict(PredictRequest.newBuilder().setModel("iris")
                .addInputs(floats(1, 5.1, Double.NaN, 1.4, 0.2)).build());
        Tensor p = forest.getOutputsList().stream().filter(t -> t.getName().equals("probabilities")).findFirst()
                .orElseThrow();
        assertEquals(1, p.getDoubleDataList().stream().mapToDouble(Double::doubleValue).sum(), 1e-6);
    }

    @Test
    void tabularLimeRefusesAMissingValueByField() {
        ExplainRequest lime = iris().setLime(LimeParams.getDefaultInstance()).clearInputs()
                .addInputs(floats(1, 5.1, Double.NaN, 1.4, 0.2)).build();
        assertTrue(assertViolation(assertStatus(failure(() -> prism.explain().explain(lime)),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "inputs").startsWith("row 0 column 1 is NaN"));
        ExplainRequest limeBackground = iris().setLime(LimeParams.getDefaultInstance())
                .setBackground(floats(2, 5.9, 3.0, 4.2, 1.5, 6.7, 3.1, Double.NaN, 2.3)).build();
        assertTrue(assertViolation(assertStatus(failure(() -> prism.explain().explain(limeBackground)),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "background").startsWith("row 1 column 2 is NaN"));
    }

    @Test
    void whatItDoesNotTakeIsRefusedByField() {
        ExplainRequest groups = iris().setFeatureGroups(FeatureGroups.newBuilder().setExplicit(ExplicitGroups
                .newBuilder().addGroups(FeatureGroup.newBuilder().setName("sepal").addElements(0)
                        .addElements(1)))).build();
        assertTrue(assertViolation(assertStatus(failure(() -> prism.explain().explain(groups)),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "feature_groups").startsWith("tree_shap explains"));
        ExplainRequest logit = iris().setLink(Link.LINK_LOGIT).build();
        assertViolation(assertStatus(failure(() -> prism.explain().explain(logit)), Status.Code.INVALID_ARGUMENT,
                "INVALID_PARAMS"), "link");
        ExplainRequest baseline = iris().setBaseline(Baseline.newBuilder().setConstant(0)).build();
        assertTrue(assertViolation(assertStatus(failure(() -> prism.explain().explain(baseline)),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "baseline").startsWith("tree_shap averages over"));
        ExplainRequest budget = iris().setTimeBudget(com.google.protobuf.Duration.newBuilder().setSeconds(1)).build();
        assertTrue(assertViolation(assertStatus(failure(() -> prism.explain().explain(budget)),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "time_budget").startsWith("tree_shap is exact"));
    }
}
