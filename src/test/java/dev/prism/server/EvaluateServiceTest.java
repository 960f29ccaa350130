package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.backgroundRows;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import dev.prism.api.v1.ComplexityParams;
import dev.prism.api.v1.Curve;
import dev.prism.api.v1.DeletionParams;
import dev.prism.api.v1.EvaluateRequest;
import dev.prism.api.v1.EvaluationParams;
import dev.prism.api.v1.ExactShapleyParams;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.GivenAttributions;
import dev.prism.api.v1.InfidelityParams;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.SensitivityParams;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Evaluate RPC: given attributions scored in the request's game, or the method's own computed first. */
class EvaluateServiceTest {
    @TempDir
    static Path dir;
    static ServerTestSupport.InProcess prism;

    @BeforeAll
    static void start() throws Exception {
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(
                ServerTestSupport.repository(dir, "iris", "linear")));
    }

    @AfterAll
    static void stop() throws Exception {
        prism.close();
    }

    private static EvaluationParams everyMetric() {
        return EvaluationParams.newBuilder().setDeletion(DeletionParams.newBuilder().setSteps(3))
                .setInfidelity(InfidelityParams.newBuilder().setNPerturbations(5).setNoiseStd(0.2).setSeed(3))
                .setSensitivity(SensitivityParams.newBuilder().setRadius(0.1).setNPerturbations(3).setTopK(2).setSeed(4))
                .setComplexity(ComplexityParams.getDefaultInstance()).build();
    }

    private static ExplainRequest.Builder iris(int n) {
        return ExplainRequest.newBuilder().setModel("iris").addInputs(floats(n, backgroundRows("iris", n)))
                .setKernelShap(KernelShapParams.newBuilder().setNsamples(40)).setSeed(11);
    }

    private static List<GivenAttributions> attributionsOf(ExplainResponse r) {
        List<GivenAttributions> out = new ArrayList<>();
        for (Explanation e : r.getExplanationsList()) {
            out.add(GivenAttributions.newBuilder().setInstance(e.getInstance()).setOutput(e.getOutput())
                    .addAllValues(e.getAttributionsList()).build());
        }
        return out;
    }

    /**
     * Attributions given back as the method made them are scored exactly as Explain scored them, every
     * metric bit for bit, sensitivity included (it explains the same perturbed inputs with the same seed);
     * in any order of entries.
     */
    @Test
    void givenAttributionsOfTheMethodScoreAsExplainScoresThem() {
        ExplainResponse explained = prism.explain().explain(iris(2).setEvaluate(everyMetric()).build());
        List<GivenAttributions> given = attributionsOf(explained);
        java.util.Collections.reverse(given);
        ExplainResponse evaluated = prism.explain().evaluate(EvaluateRequest.newBuilder()
                .setRequest(iris(2).setEvaluate(everyMetric())).addAllAttributions(given).build());

        assertEquals(explained.getExplanationsCount(), evaluated.getExplanationsCount());
        assertEquals(explained.getFeatureNamesList(), evaluated.getFeatureNamesList());
        for (int e = 0; e < explained.getExplanationsCount(); e++) {
            Explanation a = explained.getExplanations(e);
            Explanation b = evaluated.getExplanations(e);
            assertEquals(a.getInstance(), b.getInstance());
            assertEquals(a.getOutput(), b.getOutput());
            assertEquals(a.getAttributionsList(), b.getAttributionsList());
            assertEquals(a.getEvaluation(), b.getEvaluation(), "explanation " + e);
            assertEquals(a.getModelOutput(), b.getModelOutput(), 1e-12);
            assertEquals(a.getBaseValue(), b.getBaseValue(), 1e-12);
            assertEquals(3, b.getDiagnostics().getModelEvaluations(), "one row of the instance per output");
            assertEquals(0, b.getStandardErrorsCount());
        }
    }

    /** Without attributions the method explains first: the answer is Explain's with `evaluate`. */
    @Test
    void withoutAttributionsTheMethodExplainsFirst() {
        ExplainResponse explained = prism.explain().explain(iris(2).setEvaluate(everyMetric()).build());
        ExplainResponse evaluated = prism.explain().evaluate(EvaluateRequest.newBuilder()
                .setRequest(iris(2).setEvaluate(everyMetric())).build());
        assertEquals(explained.getExplanationsList().stream().map(e -> e.toBuilder().clearDiagnostics().build()).toList(),
                evaluated.getExplanationsList().stream().map(e -> e.toBuilder().clearDiagnostics().build()).toList());
    }

    /**
     * Any attributions on the linear model f(x) = b + w·x against a weighted background: the deletion
     * curve removes features in the given order, each step lowering f by w_i(x_i − μ_i), whatever the
     * values given; the efficiency gap is |Σφ − (f(x) − E f)|, and the response warns about it.
     */
    @Test
    void arbitraryAttributionsOfALinearModelFollowTheClosedForm() {
        double[][] bg = {{0, 0, 0, 0, 0}, {1, -1, 0.5, 2, -0.5}, {-2, 0.25, 1, -1, 1.5}};
        double[] pi = {1 / 8.0, 2 / 8.0, 5 / 8.0};
        double[] x = {1.5, 2, -0.5, 3, 0.25};
        double[] phi = {0.5, -2, 3, 0.25, -1};
        double b = ModelServiceTest.linear(new double[][] {new double[5]})[0];
        double[] w = new double[5];
        double[] mu = new double[5];
        for (int i = 0; i < 5; i++) {
            double[] unit = new double[5];
            unit[i] = 1;
            w[i] = ModelServiceTest.linear(new double[][] {unit})[0] - b;
            for (int r = 0; r < 3; r++) {
                mu[i] += pi[r] * bg[r][i];
            }
        }
        double fx = ModelServiceTest.linear(new double[][] {x})[0];
        double ef = b + IntStream.range(0, 5).mapToDouble(i -> w[i] * mu[i]).sum();
        ExplainResponse r = prism.explain().evaluate(EvaluateRequest.newBuilder()
                .setRequest(ExplainRequest.newBuilder().setModel("linear").addInputs(floats(1, x))
                        .setBackground(floats(3, ModelServiceTest.flatten(bg)))
                        .addBackgroundWeights(1).addBackgroundWeights(2).addBackgroundWeights(5)
                        .setExactShapley(ExactShapleyParams.getDefaultInstance())
                        .setEvaluate(EvaluationParams.newBuilder().setDeletion(DeletionParams.getDefaultInstance())))
                .addAttributions(GivenAttributions.newBuilder().setInstance(0).setOutput(outputName())
                        .addAllValues(Arrays.stream(phi).boxed().toList()))
                .build());

        Explanation e = r.getExplanations(0);
        assertEquals(fx, e.getModelOutput(), 1e-5);
        assertEquals(ef, e.getBaseValue(), 1e-5);
        double gap = Math.abs(Arrays.stream(phi).sum() - (e.getModelOutput() - e.getBaseValue()));
        assertEquals(gap, e.getDiagnostics().getEfficiencyGap(), 1e-12);
        assertTrue(r.getWarningsList().stream().anyMatch(w2 -> w2.getCode().equals(EfficiencyWarning.CODE)),
                "given attributions that do not add up are warned about");
        Integer[] order = {0, 1, 2, 3, 4};
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -phi[i]));
        Curve deletion = e.getEvaluation().getDeletion();
        assertEquals(Arrays.asList(order), deletion.getOrderList());
        double value = fx;
        assertEquals(value, deletion.getValues(0), 1e-5);
        for (int k = 1; k <= 5; k++) {
            int i = order[k - 1];
            value -= w[i] * (x[i] - mu[i]);
            assertEquals(value, deletion.getValues(k), 1e-5, "after removing " + k);
        }
    }

    private static String outputName() {
        return prism.models().getModel(dev.prism.api.v1.GetModelRequest.newBuilder().setName("linear").build())
                .getOutputNames(0);
    }

    /** Given attributions feed no quality histogram: they are not the method's. */
    @Test
    void givenAttributionsAreNotCountedAsTheMethodsQuality() {
        ExplainResponse explained = prism.explain().explain(iris(1).build());
        long before = entropyCount();
        prism.explain().evaluate(EvaluateRequest.newBuilder().setRequest(iris(1).setEvaluate(
                EvaluationParams.newBuilder().setComplexity(ComplexityParams.getDefaultInstance())))
                .addAllAttributions(attributionsOf(explained)).build());
        assertEquals(before, entropyCount());
        prism.explain().evaluate(EvaluateRequest.newBuilder().setRequest(iris(1).setEvaluate(
                EvaluationParams.newBuilder().setComplexity(ComplexityParams.getDefaultInstance()))).build());
        assertEquals(before + 3, entropyCount(), "the method's own attributions are");
    }

    private static long entropyCount() {
        return ServerTestSupport.histogramCount(prism.registry(), "prism_explanation_entropy", "iris", "kernel_shap");
    }

    @Test
    void badRequestsAreFieldViolations() {
        ExplainResponse explained = prism.explain().explain(iris(2).build());
        List<GivenAttributions> good = attributionsOf(explained);
        EvaluationParams complexity = EvaluationParams.newBuilder()
                .setComplexity(ComplexityParams.getDefaultInstance()).build();

        assertViolation(refused(EvaluateRequest.getDefaultInstance()), "request");
        assertViolation(refused(EvaluateRequest.newBuilder().setRequest(iris(2)).build()), "request.evaluate");
        assertViolation(refused(EvaluateRequest.newBuilder().setRequest(iris(2).setEvaluate(complexity)
                .setTimeBudget(Duration.newBuilder().setSeconds(1))).build()), "request.time_budget");
        // The explain request's own refusals, named from the Evaluate request.
        assertViolation(refused(EvaluateRequest.newBuilder().setRequest(iris(2).setEvaluate(
                EvaluationParams.newBuilder().setDeletion(DeletionParams.newBuilder().setSteps(-1)))).build()),
                "request.evaluate.deletion.steps");

        List<GivenAttributions> missing = good.subList(0, good.size() - 1);
        assertTrue(assertViolation(refused(given(complexity, missing)), "attributions").contains("2 × 3 = 6, got 5"));

        List<GivenAttributions> twice = new ArrayList<>(missing);
        twice.add(good.get(0));
        assertViolation(refused(given(complexity, twice)), "attributions[5]");

        assertViolation(refused(given(complexity, replace(good, 1, good.get(1).toBuilder().setInstance(2).build()))),
                "attributions[1].instance");
        assertTrue(assertViolation(refused(given(complexity, replace(good, 2,
                good.get(2).toBuilder().setOutput("no such column").build()))), "attributions[2].output")
                .contains("explains"));
        assertViolation(refused(given(complexity, replace(good, 3, good.get(3).toBuilder().addValues(1).build()))),
                "attributions[3].values");
        assertViolation(refused(given(complexity, replace(good, 4, good.get(4).toBuilder().setValues(2, Double.NaN)
                .build()))), "attributions[4].values[2]");

        StatusRuntimeException unknown = failure(() -> prism.explain().evaluate(EvaluateRequest.newBuilder()
                .setRequest(iris(2).setModel("nope").setEvaluate(complexity)).build()));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
        // Still serving.
        assertEquals(6, prism.explain().evaluate(given(complexity, good)).getExplanationsCount());
    }

    private static EvaluateRequest given(EvaluationParams params, List<GivenAttributions> attributions) {
        return EvaluateRequest.newBuilder().setRequest(iris(2).setEvaluate(params)).addAllAttributions(attributions)
                .build();
    }

    private static List<GivenAttributions> replace(List<GivenAttributions> list, int i, GivenAttributions a) {
        List<GivenAttributions> out = new ArrayList<>(list);
        out.set(i, a);
        return out;
    }

    private static StatusRuntimeException refused(EvaluateRequest request) {
        return assertStatus(failure(() -> prism.explain().evaluate(request)), Status.Code.INVALID_ARGUMENT,
                "INVALID_PARAMS");
    }
}
