package dev.prism.explain.shap;

import static dev.prism.explain.shap.Games.random;
import static dev.prism.explain.shap.Games.randomBackground;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The Shapley axioms and the engineering properties every Shapley method must have. */
class ShapleyPropertiesTest {

    enum Method {
        EXACT(false) {
            @Override
            ExplainerRun<List<Explanation>> explain(ExplainInput input) {
                return ExplainerRun.of(new ExactShapleyExplainer(), input, ExactShapleyParams.DEFAULTS);
            }
        },
        PERMUTATION(true) {
            @Override
            ExplainerRun<List<Explanation>> explain(ExplainInput input) {
                return ExplainerRun.of(new PermutationShapExplainer(), input, PermutationShapParams.DEFAULTS);
            }
        },
        /** Up to 11 features the default budget enumerates every coalition. */
        KERNEL(false) {
            @Override
            ExplainerRun<List<Explanation>> explain(ExplainInput input) {
                return ExplainerRun.of(new KernelShapExplainer(), input, KernelShapParams.DEFAULTS);
            }
        },
        KERNEL_SAMPLED(true) {
            @Override
            ExplainerRun<List<Explanation>> explain(ExplainInput input) {
                return ExplainerRun.of(new KernelShapExplainer(), input, new KernelShapParams(60));
            }
        },
        /** The plain design and regression (no interaction adjustment), sampled. */
        KERNEL_PLAIN_SAMPLED(true) {
            @Override
            ExplainerRun<List<Explanation>> explain(ExplainInput input) {
                KernelShapParams p = new KernelShapParams(60, KernelShapParams.Estimator.KERNEL, null, 0, null, null);
                return ExplainerRun.of(new KernelShapExplainer(), input, p);
            }
        };

        final boolean sampled;

        Method(boolean sampled) {
            this.sampled = sampled;
        }

        /**
         * Whether the estimate is linear in the game's values for fixed coalitions. The default
         * KernelSHAP is not when sampled: which interaction terms it adjusts by depends on the values.
         */
        boolean linear() {
            return this != KERNEL_SAMPLED;
        }

        abstract ExplainerRun<List<Explanation>> explain(ExplainInput input);

        List<Explanation> run(FunctionModel model, RowBlock x, Background bg, Link link, long seed) {
            return explain(Games.input(model, x, bg, link, seed)).on(model).run();
        }

        Explanation run(FunctionModel model, double[] x, Background bg, long seed) {
            return run(model, new RowBlock(1, x.length, x.clone()), bg, Link.IDENTITY, seed).get(0);
        }
    }

    @ParameterizedTest
    @EnumSource(Method.class)
    void efficiencyAttributionsAddUpToTheOutputMinusTheBaseValue(Method method) {
        int m = 8;
        Random r = new Random(8);
        Function<double[], double[]> f = Games.nonlinear(r, m);
        FunctionModel model = new FunctionModel(m, 2, f);
        Background bg = randomBackground(r, 5, m);
        RowBlock x = new RowBlock(3, m, random(r, 3 * m));
        for (Link link : Link.values()) {
            List<Explanation> es = method.run(model, x, bg, link, 1);
            for (Explanation e : es) {
                double[] expected = new double[2];
                for (int k = 0; k < bg.size(); k++) {
                    double[] y = f.apply(bg.rows().row(k));
                    expected[0] += bg.weight(k) * y[0];
                    expected[1] += bg.weight(k) * y[1];
                }
                assertEquals(link.apply(expected[e.output()]), e.baseValue(), 1e-12);
                assertEquals(link.apply(f.apply(x.row(e.instance()))[e.output()]), e.modelOutput(), 1e-12);
                assertTrue(e.efficiencyGap() < 1e-10, link + " gap " + e.efficiencyGap());
            }
        }
    }

    /**
     * Features 0 and 1 enter the model symmetrically, have equal values and equal background
     * columns: their game values agree bitwise under the swap.
     */
    @ParameterizedTest
    @EnumSource(value = Method.class, names = {"EXACT", "PERMUTATION", "KERNEL"})
    void symmetryInterchangeableFeaturesGetEqualValues(Method method) {
        int m = 6;
        Random r = new Random(6);
        FunctionModel model = new FunctionModel(m, 1, x -> new double[] {
                Math.tanh(x[0] * x[1] + 0.7 * (x[0] + x[1]) + x[2] * x[3] - x[4]) + Math.sin(x[0] + x[1]) * x[5]});
        double[] data = random(r, 4 * m);
        for (int k = 0; k < 4; k++) {
            data[k * m + 1] = data[k * m];
        }
        Background bg = randomBackground(r, 4, m);
        bg = new Background(new RowBlock(4, m, data), bg.weights());
        double[] x = random(r, m);
        x[1] = x[0];
        if (method != Method.PERMUTATION) {
            double[] phi = method.run(model, x, bg, 0).attributions();
            assertEquals(phi[0], phi[1], method == Method.EXACT ? 0.0 : 1e-12);
            return;
        }
        // Per seed the two differ; their mean over seeds closes in on equality at the rate the errors give.
        int seeds = 100;
        double difference = 0;
        double errors = 0;
        for (long seed = 0; seed < seeds; seed++) {
            Explanation e = method.run(model, x, bg, seed);
            difference += (e.attributions()[0] - e.attributions()[1]) / seeds;
            errors += (e.standardErrors()[0] + e.standardErrors()[1]) / seeds;
        }
        assertTrue(errors > 0);
        assertTrue(Math.abs(difference) < 4 * errors / Math.sqrt(seeds),
                "mean difference " + difference + ", mean errors " + errors);
    }

    @ParameterizedTest
    @EnumSource(value = Method.class, names = {"EXACT", "PERMUTATION", "KERNEL"})
    void dummyAFeatureTheModelIgnoresGetsZero(Method method) {
        int m = 6;
        Random r = new Random(61);
        Function<double[], double[]> f = Games.nonlinear(r, m);
        FunctionModel model = new FunctionModel(m, 1, x -> {
            double[] masked = x.clone();
            masked[3] = 0.25;
            return new double[] {f.apply(masked)[0]};
        });
        Background bg = randomBackground(r, 3, m);
        double[] x = random(r, m);
        Explanation e = method.run(model, x, bg, 2);
        assertEquals(m, e.diagnostics().varyingFeatures());
        assertEquals(0.0, e.attributions()[3], method == Method.KERNEL ? 1e-10 : 0.0);
        assertTrue(Math.abs(e.attributions()[0]) > 1e-3);
    }

    /** Sampled methods too: with the same seed they use the same coalitions, and combine values linearly. */
    @ParameterizedTest
    @EnumSource(Method.class)
    void linearityTheSumOfTwoModelsGetsTheSumOfTheirValues(Method method) {
        Assumptions.assumeTrue(method.linear(), "the adjusted estimator selects its terms from the values");
        int m = 7;
        Random r = new Random(7);
        Function<double[], double[]> f = Games.nonlinear(r, m);
        Function<double[], double[]> g = Games.nonlinear(r, m);
        FunctionModel sum = new FunctionModel(m, 2, x -> {
            double[] a = f.apply(x);
            double[] b = g.apply(x);
            return new double[] {a[0] + b[0], a[1] + 3 * b[1]};
        });
        FunctionModel scaledG = new FunctionModel(m, 2, x -> {
            double[] b = g.apply(x);
            return new double[] {b[0], 3 * b[1]};
        });
        Background bg = randomBackground(r, 3, m);
        RowBlock x = new RowBlock(2, m, random(r, 2 * m));
        List<Explanation> ofSum = method.run(sum, x, bg, Link.IDENTITY, 9);
        List<Explanation> ofF = method.run(new FunctionModel(m, 2, f), x, bg, Link.IDENTITY, 9);
        List<Explanation> ofG = method.run(scaledG, x, bg, Link.IDENTITY, 9);
        for (int i = 0; i < ofSum.size(); i++) {
            double[] expected = new double[m];
            for (int j = 0; j < m; j++) {
                expected[j] = ofF.get(i).attributions()[j] + ofG.get(i).attributions()[j];
            }
            assertArrayEquals(expected, ofSum.get(i).attributions(), 1e-10, "explanation " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(Method.class)
    void resultsDoNotDependOnTheSchedulersBatchSize(Method method) {
        int m = 7;
        Random r = new Random(77);
        FunctionModel model = new FunctionModel(m, 2, Games.nonlinear(r, m));
        Background bg = randomBackground(r, 6, m);
        ExplainInput input = Games.input(model, new RowBlock(2, m, random(r, 2 * m)), bg, Link.LOGIT, 11);
        List<Explanation> reference = null;
        for (int rows : new int[] {1, 7, 4096}) {
            List<Explanation> es = method.explain(input).on(model)
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

    @ParameterizedTest
    @EnumSource(Method.class)
    void theSameSeedGivesIdenticalResultsAndAnotherDiffersOnlyWhenSampling(Method method) {
        int m = 9;
        Random r = new Random(9);
        FunctionModel model = new FunctionModel(m, 2, Games.nonlinear(r, m));
        Background bg = randomBackground(r, 3, m);
        double[] x = random(r, m);
        double[] first = method.run(model, x, bg, 42).attributions();
        double[] again = method.run(model, x, bg, 42).attributions();
        double[] other = method.run(model, x, bg, 43).attributions();
        assertArrayEquals(first, again, 0.0);
        assertEquals(method.sampled, !Arrays.equals(first, other));
    }

    /**
     * Three instances with 6, 5 and 1 varying features: the first total assumes all 6, and each
     * instance revises it to what it really evaluates. 200 background rows spread an instance over
     * several chunks, so running estimates come between them.
     */
    @ParameterizedTest
    @EnumSource(Method.class)
    void progressReachesItsTotalWhichCountsEveryModelRow(Method method) {
        int m = 6;
        Random r = new Random(66);
        FunctionModel model = new FunctionModel(m, 2, Games.nonlinear(r, m));
        int rows = 200;
        double[] data = random(r, rows * m);
        double[] constants = random(r, m);
        for (int k = 0; k < rows; k++) {
            System.arraycopy(constants, 1, data, k * m + 1, m - 1);
        }
        Background bg = Background.uniform(new RowBlock(rows, m, data));
        double[] x = random(r, 3 * m);
        x[m + 5] = constants[5];
        System.arraycopy(constants, 1, x, 2 * m + 1, m - 1);
        RecordingProgress progress = new RecordingProgress();
        List<Explanation> es = method.explain(Games.input(model, new RowBlock(3, m, x), bg, Link.IDENTITY, 3))
                .on(model).progress(progress).run();
        long evaluated = model.batchSizes().stream().mapToLong(Integer::longValue).sum();
        assertEquals(evaluated, progress.done);
        assertEquals(progress.total, progress.done);
        long expected = 3 + rows;
        for (int n = 0; n < 3; n++) {
            expected += es.get(2 * n).diagnostics().modelEvaluations() - 1;
        }
        assertEquals(expected, evaluated);
        assertEquals(6, es.get(0).diagnostics().varyingFeatures());
        assertEquals(5, es.get(2).diagnostics().varyingFeatures());
        assertEquals(1, es.get(4).diagnostics().varyingFeatures());
        if (method == Method.PERMUTATION) {
            assertFalse(progress.estimates.isEmpty());
            assertTrue(progress.errors.stream().allMatch(se -> se != null && se.length == m));
        }
    }

    @ParameterizedTest
    @EnumSource(Method.class)
    void cancellingStopsTheExplanation(Method method) {
        int m = 12;
        FunctionModel model = new FunctionModel(m, 1, x -> {
            sleep(1);
            return new double[] {x[0] * x[1]};
        });
        Random r = new Random(12);
        Background bg = randomBackground(r, 50, m);
        ExplainInput input = new ExplainInput(new RowBlock(1, m, random(r, m)), bg, new int[] {0}, Link.IDENTITY, 0);
        RecordingProgress progress = new RecordingProgress();
        // The runs before and 50 ms after the explanation failed, the scheduler still open.
        int[] runs = new int[2];
        // Cancelled once the instance's rows are back and the first chunk is queued.
        PrismException e = assertThrows(PrismException.class, () -> method.explain(input).on(model)
                .batching(BatchingSettings.DEFAULT.withMaxBatchRows(64)).progress(progress).cancelAfterSubmits(2)
                .atEnd(() -> {
                    runs[0] = model.batchSizes().size();
                    sleep(50);
                    runs[1] = model.batchSizes().size();
                }).run());
        assertEquals(Reason.CANCELLED, e.reason());
        assertTrue(runs[1] <= runs[0] + 1, "the model kept running after cancel");
        assertNotEquals(progress.total, progress.done);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
