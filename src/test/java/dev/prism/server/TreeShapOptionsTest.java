package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
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
import dev.prism.api.v1.ResponseFormat;
import dev.prism.api.v1.Tensor;
import dev.prism.api.v1.TreeShapParams;
import dev.prism.api.v1.TreeShapParams.FeaturePerturbation;
import dev.prism.api.v1.TreeShapParams.Output;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tree_shap's options through the server: rescaled outputs, interaction tensors, and refusals. */
class TreeShapOptionsTest {
    private static ServerTestSupport.InProcess prism;
    private static double[][] rows;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(
                ServerTestSupport.repository(dir, "tree_xgb_binary", "tree_rf_iris", "tree_xgb_multiclass_nan",
                "iris")));
        JsonObject golden = JsonParser.parseString(ServerTestSupport.resource("/golden/tree_shap_xgb_binary.json"))
                .getAsJsonObject();
        List<double[]> r = new ArrayList<>();
        for (JsonArray a : List.of(golden.getAsJsonArray("instances"), golden.getAsJsonArray("background"))) {
            for (JsonElement row : a) {
                r.add(toArray(row.getAsJsonArray()));
            }
        }
        rows = r.toArray(double[][]::new);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        prism.close();
    }

    private static double[] toArray(JsonArray a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsDouble();
        }
        return v;
    }

    private static Tensor tensor(double[]... r) {
        double[] flat = new double[r.length * r[0].length];
        for (int i = 0; i < r.length; i++) {
            System.arraycopy(r[i], 0, flat, i * r[0].length, r[0].length);
        }
        return floats(r.length, flat);
    }

    private static ExplainRequest.Builder xgb(TreeShapParams params, double[][] instances, double[][] background) {
        return ExplainRequest.newBuilder().setModel("tree_xgb_binary").addInputs(tensor(instances))
                .setBackground(tensor(background)).setTreeShap(params).addOutputs("benign");
    }

    private static double sigmoid(double m) {
        return 1 / (1 + Math.exp(-m));
    }

    @Test
    void rescaledIsEachRowsMarginValuesScaledByTheOutputsChangeOverTheMargins() {
        double[][] instances = Arrays.copyOfRange(rows, 0, 3);
        double[][] background = Arrays.copyOfRange(rows, 8, 14);
        ExplainResponse rescaled = prism.explain().explain(xgb(TreeShapParams.newBuilder()
                .setOutput(Output.OUTPUT_RESCALED).build(), instances, background).build());
        assertEquals(1, rescaled.getWarningsCount());
        assertEquals("RESCALED_OUTPUT", rescaled.getWarnings(0).getCode());
        int m = instances[0].length;
        for (Explanation e : rescaled.getExplanationsList()) {
            double[] want = new double[m];
            double meanF = 0;
            double mx = Double.NaN;
            for (double[] r : background) {
                // The margin values of x against r alone, from tree_shap itself.
                Explanation one = prism.explain().explain(xgb(TreeShapParams.getDefaultInstance(),
                        new double[][] {instances[e.getInstance()]}, new double[][] {r}).build()).getExplanations(0);
                mx = one.getModelOutput();
                double mr = one.getBaseValue();
                // Where the margins agree the ratio is the sigmoid's slope there.
                double ratio = mx == mr ? sigmoid(mx) * (1 - sigmoid(mx)) : (sigmoid(mx) - sigmoid(mr)) / (mx - mr);
                for (int f = 0; f < m; f++) {
                    want[f] += one.getAttributions(f) * ratio / background.length;
                }
                meanF += sigmoid(mr) / background.length;
            }
            assertEquals(sigmoid(mx), e.getModelOutput(), 1e-9);
            assertEquals(meanF, e.getBaseValue(), 1e-9);
            for (int f = 0; f < m; f++) {
                assertEquals(want[f], e.getAttributions(f), 1e-9, "instance " + e.getInstance() + " feature " + f);
            }
            assertEquals(e.getModelOutput() - e.getBaseValue(), ExplainServiceTest.sum(e.getAttributionsList()), 1e-9);
            assertFalse(e.getDiagnostics().getExact());
        }
    }

    @Test
    void compactResponsesCarryTheInteractionsAsOneTensor() {
        double[][] instances = Arrays.copyOfRange(rows, 0, 2);
        double[][] background = Arrays.copyOfRange(rows, 8, 20);
        TreeShapParams params = TreeShapParams.newBuilder().setInteractions(true).build();
        ExplainResponse full = prism.explain().explain(xgb(params, instances, background).clearOutputs().build());
        ExplainResponse compact = prism.explain().explain(xgb(params, instances, background).clearOutputs()
                .setFormat(ResponseFormat.FORMAT_COMPACT).build());
        Tensor t = compact.getSummary().getInteractions();
        int m = instances[0].length;
        assertEquals(List.of(2L, (long) m, (long) m, 2L), t.getShapeList());
        for (Explanation e : full.getExplanationsList()) {
            int k = full.getSummary().getOutputsList().indexOf(e.getOutput());
            for (int ab = 0; ab < m * m; ab++) {
                assertEquals(e.getInteractions(ab), t.getDoubleData((e.getInstance() * m * m + ab) * 2 + k),
                        0, e.getOutput() + " pair " + ab);
            }
        }
        // Without interactions there is no tensor.
        ExplainResponse plain = prism.explain().explain(xgb(TreeShapParams.getDefaultInstance(), instances, background)
                .setFormat(ResponseFormat.FORMAT_COMPACT).build());
        assertFalse(plain.getSummary().hasInteractions());
    }

    @Test
    void combinationsThatHaveNoMeaningAreRefusedByField() {
        double[][] one = {rows[0]};
        double[][] background = Arrays.copyOfRange(rows, 8, 12);
        ExplainRequest pathRescaled = xgb(TreeShapParams.newBuilder().setOutput(Output.OUTPUT_RESCALED)
                .setFeaturePerturbation(FeaturePerturbation.FEATURE_PERTURBATION_PATH_DEPENDENT).build(), one,
                background).build();
        assertTrue(assertViolation(assertStatus(failure(() -> prism.explain().explain(pathRescaled)),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "tree_shap.output").contains("interventional"));
        ExplainRequest rescaledPairs = xgb(TreeShapParams.newBuilder().setOutput(Output.OUTPUT_RESCALED)
                .setInteractions(true).build(), one, background).build();
        assertViolation(assertStatus(failure(() -> prism.explain().explain(rescaledPairs)),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "tree_shap.interactions");
        ExplainRequest unknown = xgb(TreeShapParams.newBuilder().setFeaturePerturbationValue(7).build(), one,
                background).build();
        assertTrue(assertViolation(assertStatus(failure(() -> prism.explain().explain(unknown)),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "tree_shap.feature_perturbation").contains("7"));
        ExplainRequest unknownOutput = xgb(TreeShapParams.newBuilder().setOutputValue(9).build(), one, background)
                .build();
        assertViolation(assertStatus(failure(() -> prism.explain().explain(unknownOutput)),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "tree_shap.output");
        // A softmax mixes every margin into each output: there is no one margin to rescale.
        ExplainRequest softmax = ExplainRequest.newBuilder().setModel("tree_xgb_multiclass_nan")
                .addInputs(floats(1, 5.1, 3.5, 1.4, 0.2)).setBackground(floats(1, 6.3, 2.9, 5.6, 1.8))
                .setTreeShap(TreeShapParams.newBuilder().setOutput(Output.OUTPUT_RESCALED)).build();
        var refused = assertStatus(failure(() -> prism.explain().explain(softmax)), Status.Code.FAILED_PRECONDITION,
                "METHOD_UNSUPPORTED_FOR_MODEL");
        assertTrue(refused.getStatus().getDescription().contains("SOFTMAX mixes 3 margins"),
                refused.getStatus().getDescription());
        // The server keeps serving.
        assertEquals(1, prism.explain().explain(xgb(TreeShapParams.getDefaultInstance(), one, background).build())
                .getExplanationsCount());
    }

    @Test
    void autoRunsTreeShapWhereTheOutputIsLinearInTheLeavesAndSaysSo() {
        double[] flowers = {5.1, 3.5, 1.4, 0.2, 6.3, 2.9, 5.6, 1.8};
        double[] background = {5.0, 3.4, 1.5, 0.2, 6.7, 3.1, 4.4, 1.4, 6.5, 3.0, 5.2, 2.0};
        ExplainRequest.Builder forest = ExplainRequest.newBuilder().setModel("tree_rf_iris")
                .addInputs(floats(2, flowers)).setBackground(floats(3, background));
        ExplainResponse auto = prism.explain().explain(forest.build());
        ExplainResponse exact = prism.explain().explain(forest.setExactShapley(
                dev.prism.api.v1.ExactShapleyParams.getDefaultInstance()).build());
        assertEquals("tree_shap", auto.getMethod());
        for (int i = 0; i < auto.getExplanationsCount(); i++) {
            assertEquals(0, auto.getExplanations(i).getDiagnostics().getModelEvaluations());
            for (int f = 0; f < 4; f++) {
                // The model sums float32 leaf values; tree_shap sums them in double.
                assertEquals(exact.getExplanations(i).getAttributions(f), auto.getExplanations(i).getAttributions(f),
                        1e-6);
            }
        }
        // A baseline asks for the baseline game of the model's own method choice.
        ExplainResponse baseline = prism.explain().explain(forest.clearMethod().clearBackground()
                .setBaseline(dev.prism.api.v1.Baseline.newBuilder().setConstant(0)).build());
        assertEquals("exact_shapley", baseline.getMethod());
        // A logistic output is not linear in the leaves: auto enumerates coalitions through the model.
        ExplainResponse logistic = prism.explain().explain(xgb(TreeShapParams.getDefaultInstance(),
                new double[][] {rows[0]}, Arrays.copyOfRange(rows, 8, 10)).clearMethod().build());
        assertEquals("kernel_shap", logistic.getMethod());
    }

    @Test
    void theDefaultBackgroundIsTabulatedOnceAndItsTableServesEveryLaterRequest() {
        double entries = prism.registry().get("prism.tree_shap.table_cache.entries").gauge().value();
        double hits = prism.registry().get("prism.tree_shap.table_cache.hits").functionCounter().count();
        ExplainRequest one = ExplainRequest.newBuilder().setModel("iris").addInputs(floats(1, 5.1, 3.5, 1.4, 0.2))
                .setTreeShap(TreeShapParams.getDefaultInstance()).build();
        ExplainResponse first = prism.explain().explain(one);
        assertEquals(entries + 1, prism.registry().get("prism.tree_shap.table_cache.entries").gauge().value());
        assertTrue(prism.registry().get("prism.tree_shap.table_cache").gauge().value() > 0);
        ExplainResponse second = prism.explain().explain(one);
        assertEquals(hits + 1, prism.registry().get("prism.tree_shap.table_cache.hits").functionCounter().count());
        for (int i = 0; i < first.getExplanationsCount(); i++) {
            assertEquals(first.getExplanations(i).getAttributionsList(), second.getExplanations(i).getAttributionsList());
            assertEquals(first.getExplanations(i).getBaseValue(), second.getExplanations(i).getBaseValue());
        }
    }

    @Test
    void rescalingAForestWithoutATransformGivesItsMarginValues() {
        // iris's forest has no transform: each output is its margin, so the ratio is 1 for every row.
        double[] flowers = {5.1, 3.5, 1.4, 0.2, 6.3, 2.9, 5.6, 1.8};
        double[] background = {5.0, 3.4, 1.5, 0.2, 6.7, 3.1, 4.4, 1.4, 6.5, 3.0, 5.2, 2.0};
        ExplainRequest.Builder r = ExplainRequest.newBuilder().setModel("tree_rf_iris").addInputs(floats(2, flowers))
                .setBackground(floats(3, background));
        ExplainResponse margin = prism.explain().explain(r.setTreeShap(TreeShapParams.getDefaultInstance()).build());
        ExplainResponse rescaled = prism.explain().explain(r.setTreeShap(TreeShapParams.newBuilder()
                .setOutput(Output.OUTPUT_RESCALED)).build());
        for (int i = 0; i < margin.getExplanationsCount(); i++) {
            Explanation a = margin.getExplanations(i);
            Explanation b = rescaled.getExplanations(i);
            assertEquals(a.getBaseValue(), b.getBaseValue(), 1e-9);
            for (int f = 0; f < 4; f++) {
                assertEquals(a.getAttributions(f), b.getAttributions(f), 1e-9);
            }
        }
    }
}
