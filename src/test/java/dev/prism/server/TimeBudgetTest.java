package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import dev.prism.api.v1.AutoParams;
import dev.prism.api.v1.DeepLiftParams;
import dev.prism.api.v1.DeepLiftShapParams;
import dev.prism.api.v1.ExactShapleyParams;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.GradientXInputParams;
import dev.prism.api.v1.IntegratedGradientsParams;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.L1Reg;
import dev.prism.api.v1.LimeParams;
import dev.prism.api.v1.PermutationShapParams;
import dev.prism.api.v1.SaliencyParams;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kernel_shap's anytime answer: within a time budget, the estimate of that moment, marked partial. */
class TimeBudgetTest {
    /**
     * How late the answer of many instances may come: the model call in flight is abandoned, then
     * each instance's estimate is solved and the response built, on a machine that may be loaded.
     */
    private static final double MARGIN_SECONDS = 0.25;
    private static final Duration MILLIS_200 = Duration.newBuilder().setNanos(200_000_000).build();
    private static final Duration MILLIS_500 = Duration.newBuilder().setNanos(500_000_000).build();
    private static final Duration MILLIS_600 = Duration.newBuilder().setNanos(600_000_000).build();
    /**
     * digits (64 pixels of which 50 vary here, an MLP): 100,000 coalitions on a background of 240
     * rows, 24 million model rows. 100 enumerated coalitions come first, then 512 draw groups of
     * about 195.
     */
    private static final long NSAMPLES = 100_000;
    private static final int BACKGROUND = 240;
    private static final int PIXELS = 64;

    @TempDir
    static Path dir;
    static ServerTestSupport.InProcess prism;

    @BeforeAll
    static void start() throws Exception {
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(
                ServerTestSupport.repository(dir, "breast_cancer", "digits")));
    }

    @AfterAll
    static void stop() throws Exception {
        prism.close();
    }

    /** One digit explained on a background of mixed real digits, within 200 ms. */
    private static ExplainRequest longJob(KernelShapParams.Estimator estimator) {
        double[] rows = ServerTestSupport.backgroundRows("digits", 20);
        double[] background = new double[BACKGROUND * PIXELS];
        for (int i = 0; i < BACKGROUND; i++) {
            // Each row a different mix of two real digits, so none repeats.
            double t = (i + 1) / (BACKGROUND + 1.0);
            int a = i % 20;
            int b = (i * 7 + 3) % 20;
            for (int j = 0; j < PIXELS; j++) {
                background[i * PIXELS + j] = (1 - t) * rows[a * PIXELS + j] + t * rows[b * PIXELS + j];
            }
        }
        double[] instance = ServerTestSupport.backgroundRows("digits", 1);
        return ExplainRequest.newBuilder().setModel("digits")
                .addInputs(ServerTestSupport.floats(1, instance).toBuilder().clearShape().addShape(1).addShape(1)
                        .addShape(8).addShape(8))
                .setBackground(ServerTestSupport.floats(BACKGROUND, background).toBuilder().clearShape()
                        .addShape(BACKGROUND).addShape(1).addShape(8).addShape(8))
                .setKernelShap(KernelShapParams.newBuilder().setNsamples(NSAMPLES).setEstimator(estimator))
                .setSeed(5).setTimeBudget(MILLIS_200).build();
    }

    private static void answersWithinItsBudget(ExplainRequest request) {
        // Warm-up with longer budgets: class loading and JIT are not what the budget is about. The
        // design is built once per call, so it takes several calls to be compiled.
        prism.explain().explain(request.toBuilder().setTimeBudget(Duration.newBuilder().setSeconds(2)).build());
        for (int i = 0; i < 5; i++) {
            prism.explain().explain(request.toBuilder().setTimeBudget(MILLIS_600).build());
        }

        long start = System.nanoTime();
        ExplainResponse r = prism.explain().explain(request);
        double seconds = (System.nanoTime() - start) / 1e9;

        assertTrue(r.getPartial(), "the budget ran out first");
        assertTrue(seconds <= 0.300, "answered in " + seconds + " s");
        assertEquals(10, r.getExplanationsCount());
        for (Explanation e : r.getExplanationsList()) {
            long used = e.getDiagnostics().getModelEvaluations();
            // At the rate it ran, the whole job needs at least 5 s: it stopped early, not by finishing.
            double rate = used / seconds;
            double needed = (NSAMPLES * BACKGROUND + 1) / rate;
            assertTrue(needed >= 5, "the full job would take " + needed + " s at " + rate + " rows/s");
            assertFalse(e.getDiagnostics().getConverged());
            assertEquals(PIXELS, e.getStandardErrorsCount());
            for (double se : e.getStandardErrorsList()) {
                assertTrue(Double.isFinite(se) && se >= 0, "standard error " + se);
            }
            assertTrue(e.getStandardErrorsList().stream().anyMatch(se -> se > 0), "estimates, not exact values");
            // The estimate keeps efficiency exactly, partial or not.
            assertEquals(e.getModelOutput() - e.getBaseValue(), ExplainServiceTest.sum(e.getAttributionsList()), 1e-9);
        }
    }

    @Test
    void aLongJobAnswersWithinItsBudgetWithFiniteStandardErrors() {
        answersWithinItsBudget(longJob(KernelShapParams.Estimator.ESTIMATOR_ADJUSTED));
    }

    @Test
    void shapsDesignAnswersWithinItsBudgetToo() {
        answersWithinItsBudget(longJob(KernelShapParams.Estimator.ESTIMATOR_KERNEL));
    }

    @Test
    void aBudgetThatSufficesSpendsTheWholeSampleBudget() {
        ExplainResponse r = prism.explain().explain(ExplainServiceTest.breastCancer(2, 512).setSeed(9)
                .setTimeBudget(Duration.newBuilder().setSeconds(600)).build());
        assertFalse(r.getPartial());
        for (Explanation e : r.getExplanationsList()) {
            assertEquals(e.getDiagnostics().getCoalitions() * 100 + 1, e.getDiagnostics().getModelEvaluations());
            assertEquals(512, e.getDiagnostics().getCoalitions());
            assertEquals(e.getModelOutput() - e.getBaseValue(), ExplainServiceTest.sum(e.getAttributionsList()), 1e-9);
        }
    }

    @Test
    void aBudgetTooShortForAnyEstimateIsADeadline() {
        ExplainRequest request = ExplainServiceTest.breastCancer(8, NSAMPLES)
                .setTimeBudget(Duration.newBuilder().setNanos(1_000_000)).build();
        StatusRuntimeException e = failure(() -> prism.explain().explain(request));
        assertStatus(e, Status.Code.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED");
        assertTrue(e.getStatus().getDescription().contains("time budget"), e.getStatus().getDescription());
    }

    @Test
    void manyInstancesAllAnswerWithinTheBudget() {
        // 10 instances of 20,000 coalitions on 100 background rows: 20 million model rows, seconds
        // of work. Every instance gets its first estimate (its base and two groups, about 1% of its
        // rows) before any gets more, then they take turns, so all answer when the budget ends.
        ExplainRequest request = ExplainServiceTest.breastCancer(10, 20_000).setSeed(3).setTimeBudget(MILLIS_500)
                .build();
        for (int i = 0; i < 2; i++) {
            prism.explain().explain(request); // warm-up
        }
        long start = System.nanoTime();
        ExplainResponse r = prism.explain().explain(request);
        double seconds = (System.nanoTime() - start) / 1e9;

        assertTrue(r.getPartial(), "the budget ran out first");
        assertTrue(seconds <= 0.500 + MARGIN_SECONDS, "answered in " + seconds + " s");
        assertEquals(20, r.getExplanationsCount());
        long fewest = Long.MAX_VALUE;
        long most = 0;
        for (int i = 0; i < r.getExplanationsCount(); i++) {
            Explanation e = r.getExplanations(i);
            assertEquals(i / 2, e.getInstance());
            long coalitions = e.getDiagnostics().getCoalitions();
            assertTrue(coalitions > 0 && coalitions < 20_000, "instance " + e.getInstance() + ": " + coalitions);
            assertEquals(coalitions * 100 + 1, e.getDiagnostics().getModelEvaluations());
            assertFalse(e.getDiagnostics().getConverged());
            assertEquals(30, e.getAttributionsCount());
            assertEquals(30, e.getStandardErrorsCount());
            for (int f = 0; f < 30; f++) {
                assertTrue(Double.isFinite(e.getAttributions(f)), "attribution " + e.getAttributions(f));
                double se = e.getStandardErrors(f);
                assertTrue(Double.isFinite(se) && se >= 0, "standard error " + se);
            }
            assertTrue(e.getStandardErrorsList().stream().anyMatch(se -> se > 0), "estimates, not exact values");
            assertEquals(e.getModelOutput() - e.getBaseValue(), ExplainServiceTest.sum(e.getAttributionsList()), 1e-9);
            fewest = Math.min(fewest, coalitions);
            most = Math.max(most, coalitions);
        }
        // Turns keep the instances level: none got twice as far as another.
        assertTrue(most <= 2 * fewest, "coalitions from " + fewest + " to " + most);
    }

    @Test
    void aBudgetThatSufficesGivesTheAnswerWithoutOne() {
        for (KernelShapParams.Estimator estimator : new KernelShapParams.Estimator[] {
            KernelShapParams.Estimator.ESTIMATOR_ADJUSTED, KernelShapParams.Estimator.ESTIMATOR_KERNEL,
            KernelShapParams.Estimator.ESTIMATOR_LEVERAGE}) {
            ExplainRequest.Builder b = ExplainServiceTest.breastCancer(3, 2048).setSeed(9);
            b.getKernelShapBuilder().setEstimator(estimator);
            ExplainResponse plain = prism.explain().explain(b.build());
            ExplainResponse budgeted = prism.explain().explain(b.setTimeBudget(Duration.newBuilder().setSeconds(600))
                    .build());
            assertFalse(budgeted.getPartial());
            assertEquals(6, plain.getExplanationsCount());
            for (int i = 0; i < plain.getExplanationsCount(); i++) {
                assertEquals(withoutTime(plain.getExplanations(i)), withoutTime(budgeted.getExplanations(i)),
                        estimator + ", explanation " + i);
            }
        }
    }

    @Test
    void permutationShapAndLimeAnswerFromWhatTheyEvaluatedWhenTheBudgetRunsOut() {
        // Each job is many seconds of work; a fraction of a second answers from what came back.
        ExplainRequest.Builder base = ExplainServiceTest.breastCancer(3, 0).clearKernelShap()
                .setTimeBudget(Duration.newBuilder().setNanos(250_000_000));
        ExplainResponse permutation = prism.explain().explain(base.clone()
                .setPermutationShap(PermutationShapParams.newBuilder().setNpermutations(20_000)).build());
        assertTrue(permutation.getPartial());
        assertEquals(6, permutation.getExplanationsCount());
        for (Explanation e : permutation.getExplanationsList()) {
            long used = e.getDiagnostics().getModelEvaluations();
            assertTrue(used > 0 && used < 20_000L * 61 * 100, "evaluations " + used);
            // Whole antithetic permutations keep efficiency exactly, cut short or not.
            assertEquals(e.getModelOutput() - e.getBaseValue(), ExplainServiceTest.sum(e.getAttributionsList()), 1e-9);
        }
        // Every instance samples from the start: none is left without samples when the budget ends.
        // A second of a million samples (about 2.5 s of sampling and fitting here).
        ExplainResponse lime = prism.explain().explain(ExplainServiceTest.breastCancer(2, 0).clearKernelShap()
                .setTimeBudget(Duration.newBuilder().setSeconds(1))
                .setLime(LimeParams.newBuilder().setNumSamples(500_000)).build());
        assertTrue(lime.getPartial());
        assertEquals(4, lime.getExplanationsCount());
        for (Explanation e : lime.getExplanationsList()) {
            assertTrue(e.getDiagnostics().hasSurrogate());
            long used = e.getDiagnostics().getModelEvaluations();
            assertTrue(used > 1 && used < 500_000, "evaluations " + used);
        }
    }

    private static Explanation withoutTime(Explanation e) {
        return e.toBuilder().setDiagnostics(e.getDiagnostics().toBuilder().clearElapsedSeconds()).build();
    }

    @Test
    void aMethodWithoutAnAnytimeAnswerIsRefusedABudgetAndToldWhy() {
        ExplainRequest.Builder base = ExplainServiceTest.breastCancer(1, 0).clearKernelShap().setTimeBudget(MILLIS_500);
        // Each with the start of its reason.
        List<Map.Entry<String, ExplainRequest.Builder>> others = List.of(
                Map.entry("exact_shapley has no estimate",
                        base.clone().setExactShapley(ExactShapleyParams.getDefaultInstance())),
                Map.entry("the automatic choice", base.clone()),
                Map.entry("the automatic choice", base.clone().setAuto(AutoParams.getDefaultInstance())),
                Map.entry("saliency is a fixed set of gradient passes",
                        base.clone().setSaliency(SaliencyParams.getDefaultInstance())),
                Map.entry("gradient_x_input is a fixed set of gradient passes",
                        base.clone().setGradientXInput(GradientXInputParams.getDefaultInstance())),
                Map.entry("integrated_gradients is a fixed set of gradient passes",
                        base.clone().setIntegratedGradients(IntegratedGradientsParams.getDefaultInstance())),
                Map.entry("deep_lift is a fixed set of gradient passes",
                        base.clone().setDeepLift(DeepLiftParams.getDefaultInstance())),
                Map.entry("deep_lift_shap is a fixed set of gradient passes",
                        base.clone().setDeepLiftShap(DeepLiftShapParams.getDefaultInstance())));
        for (Map.Entry<String, ExplainRequest.Builder> other : others) {
            String why = assertViolation(assertStatus(failure(() -> prism.explain().explain(other.getValue().build())),
                    Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "time_budget");
            assertTrue(why.startsWith(other.getKey()), why);
            assertTrue(why.endsWith(". Only kernel_shap, lime, permutation_shap answer within a time budget; bound"
                    + " any method with the gRPC deadline"), why);
        }
        ExplainRequest.Builder l1 = ExplainServiceTest.breastCancer(1, 2048).setTimeBudget(MILLIS_500);
        l1.getKernelShapBuilder().setL1Reg(L1Reg.newBuilder().setNumFeatures(5));
        assertTrue(assertViolation(assertStatus(failure(() -> prism.explain().explain(l1.build())),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "time_budget").startsWith("kernel_shap with l1_reg"));
        ExplainRequest.Builder zero = ExplainServiceTest.breastCancer(1, 2048).setTimeBudget(Duration.getDefaultInstance());
        assertViolation(assertStatus(failure(() -> prism.explain().explain(zero.build())),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "time_budget");
    }
}
