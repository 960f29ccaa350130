package dev.prism.explain.shap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.Link;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TimeBudget;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.ExplainerRun;
import dev.prism.testing.FunctionModel;
import dev.prism.testing.RecordingProgress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** KernelSHAP under a time budget: every instance's estimate early, and the unbudgeted answer when time suffices. */
class AnytimePlanTest {
    private static final int M = 12;

    /** Two outputs with interactions, so that estimates from few coalitions differ from the answer. */
    private static double[] model(double[] x) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += (i + 1) * 0.1 * x[i];
        }
        return new double[] {Math.tanh(s) + x[0] * x[1] * x[2] + Math.sin(x[3] * x[x.length - 1]),
            1 / (1 + Math.exp(-s - x[4] * x[5]))};
    }

    private static ExplainInput input(int instances, long seed) {
        Random r = new Random(seed);
        double[] x = new double[instances * M];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
        }
        double[] bg = new double[6 * M];
        for (int i = 0; i < bg.length; i++) {
            bg[i] = r.nextGaussian();
        }
        return new ExplainInput(new RowBlock(instances, M, x), Background.uniform(new RowBlock(6, M, bg)),
                new int[] {0, 1}, Link.IDENTITY, seed);
    }

    private record Answer(List<Explanation> explanations, boolean partial) {}

    /** Explains with an optional budget; {@code beforeClose} runs once the answer is in, before the model closes. */
    private static Answer explain(ExplainInput input, KernelShapParams params, Duration budget, long windowBytes,
                                  Function<double[], double[]> f, ProgressSink progress, Runnable beforeClose) {
        TimeBudget timeBudget = budget == null ? TimeBudget.NONE : TimeBudget.of(budget);
        List<Explanation> out = ExplainerRun.of(new KernelShapExplainer(windowBytes), input, params)
                .on(new FunctionModel(M, 2, f)).progress(progress).budget(timeBudget).atEnd(beforeClose).run();
        return new Answer(out, timeBudget.partial());
    }

    private static void assertSame(List<Explanation> expected, List<Explanation> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            Explanation a = expected.get(i);
            Explanation b = actual.get(i);
            assertEquals(a.instance(), b.instance());
            assertEquals(a.output(), b.output());
            assertArrayEquals(a.attributions(), b.attributions(), 0.0, "explanation " + i);
            assertArrayEquals(a.standardErrors(), b.standardErrors(), 0.0, "explanation " + i);
            assertEquals(a.diagnostics().modelEvaluations(), b.diagnostics().modelEvaluations());
            assertEquals(a.diagnostics().coalitions(), b.diagnostics().coalitions());
            assertEquals(a.diagnostics().exact(), b.diagnostics().exact());
            assertEquals(a.diagnostics().converged(), b.diagnostics().converged());
        }
    }

    @ParameterizedTest
    @CsvSource({"ADJUSTED, 67108864", "ADJUSTED, 1", "KERNEL, 67108864", "KERNEL, 1", "LEVERAGE, 1"})
    void aBudgetThatSufficesGivesTheAnswerWithoutOneBitForBit(KernelShapParams.Estimator estimator, long windowBytes) {
        // A window of 1 byte holds one instance: the others park after their first stage and
        // rebuild their designs when their turn comes.
        ExplainInput input = input(5, 3);
        KernelShapParams params = new KernelShapParams(3000, estimator, null, 0, null, null);
        List<Explanation> plain = explain(input, params, null, windowBytes, AnytimePlanTest::model,
                new RecordingProgress(), () -> { }).explanations();
        RecordingProgress progress = new RecordingProgress();
        Answer budgeted = explain(input, params, Duration.ofHours(1), windowBytes, AnytimePlanTest::model,
                progress, () -> { });
        assertFalse(budgeted.partial());
        assertSame(plain, budgeted.explanations());
        assertEquals(5L * (3000 * 6 + 1) + 6, progress.done);
        assertEquals(progress.total, progress.done);
        assertFalse(plain.get(0).diagnostics().exact());
    }

    @ParameterizedTest
    @EnumSource(KernelShapParams.Estimator.class)
    void aToleranceStopsEachInstanceAtItsFirstEstimateTightEnough(KernelShapParams.Estimator estimator) {
        ExplainInput input = input(3, 4);
        Answer answer = explain(input, new KernelShapParams(3000, estimator, null, 10, null, null),
                Duration.ofHours(1), 1, AnytimePlanTest::model, new RecordingProgress(), () -> { });
        assertFalse(answer.partial());
        for (Explanation e : answer.explanations()) {
            assertTrue(e.diagnostics().converged());
            // Its base and first two groups: a few per cent of the design.
            assertTrue(e.diagnostics().coalitions() < 300, "coalitions " + e.diagnostics().coalitions());
            for (double se : e.standardErrors()) {
                assertTrue(se <= 10, "standard error " + se);
            }
        }
    }

    /** Running estimates and their errors by instance, in the order each instance reported them. */
    private static Map<Integer, List<double[]>> byInstance(RecordingProgress progress) {
        Map<Integer, List<double[]>> estimates = new TreeMap<>();
        for (int n = 0; n < progress.instances.size(); n++) {
            List<double[]> list = estimates.computeIfAbsent(progress.instances.get(n), i -> new ArrayList<>());
            list.add(progress.estimates.get(n));
            list.add(progress.errors.get(n));
        }
        return estimates;
    }

    @ParameterizedTest
    @EnumSource(KernelShapParams.Estimator.class)
    void parkedInstancesGiveTheEstimatesTheyWouldHaveGivenInTheWindow(KernelShapParams.Estimator estimator) {
        // Parked, a plan drops its design and its sums and rebuilds both when its turn comes: its
        // running estimates after every group are those of a plan that stayed in the window.
        ExplainInput input = input(4, 6);
        KernelShapParams params = new KernelShapParams(3000, estimator, null, 0, null, null);
        RecordingProgress inWindowProgress = new RecordingProgress();
        RecordingProgress parkedProgress = new RecordingProgress();
        List<Explanation> a = explain(input, params, Duration.ofHours(1), 1L << 26, AnytimePlanTest::model,
                inWindowProgress, () -> { }).explanations();
        List<Explanation> b = explain(input, params, Duration.ofHours(1), 1, AnytimePlanTest::model, parkedProgress,
                () -> { }).explanations();
        assertSame(a, b);
        Map<Integer, List<double[]>> inWindow = byInstance(inWindowProgress);
        Map<Integer, List<double[]>> parked = byInstance(parkedProgress);
        assertEquals(List.of(0, 1, 2, 3), List.copyOf(inWindow.keySet()));
        for (int i = 0; i < 4; i++) {
            List<double[]> x = inWindow.get(i);
            List<double[]> y = parked.get(i);
            assertTrue(x.size() > 40, "estimates after each of the groups: " + x.size());
            assertEquals(x.size(), y.size());
            for (int k = 0; k < x.size(); k++) {
                assertArrayEquals(x.get(k), y.get(k), 0.0, "instance " + i + ", report " + k);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"ADJUSTED, 67108864", "KERNEL, 67108864", "LEVERAGE, 67108864", "ADJUSTED, 1", "KERNEL, 1"})
    void whenTimeRunsOutEveryInstanceAnswersWithItsEstimateOfThatMoment(KernelShapParams.Estimator estimator,
                                                                        long windowBytes) {
        // The model stops answering after a fifth of the job's rows until the test lets it go: the
        // budget runs out with every instance past its first stage (a few per cent of its rows,
        // which come first for every instance) and none finished.
        ExplainInput input = input(4, 8);
        long nsamples = 4000;
        long rows = 4 * nsamples * 6;
        AtomicLong evaluated = new AtomicLong();
        CountDownLatch release = new CountDownLatch(1);
        Function<double[], double[]> stalling = x -> {
            if (evaluated.incrementAndGet() == rows / 5) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return model(x);
        };
        Answer answer = explain(input, new KernelShapParams(nsamples, estimator, null, 0, null, null),
                Duration.ofMillis(1500), windowBytes, stalling, new RecordingProgress(), release::countDown);
        assertTrue(answer.partial());
        List<Explanation> es = answer.explanations();
        assertEquals(8, es.size());
        for (Explanation e : es) {
            long coalitions = e.diagnostics().coalitions();
            assertTrue(coalitions > 0 && coalitions < nsamples, "coalitions " + coalitions);
            assertEquals(coalitions * 6 + 1, e.diagnostics().modelEvaluations());
            assertFalse(e.diagnostics().converged());
            assertFalse(e.diagnostics().exact());
            assertEquals(M, e.standardErrors().length);
            for (int i = 0; i < M; i++) {
                assertTrue(Double.isFinite(e.attributions()[i]), "attribution " + e.attributions()[i]);
                assertTrue(Double.isFinite(e.standardErrors()[i]) && e.standardErrors()[i] > 0,
                        "standard error " + e.standardErrors()[i]);
            }
            assertEquals(0, e.efficiencyGap(), 1e-9);
        }
    }
}
