package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.backgroundRows;
import static dev.prism.server.ServerTestSupport.counter;
import static dev.prism.server.ServerTestSupport.eventually;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static dev.prism.server.ServerTestSupport.gauge;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ComplexityParams;
import dev.prism.api.v1.Curve;
import dev.prism.api.v1.DeletionParams;
import dev.prism.api.v1.EvaluationParams;
import dev.prism.api.v1.ExactShapleyParams;
import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.InfidelityParams;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.Progress;
import dev.prism.api.v1.ResponseFormat;
import dev.prism.api.v1.SaliencyParams;
import dev.prism.api.v1.SensitivityParams;
import dev.prism.api.v1.TreeShapParams;
import dev.prism.explain.evaluation.Infidelity;
import dev.prism.explain.evaluation.Perturbation;
import dev.prism.explain.evaluation.Perturbations;
import dev.prism.explain.evaluation.RankStability;
import dev.prism.explain.evaluation.SensitivityMax;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Explain with {@code evaluate}: the metrics against closed forms and the algorithms called directly. */
class EvaluationServiceTest {
    @TempDir
    static Path dir;
    static ServerTestSupport.InProcess prism;

    @BeforeAll
    static void start() throws Exception {
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(
                ServerTestSupport.repository(dir, "iris", "linear", "tree_rf_binary")));
    }

    @AfterAll
    static void stop() throws Exception {
        prism.close();
    }

    /**
     * Exact Shapley values of a linear model against a weighted background are φ_i = w_i(x_i − μ_i),
     * so removing the top k features (by φ) leaves f(x) − Σ_{top k} φ_i and putting them back onto
     * the background gives E f + Σ_{top k} φ_i, whatever the rows of the background.
     */
    @Test
    void linearDeletionCurveAndComplexityHaveTheirClosedForms() {
        double[][] bg = {{0, 0, 0, 0, 0}, {1, -1, 0.5, 2, -0.5}, {-2, 0.25, 1, -1, 1.5}};
        double[] pi = {1 / 8.0, 2 / 8.0, 5 / 8.0};
        double[][] x = {{1.5, 2, -0.5, 3, 0.25}, {-1, 0.75, 2.5, -4, 2}};
        double[] w = new double[5];
        double b = ModelServiceTest.linear(new double[][] {new double[5]})[0];
        double[] mu = new double[5];
        for (int i = 0; i < 5; i++) {
            double[] unit = new double[5];
            unit[i] = 1;
            w[i] = ModelServiceTest.linear(new double[][] {unit})[0] - b;
            for (int r = 0; r < 3; r++) {
                mu[i] += pi[r] * bg[r][i];
            }
        }
        MeterRegistry registry = prism.registry();
        List<String> meters = List.of("prism.explanation.deletion.area", "prism.explanation.insertion.area");
        List<String> histograms = List.of("prism_explanation_entropy", "prism_explanation_effective_features",
                "prism_explanation_deletion_area_normalized", "prism_explanation_insertion_area_normalized");
        long[] before = meters.stream().mapToLong(m -> count(registry, m, "linear")).toArray();
        long[] histogramsBefore = histograms.stream().mapToLong(h -> ServerTestSupport.histogramCount(registry, h,
                "linear", "exact_shapley")).toArray();
        java.util.SortedMap<Double, Long> bucketsBefore = ServerTestSupport.histogram(registry,
                "prism_explanation_deletion_area_normalized", "linear", "exact_shapley");
        ExplainResponse r = prism.explain().explain(ExplainRequest.newBuilder().setModel("linear")
                .addInputs(floats(2, ModelServiceTest.flatten(x)))
                .setBackground(floats(3, ModelServiceTest.flatten(bg)))
                .addBackgroundWeights(1).addBackgroundWeights(2).addBackgroundWeights(5)
                .setExactShapley(ExactShapleyParams.getDefaultInstance())
                .setEvaluate(EvaluationParams.newBuilder().setDeletion(DeletionParams.getDefaultInstance())
                        .setComplexity(ComplexityParams.getDefaultInstance()))
                .build());

        for (int n = 0; n < 2; n++) {
            Explanation e = r.getExplanations(n);
            double[] phi = new double[5];
            for (int i = 0; i < 5; i++) {
                phi[i] = w[i] * (x[n][i] - mu[i]);
            }
            Integer[] byPhi = {0, 1, 2, 3, 4};
            Arrays.sort(byPhi, (p, q) -> phi[p] != phi[q] ? Double.compare(phi[q], phi[p]) : Integer.compare(p, q));
            double fx = ModelServiceTest.linear(new double[][] {x[n]})[0];
            double ef = b;
            for (int i = 0; i < 5; i++) {
                ef += w[i] * mu[i];
            }
            double[] deletion = new double[6];
            double[] insertion = new double[6];
            deletion[0] = fx;
            insertion[0] = ef;
            for (int k = 1; k <= 5; k++) {
                deletion[k] = deletion[k - 1] - phi[byPhi[k - 1]];
                insertion[k] = insertion[k - 1] + phi[byPhi[k - 1]];
            }
            Curve del = e.getEvaluation().getDeletion();
            Curve ins = e.getEvaluation().getInsertion();
            assertEquals(Arrays.asList(byPhi), del.getOrderList(), "features by decreasing φ");
            assertEquals(List.of(0, 1, 2, 3, 4, 5), del.getMovedList());
            assertCurve(deletion, del);
            assertCurve(insertion, ins);
            assertEquals(trapezoid(deletion), del.getArea(), 1e-4);
            assertEquals(trapezoid(insertion), ins.getArea(), 1e-4);
            // Normalised: both curves rescaled by their common range to [0, 1].
            double low = Math.min(Arrays.stream(deletion).min().getAsDouble(), Arrays.stream(insertion).min().getAsDouble());
            double high = Math.max(Arrays.stream(deletion).max().getAsDouble(),
                    Arrays.stream(insertion).max().getAsDouble());
            assertEquals((trapezoid(deletion) - low) / (high - low), del.getNormalizedArea(), 1e-5);
            assertEquals((trapezoid(insertion) - low) / (high - low), ins.getNormalizedArea(), 1e-5);
            assertTrue(del.getNormalizedArea() < ins.getNormalizedArea(), "exact Shapley values of an additive model");

            double total = 0;
            double[] magnitudes = new double[5];
            for (int i = 0; i < 5; i++) {
                magnitudes[i] = Math.abs(e.getAttributions(i));
                total += magnitudes[i];
            }
            double entropy = 0;
            for (double m : magnitudes) {
                entropy -= m == 0 ? 0 : m / total * Math.log(m / total);
            }
            Arrays.sort(magnitudes);
            int needed = 0;
            for (double sum = 0; sum < 0.9 * total; needed++) {
                sum += magnitudes[4 - needed];
            }
            assertEquals(entropy, e.getEvaluation().getComplexity().getEntropy(), 1e-12);
            assertEquals(needed, e.getEvaluation().getComplexity().getEffectiveFeatures());
            assertEquals(0.9, e.getEvaluation().getComplexity().getFraction());
            assertFalse(e.getEvaluation().hasInfidelity(), "not asked for");
            assertFalse(e.getEvaluation().hasSensitivity(), "not asked for");
        }

        // A summary records values >= 0 only: an area below zero (this regression's outputs go negative) is left
        // out; the histograms record every value.
        long[] recorded = {
            r.getExplanationsList().stream().filter(e -> e.getEvaluation().getDeletion().getArea() >= 0).count(),
            r.getExplanationsList().stream().filter(e -> e.getEvaluation().getInsertion().getArea() >= 0).count()};
        for (int m = 0; m < meters.size(); m++) {
            assertEquals(recorded[m], count(registry, meters.get(m), "linear") - before[m], meters.get(m));
        }
        for (int h = 0; h < histograms.size(); h++) {
            assertEquals(2, ServerTestSupport.histogramCount(registry, histograms.get(h), "linear", "exact_shapley")
                    - histogramsBefore[h], histograms.get(h));
        }
        assertEquals(0, ServerTestSupport.histogramCount(registry, "prism_explanation_sensitivity_max", "linear",
                "exact_shapley"), "a metric never computed for the model has no series");
        // Each bucket counts the values at or below it.
        java.util.SortedMap<Double, Long> bucketsAfter = ServerTestSupport.histogram(registry,
                "prism_explanation_deletion_area_normalized", "linear", "exact_shapley");
        assertEquals(11, bucketsAfter.size(), "ten bounds and +Inf");
        for (var bucket : bucketsAfter.entrySet()) {
            long expected = r.getExplanationsList().stream().filter(e -> e.getEvaluation().getDeletion()
                    .getNormalizedArea() <= bucket.getKey()).count();
            assertEquals(expected, bucket.getValue() - bucketsBefore.getOrDefault(bucket.getKey(), 0L),
                    "bucket " + bucket.getKey());
        }
        assertTrue(bucketsAfter.get(0.2) - bucketsBefore.getOrDefault(0.2, 0L) == 1, "the areas are 0.18 and 0.25");
    }

    /** Infidelity and sensitivity through the server equal the algorithms given the same model outputs. */
    @Test
    void irisInfidelityAndSensitivityEqualTheAlgorithms() {
        int n = 2;
        double[] flat = backgroundRows("iris", n);
        double[][] x = new double[n][4];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 4; j++) {
                x[i][j] = (float) flat[i * 4 + j];
            }
        }
        long seed = 7;
        ExplainResponse r = prism.explain().explain(iris(x).setEvaluate(EvaluationParams.newBuilder()
                .setInfidelity(InfidelityParams.newBuilder().setNPerturbations(6).setNoiseStd(0.2).setSeed(seed))
                .setSensitivity(SensitivityParams.newBuilder().setRadius(0.1).setNPerturbations(4).setTopK(2)
                        .setSeed(seed))).build());
        int outputs = 3;
        assertEquals(n * outputs, r.getExplanationsCount());
        for (int i = 0; i < n; i++) {
            List<Perturbation> noise = Perturbations.gaussian(x[i], 0.2, 6, seed + i);
            ExplainResponse noisy = prism.explain().explain(iris(noise.stream().map(Perturbation::input)
                    .toArray(double[][]::new)).build());
            double[][] ball = Perturbations.uniformBall(x[i], 0.1, 4, seed + i);
            ExplainResponse moved = prism.explain().explain(iris(ball).build());
            for (int k = 0; k < outputs; k++) {
                Explanation e = r.getExplanations(i * outputs + k);
                double[] phi = e.getAttributionsList().stream().mapToDouble(Double::doubleValue).toArray();
                double[] perturbed = new double[6];
                for (int j = 0; j < 6; j++) {
                    perturbed[j] = noisy.getExplanations(j * outputs + k).getModelOutput();
                }
                Infidelity expected = Infidelity.of(e.getModelOutput(), perturbed, phi, noise);
                assertEquals(expected.value(), e.getEvaluation().getInfidelity().getValue(), 1e-12);
                assertEquals(expected.normalized(), e.getEvaluation().getInfidelity().getNormalized(), 1e-12);
                assertEquals(expected.beta(), e.getEvaluation().getInfidelity().getBeta(), 1e-9);
                assertEquals(6, e.getEvaluation().getInfidelity().getSamples());

                double[][] again = new double[4][];
                for (int j = 0; j < 4; j++) {
                    again[j] = moved.getExplanations(j * outputs + k).getAttributionsList().stream()
                            .mapToDouble(Double::doubleValue).toArray();
                }
                assertEquals(SensitivityMax.of(phi, again).value(), e.getEvaluation().getSensitivity().getMax(), 1e-12);
                assertEquals(RankStability.of(phi, again, 2).value(),
                        e.getEvaluation().getSensitivity().getRankStability(), 0);
                assertEquals(2, e.getEvaluation().getSensitivity().getTopK());
                assertTrue(e.getEvaluation().getSensitivity().getMax() > 0, "the inputs moved");
            }
        }
        MeterRegistry registry = prism.registry();
        for (String name : List.of("prism_explanation_infidelity", "prism_explanation_infidelity_normalized",
                "prism_explanation_sensitivity_max", "prism_explanation_rank_stability")) {
            assertEquals(n * outputs, ServerTestSupport.histogramCount(registry, name, "iris", "exact_shapley"),
                    name + " records each explanation");
        }
    }

    @Test
    void badParametersAreFieldViolations() {
        StatusRuntimeException e = failure(() -> prism.explain().explain(iris(new double[][] {{5.1, 3.5, 1.4, 0.2}})
                .setEvaluate(EvaluationParams.newBuilder()
                        .setDeletion(DeletionParams.newBuilder().setSteps(-1))
                        .setInfidelity(InfidelityParams.newBuilder().setNPerturbations(5000).setNoiseStd(-1))
                        .setSensitivity(SensitivityParams.newBuilder().setRadius(Double.POSITIVE_INFINITY).setTopK(-2))
                        .setComplexity(ComplexityParams.newBuilder().setFraction(1.5))).build()));
        assertStatus(e, Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS");
        for (String field : List.of("evaluate.deletion.steps", "evaluate.infidelity.n_perturbations",
                "evaluate.infidelity.noise_std", "evaluate.sensitivity.radius", "evaluate.sensitivity.top_k",
                "evaluate.complexity.fraction")) {
            assertViolation(e, field);
        }

        StatusRuntimeException none = failure(() -> prism.explain().explain(iris(new double[][] {{5.1, 3.5, 1.4, 0.2}})
                .setEvaluate(EvaluationParams.getDefaultInstance()).build()));
        assertViolation(assertStatus(none, Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "evaluate");

        StatusRuntimeException compact = failure(() -> prism.explain().explain(iris(new double[][] {{5.1, 3.5, 1.4, 0.2}})
                .setFormat(ResponseFormat.FORMAT_COMPACT)
                .setEvaluate(EvaluationParams.newBuilder().setComplexity(ComplexityParams.getDefaultInstance()))
                .build()));
        assertViolation(assertStatus(compact, Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "evaluate");
    }

    /** Attributions not of the score the model's rows give (saliency's, tree_shap's margin) are refused the row metrics. */
    @Test
    void rowMetricsAreRefusedWhereTheAttributionsAreNotOfTheModelsScore() {
        ExplainRequest.Builder saliency = ExplainRequest.newBuilder().setModel("linear")
                .addInputs(floats(1, 1.5, 2, -0.5, 3, 0.25)).setSaliency(SaliencyParams.getDefaultInstance());
        StatusRuntimeException e = failure(() -> prism.explain().explain(saliency.clone()
                .setEvaluate(EvaluationParams.newBuilder().setDeletion(DeletionParams.getDefaultInstance())
                        .setInfidelity(InfidelityParams.getDefaultInstance())).build()));
        assertStatus(e, Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS");
        assertTrue(assertViolation(e, "evaluate.deletion").contains("no reference input"));
        assertViolation(e, "evaluate.infidelity");

        ExplainRequest.Builder trees = ExplainRequest.newBuilder().setModel("tree_rf_binary")
                .addInputs(floats(1, new double[width("tree_rf_binary")]))
                .setBackground(floats(1, new double[width("tree_rf_binary")]))
                .setTreeShap(TreeShapParams.getDefaultInstance())
                .setEvaluate(EvaluationParams.newBuilder().setDeletion(DeletionParams.getDefaultInstance()));
        StatusRuntimeException margin = failure(() -> prism.explain().explain(trees.build()));
        assertStatus(margin, Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS");
        assertTrue(assertViolation(margin, "evaluate.deletion").contains("margin"));
    }

    private static int width(String model) {
        return (int) prism.models().getModel(dev.prism.api.v1.GetModelRequest.newBuilder().setName(model).build())
                .getFeatureNamesCount();
    }

    /** The call's deadline covers the evaluation: it stops there and the model's queue empties. */
    @Test
    void deadlineStopsTheEvaluation(@TempDir Path own) throws Exception {
        try (ServerTestSupport.InProcess server = new ServerTestSupport.InProcess(
                ServerTestSupport.inProcessOptions(ServerTestSupport.repository(own, "breast_cancer")))) {
            MeterRegistry registry = server.registry();
            ExplainRequest.Builder request = ExplainRequest.newBuilder().setModel("breast_cancer")
                    .addInputs(floats(1, backgroundRows("breast_cancer", 1)))
                    .setKernelShap(KernelShapParams.newBuilder().setNsamples(2000));
            server.explain().explain(request.build());
            // 100 perturbed inputs, each explained as the instance was: 100 times the explanation's rows.
            StatusRuntimeException e = failure(() -> server.explain().withDeadlineAfter(2, TimeUnit.SECONDS)
                    .explain(request.clone().setEvaluate(EvaluationParams.newBuilder().setSensitivity(
                            SensitivityParams.newBuilder().setNPerturbations(100))).build()));
            assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
            eventually(Duration.ofSeconds(10), () -> "the deadline recorded", () -> counter(registry,
                    "prism.explanations", "model", "breast_cancer", "status", "DEADLINE_EXCEEDED") == 1);
            eventually(Duration.ofSeconds(10), () -> "an empty queue",
                    () -> gauge(registry, "prism.scheduler.queue.rows", "model", "breast_cancer", "graph", "") == 0);
            assertEquals(0, ServerTestSupport.histogramCount(registry, "prism_explanation_sensitivity_max",
                    "breast_cancer", "kernel_shap"), "an evaluation stopped by its deadline records nothing");
        }
    }

    /**
     * With --evaluate-sample-rate 1 every eligible request is evaluated for the metrics only: the
     * response is unchanged, and the sampled evaluations and their model rows are counted; one whose
     * evaluation would cost more than the row budget is skipped.
     */
    @Test
    void sampledEvaluationsAreCountedAndBounded(@TempDir Path own) throws Exception {
        try (ServerTestSupport.InProcess server = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(
                ServerTestSupport.repository(own, "iris", "linear")).withEvaluateSampleRate(1))) {
            MeterRegistry registry = server.registry();
            double[][] bg = {{0, 0, 0, 0, 0}, {1, -1, 0.5, 2, -0.5}, {-2, 0.25, 1, -1, 1.5}};
            ExplainResponse r = server.explain().explain(ExplainRequest.newBuilder().setModel("linear")
                    .addInputs(floats(2, 1.5, 2, -0.5, 3, 0.25, -1, 0.75, 2.5, -4, 2))
                    .setBackground(floats(3, ModelServiceTest.flatten(bg)))
                    .setExactShapley(ExactShapleyParams.getDefaultInstance()).build());
            assertFalse(r.getExplanations(0).hasEvaluation(), "a sampled evaluation is not in the response");
            assertEquals(1, counter(registry, "prism.explanation.evaluations.sampled", "model", "linear",
                    "method", "exact_shapley"));
            // Two curves of 4 steps (5 points) over 3 background rows, for 2 explanations.
            assertEquals(2 * 5 * 3 * 2, counter(registry, "prism.explanation.evaluations.sampled.rows", "model",
                    "linear", "method", "exact_shapley"));
            assertEquals(2, ServerTestSupport.histogramCount(registry, "prism_explanation_entropy", "linear",
                    "exact_shapley"));

            // 40 iris instances x 3 outputs x 2 curves x 5 points x 100 background rows = 120000 rows: over budget.
            int n = 40;
            assertTrue(2L * 5 * 100 * 3 * n > EvaluationSampler.MAX_ROWS);
            server.explain().explain(ExplainRequest.newBuilder().setModel("iris")
                    .addInputs(floats(n, backgroundRows("iris", n)))
                    .setExactShapley(ExactShapleyParams.getDefaultInstance()).build());
            assertEquals(0, counter(registry, "prism.explanation.evaluations.sampled", "model", "iris",
                    "method", "exact_shapley"));
        }
    }

    /** The evaluation's rows in flight are reserved with the request: a budget the explanation alone fits refuses it. */
    @Test
    void theEvaluationsMemoryIsAdmitted(@TempDir Path own) throws Exception {
        try (ServerTestSupport.InProcess server = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(
                        ServerTestSupport.repository(own, "iris"))
                .withAdmission(new ServerOptions.Admission(4L << 20, Duration.ofSeconds(30), 128)))) {
            double[][] x = {{5.1, 3.5, 1.4, 0.2}};
            assertEquals(3, server.explain().explain(iris(x).build()).getExplanationsCount());
            StatusRuntimeException e = failure(() -> server.explain().explain(iris(x).setEvaluate(
                    EvaluationParams.newBuilder().setDeletion(DeletionParams.getDefaultInstance())).build()));
            assertStatus(e, Status.Code.INVALID_ARGUMENT, "BUDGET_EXCEEDED");
            assertTrue(e.getStatus().getDescription().contains("explanation of 1 instances with its evaluation"),
                    e.getStatus().getDescription());
        }
    }

    /**
     * StreamExplain counts the evaluation's model rows in its progress: two curves of 6 points over 3
     * background rows and infidelity's instance and 3 perturbations, for each of 2 explanations.
     */
    @Test
    void progressCountsTheEvaluationsRows() {
        double[][] bg = {{0, 0, 0, 0, 0}, {1, -1, 0.5, 2, -0.5}, {-2, 0.25, 1, -1, 1.5}};
        ExplainRequest.Builder request = ExplainRequest.newBuilder().setModel("linear")
                .addInputs(floats(2, 1.5, 2, -0.5, 3, 0.25, -1, 0.75, 2.5, -4, 2))
                .setBackground(floats(3, ModelServiceTest.flatten(bg)))
                .setExactShapley(ExactShapleyParams.getDefaultInstance());
        Progress plain = lastProgress(request.build());
        Progress evaluated = lastProgress(request.clone().setEvaluate(EvaluationParams.newBuilder()
                .setDeletion(DeletionParams.getDefaultInstance())
                .setInfidelity(InfidelityParams.newBuilder().setNPerturbations(3))).build());
        long added = 2 * (2 * 6 * 3 + (1 + 3));
        assertEquals(plain.getEvaluationsTotal() + added, evaluated.getEvaluationsTotal());
        assertEquals(plain.getEvaluationsDone() + added, evaluated.getEvaluationsDone());
        assertEquals(evaluated.getEvaluationsTotal(), evaluated.getEvaluationsDone());
    }

    /** Values a model's exact_shapley summary has recorded, 0 before it exists. */
    private static long count(MeterRegistry registry, String name, String model) {
        DistributionSummary s = registry.find(name).tags("model", model, "method", "exact_shapley").summary();
        return s == null ? 0 : s.count();
    }

    private static Progress lastProgress(ExplainRequest request) {
        List<ExplainEvent> events = new ArrayList<>();
        prism.explain().streamExplain(request).forEachRemaining(events::add);
        assertTrue(events.get(events.size() - 1).hasResult());
        return events.get(events.size() - 2).getProgress();
    }

    private static ExplainRequest.Builder iris(double[][] x) {
        return ExplainRequest.newBuilder().setModel("iris").addInputs(floats(x.length, ModelServiceTest.flatten(x)))
                .setExactShapley(ExactShapleyParams.getDefaultInstance());
    }

    private static void assertCurve(double[] expected, Curve curve) {
        assertEquals(expected.length, curve.getValuesCount());
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], curve.getValues(k), 1e-4 * Math.max(1, Math.abs(expected[k])), "point " + k);
        }
    }

    private static double trapezoid(double[] values) {
        double area = 0;
        for (int k = 1; k < values.length; k++) {
            area += (values[k] + values[k - 1]) / 2;
        }
        return area / (values.length - 1);
    }
}
