package dev.prism.explain.shap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.batch.BatchingSettings;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.Link;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.ExplainerRun;
import dev.prism.testing.FunctionModel;
import dev.prism.testing.RecordingProgress;
import dev.prism.testing.Shapley;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KernelShapExplainerTest {
    private final KernelShapExplainer explainer = new KernelShapExplainer();

    /** KernelSHAP with this many coalitions (0: its default). */
    private static ExplainerRun<List<Explanation>> kernelShap(FunctionModel model, ExplainInput input, long nsamples) {
        return ExplainerRun.of(new KernelShapExplainer(), input, new KernelShapParams(nsamples)).on(model);
    }

    private static List<Explanation> explain(FunctionModel model, double[] x, Background bg, long nsamples, Link link,
                                             long seed) {
        return kernelShap(model, Games.input(model, x, bg, link, seed), nsamples).run();
    }

    private static double[] random(Random r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    private static Background randomBackground(Random r, int rows, int m) {
        double[] data = random(r, rows * m);
        double[] w = new double[rows];
        for (int k = 0; k < rows; k++) {
            w[k] = 0.5 + r.nextDouble();
        }
        return new Background(new RowBlock(rows, m, data), w);
    }

    /** A nonlinear two-output model with interactions of every order among the first features. */
    private static Function<double[], double[]> nonlinear(double[] a) {
        return x -> {
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                s += a[i] * x[i];
            }
            double p = 1 / (1 + Math.exp(-(s + x[0] * x[1] * x[2])));
            return new double[] {Math.tanh(s) + x[0] * x[1] * x[2] + Math.sin(x[1] * x[x.length - 1]), p};
        };
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 100, 40})
    void linearModelGivesWeightTimesDistanceToTheBackgroundMean(long nsamples) {
        Random r = new Random(1);
        int m = 15;
        double[] w = random(r, m);
        FunctionModel model = new FunctionModel(m, 1, x -> {
            double y = 0.5;
            for (int i = 0; i < m; i++) {
                y += w[i] * x[i];
            }
            return new double[] {y};
        });
        Background bg = randomBackground(r, 7, m);
        double[] x = random(r, m);
        Explanation e = explain(model, x, bg, nsamples, Link.IDENTITY, 3).get(0);
        for (int i = 0; i < m; i++) {
            double mean = 0;
            for (int k = 0; k < bg.size(); k++) {
                mean += bg.weight(k) * bg.rows().get(k, i);
            }
            assertEquals(w[i] * (x[i] - mean), e.attributions()[i], 1e-6, "feature " + i);
        }
        assertFalse(e.diagnostics().exact());
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 4, 6, 9, 11})
    void enumeratedKernelShapEqualsBruteForceShapley(int m) {
        Random r = new Random(m);
        double[] a = random(r, m);
        Function<double[], double[]> f = nonlinear(a);
        FunctionModel model = new FunctionModel(m, 2, f);
        Background bg = randomBackground(r, 5, m);
        double[] x = random(r, m);
        List<Explanation> es = explain(model, x, bg, 0, Link.IDENTITY, 0);
        double[][] exact = Shapley.bruteForce(f, x, bg, 2, v -> v);
        for (int d = 0; d < 2; d++) {
            assertArrayEquals(exact[d], es.get(d).attributions(), 1e-9, "output " + d);
            assertTrue(es.get(d).diagnostics().exact());
            assertNull(es.get(d).standardErrors());
            assertEquals((1L << m) - 2, es.get(d).diagnostics().coalitions());
        }
    }

    @Test
    void logitLinkAttributesInLogOddsAgainstTheLogitOfTheMeanProbability() {
        int m = 7;
        Random r = new Random(7);
        double[] a = random(r, m);
        Function<double[], double[]> f = nonlinear(a);
        FunctionModel model = new FunctionModel(m, 2, f);
        Background bg = randomBackground(r, 6, m);
        double[] x = random(r, m);
        Explanation e = explain(model, x, bg, 0, Link.LOGIT, 0).get(1);
        double[][] exact = Shapley.bruteForce(f, x, bg, 2, p -> Math.log(p / (1 - p)));
        assertArrayEquals(exact[1], e.attributions(), 1e-9);
        double meanP = 0;
        for (int k = 0; k < bg.size(); k++) {
            meanP += bg.weight(k) * f.apply(bg.rows().row(k))[1];
        }
        assertEquals(Math.log(meanP / (1 - meanP)), e.baseValue(), 1e-12);
        double px = f.apply(x)[1];
        assertEquals(Math.log(px / (1 - px)), e.modelOutput(), 1e-12);
    }

    @ParameterizedTest
    @ValueSource(longs = {30, 300, 2000})
    void efficiencyHoldsExactlyWhenSampling(long nsamples) {
        int m = 20;
        Random r = new Random(20);
        FunctionModel model = new FunctionModel(m, 2, nonlinear(random(r, m)));
        Background bg = randomBackground(r, 4, m);
        for (Link link : Link.values()) {
            for (Explanation e : explain(model, random(r, m), bg, nsamples, link, 5)) {
                assertTrue(e.efficiencyGap() < 1e-10, "gap " + e.efficiencyGap() + " for " + link);
                assertFalse(e.diagnostics().exact());
                assertEquals(nsamples, e.diagnostics().coalitions());
            }
        }
    }

    @Test
    void sameSeedGivesIdenticalResultsAndAnotherSeedDoesNot() {
        int m = 14;
        Random r = new Random(14);
        FunctionModel model = new FunctionModel(m, 2, nonlinear(random(r, m)));
        Background bg = randomBackground(r, 3, m);
        double[] x = random(r, m);
        double[] first = explain(model, x, bg, 200, Link.IDENTITY, 42).get(0).attributions();
        double[] again = explain(model, x, bg, 200, Link.IDENTITY, 42).get(0).attributions();
        double[] other = explain(model, x, bg, 200, Link.IDENTITY, 43).get(0).attributions();
        assertArrayEquals(first, again, 0.0);
        assertFalse(java.util.Arrays.equals(first, other));
    }

    /**
     * Paired designs solve an order-2 game exactly from 4M − 2 coalitions: shap's design for even M
     * too, because the middle size is paired as well (shap pairs it only for odd M), and the
     * Leverage designs, adjusted or not.
     */
    @ParameterizedTest
    @ValueSource(ints = {9, 10, 12})
    void orderTwoGamesAreExactFromFewPairedSamples(int m) {
        Random r = new Random(100 + m);
        Function<double[], double[]> f = Games.orderTwo(r, m, false);
        FunctionModel model = new FunctionModel(m, 1, f);
        Background bg = randomBackground(r, 3, m);
        double[] x = random(r, m);
        double[] exact = Shapley.bruteForce(f, x, bg, 1, v -> v)[0];
        for (KernelShapParams.Estimator estimator : KernelShapParams.Estimator.values()) {
            for (long seed = 0; seed < 5; seed++) {
                ExplainInput input = Games.input(model, x, bg, Link.IDENTITY, seed);
                KernelShapParams params = new KernelShapParams(4L * m - 2, estimator, null, 0, null, null);
                Explanation e = ExplainerRun.of(new KernelShapExplainer(), input, params).on(model).run().get(0);
                assertFalse(e.diagnostics().exact());
                assertArrayEquals(exact, e.attributions(), 1e-8, estimator + ", seed " + seed);
            }
        }
    }

    @Test
    void featuresEqualToEveryBackgroundRowGetZeroAndLeaveTheGame() {
        int m = 8;
        Random r = new Random(8);
        Function<double[], double[]> f = nonlinear(random(r, m));
        FunctionModel model = new FunctionModel(m, 2, f);
        double[] data = random(r, 4 * m);
        double[] x = random(r, m);
        for (int k = 0; k < 4; k++) {
            data[k * m + 2] = x[2];
            data[k * m + 5] = x[5] * (1 + 1e-7); // within numpy's allclose tolerance, as shap
        }
        Background bg = Background.uniform(new RowBlock(4, m, data));
        List<Explanation> es = explain(model, x, bg, 0, Link.IDENTITY, 0);
        double[][] exact = Shapley.bruteForce(f, x, bg, 2, v -> v);
        for (int d = 0; d < 2; d++) {
            Explanation e = es.get(d);
            assertEquals(0.0, e.attributions()[2]);
            assertEquals(0.0, e.attributions()[5]);
            assertEquals(6, e.diagnostics().varyingFeatures());
            assertEquals((1 << 6) - 2, e.diagnostics().coalitions());
            assertArrayEquals(exact[d], e.attributions(), 1e-6);
        }
    }

    @Test
    void oneVaryingFeatureTakesTheWholeDifferenceAndNoneGivesZeros() {
        int m = 4;
        FunctionModel model = new FunctionModel(m, 1, x -> new double[] {x[0] * x[1] + 3 * x[3]});
        double[] bgRow = {1, 2, 3, 4};
        Background bg = Background.uniform(new RowBlock(1, m, bgRow.clone()));
        Explanation one = explain(model, new double[] {1, 2, 3, 10}, bg, 0, Link.IDENTITY, 0).get(0);
        assertArrayEquals(new double[] {0, 0, 0, 18}, one.attributions(), 1e-12);
        assertEquals(1, one.diagnostics().varyingFeatures());
        Explanation none = explain(model, bgRow, bg, 0, Link.IDENTITY, 0).get(0);
        assertArrayEquals(new double[4], none.attributions(), 0.0);
        assertEquals(0, none.diagnostics().varyingFeatures());
    }

    @Test
    void progressCountsEveryModelRowAndStreamsEstimatesWithErrors() {
        int m = 16;
        Random r = new Random(16);
        FunctionModel model = new FunctionModel(m, 2, nonlinear(random(r, m)));
        Background bg = randomBackground(r, 20, m);
        RowBlock x = new RowBlock(3, m, random(r, 3 * m));
        RecordingProgress progress = new RecordingProgress();
        List<Explanation> es = kernelShap(model, Games.input(model, x, bg, Link.IDENTITY, 1), 2000)
                .progress(progress).run();
        assertEquals(6, es.size());
        long rows = model.batchSizes().stream().mapToLong(Integer::longValue).sum();
        assertEquals(rows, progress.done);
        assertEquals(progress.total, progress.done);
        assertEquals(3 * (2000L * 20 + 1) + 20, rows);
        assertFalse(progress.estimates.isEmpty());
        assertTrue(progress.errors.stream().allMatch(se -> se != null && se.length == m));
    }

    /** The {@link #nonlinear} model on m features (seeded by m), one instance, its exact first output's values. */
    private record NonlinearCase(FunctionModel model, Background background, double[] x, double[] exact) {
        static NonlinearCase of(int m) {
            Random r = new Random(m);
            Function<double[], double[]> f = nonlinear(random(r, m));
            Background bg = randomBackground(r, 3, m);
            double[] x = random(r, m);
            return new NonlinearCase(new FunctionModel(m, 2, f), bg, x, Shapley.bruteForce(f, x, bg, 2, v -> v)[0]);
        }
    }

    @Test
    void standardErrorsCoverTheActualErrorAndShrinkWithMoreSamples() {
        int m = 10;
        NonlinearCase c = NonlinearCase.of(m);
        FunctionModel model = c.model();
        Background bg = c.background();
        double[] x = c.x();
        double[] exact = c.exact();
        int within = 0;
        int total = 0;
        double meanSeSmall = 0;
        double meanSeLarge = 0;
        for (long seed = 0; seed < 10; seed++) {
            Explanation small = explain(model, x, bg, 160, Link.IDENTITY, seed).get(0);
            Explanation large = explain(model, x, bg, 640, Link.IDENTITY, seed).get(0);
            assertNotNull(small.standardErrors());
            for (int i = 0; i < m; i++) {
                double se = small.standardErrors()[i];
                assertTrue(se > 0, "feature " + i + " se " + se);
                if (Math.abs(small.attributions()[i] - exact[i]) <= 2.5 * se) {
                    within++;
                }
                total++;
                meanSeSmall += se;
                meanSeLarge += large.standardErrors()[i];
            }
        }
        assertTrue(within >= 0.8 * total, within + " of " + total + " errors within 2.5 standard errors");
        assertTrue(meanSeLarge < 0.75 * meanSeSmall, "se " + meanSeLarge + " vs " + meanSeSmall);
    }

    /**
     * At 4·M and 8·M coalitions the design has one or two draw groups, too few for their spread:
     * the standard errors come from the pairs' spread within size classes (for LEVERAGE at 32·M too,
     * with 15 groups). They must cover, and be the size of the actual error (not so wide that
     * covering is no test).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"46, ADJUSTED", "94, ADJUSTED", "46, LEVERAGE", "94, LEVERAGE", "382, LEVERAGE"})
    void standardErrorsAtSmallBudgetsCoverAndMatchTheActualError(long nsamples, KernelShapParams.Estimator estimator) {
        int m = 12;
        NonlinearCase c = NonlinearCase.of(m);
        int within = 0;
        int total = 0;
        double squaredError = 0;
        double variance = 0;
        KernelShapParams params = new KernelShapParams(nsamples, estimator, null, 0, null, null);
        for (long seed = 0; seed < 40; seed++) {
            ExplainInput input = Games.input(c.model(), c.x(), c.background(), Link.IDENTITY, seed);
            Explanation e = ExplainerRun.of(new KernelShapExplainer(), input, params).on(c.model()).run().get(0);
            assertNotNull(e.standardErrors(), "seed " + seed);
            for (int i = 0; i < m; i++) {
                double se = e.standardErrors()[i];
                double error = e.attributions()[i] - c.exact()[i];
                within += Math.abs(error) <= 2.5 * se ? 1 : 0;
                total++;
                squaredError += error * error;
                variance += se * se;
            }
        }
        double ratio = Math.sqrt(variance / squaredError);
        assertTrue(within >= 0.8 * total, within + " of " + total + " errors within 2.5 standard errors");
        assertTrue(ratio > 0.6 && ratio < 1.6, "root mean se² / root mean error² = " + ratio);
    }

    /**
     * An output that is a multiple of another (1 − 3·f here, as a second probability is 1 − p) takes
     * that one's stratified standard errors times |s| without a sandwich of its own: the same, to
     * the model's float rounding, as explaining it alone.
     */
    @Test
    void aMultipleOutputTakesTheOthersStandardErrorsScaled() {
        int m = 12;
        Random r = new Random(5);
        Function<double[], double[]> f = nonlinear(random(r, m));
        Background bg = randomBackground(r, 3, m);
        double[] x = random(r, m);
        KernelShapParams params = new KernelShapParams(94, KernelShapParams.Estimator.LEVERAGE, null, 0, null, null);
        FunctionModel pair = new FunctionModel(m, 2, z -> {
            double v = f.apply(z)[0];
            return new double[] {v, 1 - 3 * v};
        });
        List<Explanation> both = ExplainerRun.of(new KernelShapExplainer(),
                Games.input(pair, x, bg, Link.IDENTITY, 3), params).on(pair).run();
        FunctionModel single = new FunctionModel(m, 1, z -> new double[] {1 - 3 * f.apply(z)[0]});
        Explanation alone = ExplainerRun.of(new KernelShapExplainer(),
                Games.input(single, x, bg, Link.IDENTITY, 3), params).on(single).run().get(0);
        double[] first = both.get(0).standardErrors();
        double[] second = both.get(1).standardErrors();
        double largest = java.util.Arrays.stream(second).max().orElseThrow();
        assertTrue(largest > 0);
        for (int i = 0; i < m; i++) {
            assertEquals(3 * first[i], second[i], 1e-12 * largest, "feature " + i);
            assertEquals(alone.standardErrors()[i], second[i], 1e-5 * largest, "feature " + i);
            assertEquals(-3 * both.get(0).attributions()[i], both.get(1).attributions()[i], 1e-5);
        }
    }

    @Test
    void resultsDoNotDependOnTheSchedulersBatchSize() {
        int m = 9;
        Random r = new Random(9);
        FunctionModel model = new FunctionModel(m, 2, nonlinear(random(r, m)));
        Background bg = randomBackground(r, 6, m);
        RowBlock x = new RowBlock(2, m, random(r, 2 * m));
        List<Explanation> reference = null;
        for (int rows : new int[] {1, 7, 4096}) {
            List<Explanation> es = kernelShap(model, Games.input(model, x, bg, Link.IDENTITY, 11), 120)
                    .batching(BatchingSettings.DEFAULT.withMaxBatchRows(rows)).run();
            assertTrue(model.batchSizes().stream().allMatch(n -> n <= rows));
            if (reference == null) {
                reference = es;
                continue;
            }
            for (int i = 0; i < es.size(); i++) {
                assertArrayEquals(reference.get(i).attributions(), es.get(i).attributions(), 0.0);
                assertArrayEquals(reference.get(i).standardErrors(), es.get(i).standardErrors(), 0.0);
            }
        }
    }

    @Test
    void nsamplesOutOfRangeIsRefused() {
        ExplainInput input = new ExplainInput(new RowBlock(1, 3, new double[3]),
                Background.uniform(new RowBlock(1, 3, new double[] {1, 1, 1})), new int[] {0}, Link.IDENTITY, 0);
        for (long bad : new long[] {1, -5, KernelShapParams.MAX_NSAMPLES + 1}) {
            PrismException e = assertThrows(PrismException.class,
                    () -> explainer.validate(input, new KernelShapParams(bad)));
            assertEquals(Reason.INVALID_PARAMS, e.reason());
            assertEquals("kernel_shap.nsamples", e.violations().get(0).field());
        }
        explainer.validate(input, new KernelShapParams(0));
        explainer.validate(input, new KernelShapParams(2));
    }
}
