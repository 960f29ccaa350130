package dev.prism.explain.lime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.batch.BatchingSettings;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.FeatureGroups;
import dev.prism.explain.Link;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.ExplainerRun;
import dev.prism.testing.FunctionModel;
import dev.prism.testing.RecordingProgress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class LimeExplainerTest {
    private static final LimeExplainer EXPLAINER = new LimeExplainer();
    /** Groups {0,1}, {2}, {3,4}, {5} of a 7-element instance; element 6 belongs to none. */
    private static final List<int[]> GROUPS = List.of(new int[] {0, 1}, new int[] {2}, new int[] {3, 4}, new int[] {5});

    private static LimeParams params(int samples, LimeParams.FeatureSelection selection,
                                     LimeParams.Discretizer discretizer) {
        return new LimeParams(samples, 0, selection, discretizer, 0, false, LimeParams.MaskSampling.AUTO, null,
                new int[0]);
    }

    private static LimeParams masking(int samples, LimeParams.MaskSampling sampling) {
        return new LimeParams(samples, 0, LimeParams.FeatureSelection.NONE, LimeParams.Discretizer.QUARTILE, 0, false,
                sampling, null, new int[0]);
    }

    private static LimeParams explicit(RowBlock data, RowBlock inputs, LimeParams.Discretizer discretizer) {
        return new LimeParams(0, 0, LimeParams.FeatureSelection.NONE, discretizer, 0, false,
                LimeParams.MaskSampling.AUTO, new LimeParams.Neighbourhood(data, inputs), new int[0]);
    }

    private static double[] gaussian(Random r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    private static RowBlock rows(int n, int width, double[] data) {
        return new RowBlock(n, width, data);
    }

    private static int[] all(int outputs) {
        int[] o = new int[outputs];
        for (int i = 0; i < outputs; i++) {
            o[i] = i;
        }
        return o;
    }

    private static FeatureGroups groups(int elements) {
        List<String> names = new ArrayList<>();
        for (int g = 0; g < GROUPS.size(); g++) {
            names.add("g" + g);
        }
        return FeatureGroups.of(elements, GROUPS, names);
    }

    private static ExplainInput grouped(double[] x, Background replacement, boolean baseline, int outputs, long seed) {
        return new ExplainInput(rows(1, x.length, x.clone()), replacement, baseline, groups(x.length), all(outputs),
                Link.IDENTITY, seed);
    }

    private static Function<double[], double[]> linear(double c, double[] w) {
        return x -> {
            double y = c;
            for (int j = 0; j < w.length; j++) {
                y += w[j] * x[j];
            }
            return new double[] {y};
        };
    }

    /** A nonlinear two-output model. */
    private static Function<double[], double[]> nonlinear(int m) {
        return x -> {
            double s = 0;
            for (int j = 0; j < m; j++) {
                s += (j + 1) * 0.3 * x[j];
            }
            return new double[] {Math.tanh(s) + x[0] * x[1], 1 / (1 + Math.exp(-s))};
        };
    }

    /**
     * Weighted ridge (α = 1) with an intercept by its textbook definition: centre on the weighted
     * means, solve (XcᵀWXc + I)β = XcᵀWyc by Gaussian elimination. Returns β then the intercept.
     */
    private static double[] ridge(double[][] x, double[] y, double[] w) {
        int n = x.length;
        int m = x[0].length;
        double sw = Arrays.stream(w).sum();
        double[] mx = new double[m];
        double my = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                mx[j] += w[i] * x[i][j] / sw;
            }
            my += w[i] * y[i] / sw;
        }
        double[][] a = new double[m][m + 1];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                for (int k = 0; k < m; k++) {
                    a[j][k] += w[i] * (x[i][j] - mx[j]) * (x[i][k] - mx[k]);
                }
                a[j][m] += w[i] * (x[i][j] - mx[j]) * (y[i] - my);
            }
        }
        for (int j = 0; j < m; j++) {
            a[j][j] += 1;
        }
        for (int p = 0; p < m; p++) {
            for (int r = p + 1; r < m; r++) {
                double f = a[r][p] / a[p][p];
                for (int k = p; k <= m; k++) {
                    a[r][k] -= f * a[p][k];
                }
            }
        }
        double[] out = new double[m + 1];
        for (int p = m - 1; p >= 0; p--) {
            double v = a[p][m];
            for (int k = p + 1; k < m; k++) {
                v -= a[p][k] * out[k];
            }
            out[p] = v / a[p][p];
        }
        out[m] = my;
        for (int j = 0; j < m; j++) {
            out[m] -= out[j] * mx[j];
        }
        return out;
    }

    /** 0: the default width for groups, 0.25; 1e300: far wider than any distance, so every row weighs 1. */
    @ParameterizedTest
    @ValueSource(doubles = {0, 1e300})
    void maskedNeighbourhoodFitsTheRidgeOfTheMaskedModelsValues(double kernelWidth) {
        Random r = new Random(21);
        int elements = 7;
        double[] w = gaussian(r, elements);
        double[] x = gaussian(r, elements);
        Background bg = new Background(rows(3, elements, gaussian(r, 3 * elements)), new double[] {1, 2, 5});
        int n = 40;
        int g = GROUPS.size();
        double[][] z = new double[n][g];
        double[] flat = new double[n * g];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < g; k++) {
                z[i][k] = i == 0 || r.nextBoolean() ? 1 : 0;
                flat[i * g + k] = z[i][k];
            }
        }
        LimeParams params = new LimeParams(0, 0, LimeParams.FeatureSelection.NONE, LimeParams.Discretizer.QUARTILE,
                kernelWidth, false, LimeParams.MaskSampling.AUTO, new LimeParams.Neighbourhood(rows(n, g, flat), null),
                new int[0]);
        Explanation e = ExplainerRun.of(EXPLAINER, grouped(x, bg, false, 1, 0), params)
                .on(new FunctionModel(elements, 1, linear(0.7, w))).run().get(0);
        // The value of a coalition: the model averaged over the background with the kept groups from x.
        double[] y = new double[n];
        double[] weights = new double[n];
        for (int i = 0; i < n; i++) {
            for (int b = 0; b < bg.size(); b++) {
                double[] row = bg.rows().row(b);
                row[6] = x[6];
                for (int k = 0; k < g; k++) {
                    if (z[i][k] == 1) {
                        for (int el : GROUPS.get(k)) {
                            row[el] = x[el];
                        }
                    }
                }
                y[i] += bg.weight(b) * linear(0.7, w).apply(row)[0];
            }
            int ones = (int) Arrays.stream(z[i]).sum();
            double d = ones == 0 ? 1 : 1 - ones / (Math.sqrt(ones) * Math.sqrt(g));
            weights[i] = kernelWidth == 0 ? Math.exp(-d * d / (2 * 0.25 * 0.25)) : 1;
        }
        double[] expected = ridge(z, y, weights);
        assertArrayEquals(Arrays.copyOf(expected, g), e.attributions(), 1e-10);
        assertEquals(expected[g], e.baseValue(), 1e-10);
        assertEquals(linear(0.7, w).apply(x)[0], e.modelOutput(), 1e-12);
        assertEquals(expected[g] + Arrays.stream(Arrays.copyOf(expected, g)).sum(),
                e.diagnostics().surrogate().localPrediction(), 1e-10);
        assertEquals(n, e.diagnostics().coalitions());
        assertEquals((n - 1) * 3L + 1, e.diagnostics().modelEvaluations());
        assertNull(e.standardErrors());
    }

    @ParameterizedTest
    @EnumSource(value = LimeParams.MaskSampling.class, names = {"BERNOULLI", "UNIFORM_COUNT"})
    void maskingALinearModelRecoversEachGroupsContribution(LimeParams.MaskSampling sampling) {
        Random r = new Random(22);
        int elements = 7;
        double[] w = gaussian(r, elements);
        double[] x = gaussian(r, elements);
        double[] base = gaussian(r, elements);
        base[2] = x[2];
        Explanation e = ExplainerRun.of(EXPLAINER, grouped(x, Background.uniform(rows(1, elements, base)), true, 1, 3),
                masking(20_000, sampling)).on(new FunctionModel(elements, 1, linear(-0.4, w))).run().get(0);
        double[] contribution = new double[GROUPS.size()];
        for (int k = 0; k < GROUPS.size(); k++) {
            for (int el : GROUPS.get(k)) {
                contribution[k] += w[el] * (x[el] - base[el]);
            }
        }
        // Exact up to the ridge penalty, which the thousands of samples make small.
        assertArrayEquals(contribution, e.attributions(), 2e-3);
        assertEquals(0.0, e.attributions()[1], "group 1 equals the baseline: no player");
        assertEquals(3, e.diagnostics().varyingFeatures());
        assertTrue(e.diagnostics().surrogate().score() > 0.9999, "score " + e.diagnostics().surrogate().score());
        assertEquals(e.modelOutput(), e.diagnostics().surrogate().localPrediction(), 2e-3);
    }

    @Test
    void continuousModeRecoversAStandardisedLinearModel() {
        Random r = new Random(23);
        int m = 4;
        double[] w = gaussian(r, m);
        double[] bgData = new double[300 * m];
        for (int i = 0; i < 300; i++) {
            for (int j = 0; j < m; j++) {
                bgData[i * m + j] = (j + 1) * r.nextGaussian() + j;
            }
        }
        RowBlock bg = rows(300, m, bgData);
        double[] x = gaussian(r, m);
        Explanation e = ExplainerRun.of(EXPLAINER,
                new ExplainInput(rows(1, m, x), Background.uniform(bg), all(1), Link.IDENTITY, 0),
                params(20_000, LimeParams.FeatureSelection.NONE, LimeParams.Discretizer.NONE))
                .on(new FunctionModel(m, 1, linear(1.5, w))).run().get(0);
        for (int j = 0; j < m; j++) {
            double mean = 0;
            for (int i = 0; i < 300; i++) {
                mean += bg.get(i, j) / 300;
            }
            double var = 0;
            for (int i = 0; i < 300; i++) {
                var += (bg.get(i, j) - mean) * (bg.get(i, j) - mean) / 300;
            }
            double expected = w[j] * Math.sqrt(var);
            assertEquals(expected, e.attributions()[j], 2e-3 * Math.abs(expected) + 1e-9, "feature " + j);
        }
        assertTrue(e.diagnostics().surrogate().score() > 0.9999);
        assertEquals(m, e.diagnostics().varyingFeatures());
    }

    @Test
    void uniformCountMasksBetweenOneAndAllGroupsUniformly() {
        int m = 5;
        List<double[]> seen = new ArrayList<>();
        FunctionModel model = new FunctionModel(m, 1, v -> {
            seen.add(v.clone());
            return new double[] {Arrays.stream(v).sum()};
        });
        double[] x = new double[m];
        Arrays.fill(x, 1);
        List<int[]> singles = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int j = 0; j < m; j++) {
            singles.add(new int[] {j});
            names.add("t" + j);
        }
        for (LimeParams.MaskSampling sampling : new LimeParams.MaskSampling[] {
                LimeParams.MaskSampling.UNIFORM_COUNT, LimeParams.MaskSampling.AUTO}) {
            seen.clear();
            int n = 20_001;
            ExplainInput input = new ExplainInput(rows(1, m, x.clone()), Background.uniform(rows(1, m, new double[m])),
                    true, FeatureGroups.of(m, singles, names), all(1), Link.IDENTITY, 5);
            ExplainerRun.of(EXPLAINER, input, masking(n, sampling)).on(model).run();
            // The instance and the baseline come first, then one row per sample.
            List<double[]> samples = seen.subList(2, seen.size());
            assertEquals(n - 1, samples.size());
            int[] masked = new int[m + 1];
            for (double[] s : samples) {
                masked[m - (int) Arrays.stream(s).sum()]++;
            }
            for (int k = 0; k <= m; k++) {
                double p = sampling == LimeParams.MaskSampling.UNIFORM_COUNT ? (k == 0 ? 0 : 1.0 / m)
                        : binomial(m, k) / Math.pow(2, m);
                double sd = Math.sqrt(p * (1 - p) / (n - 1));
                assertEquals(p, (double) masked[k] / (n - 1), 5 * sd + 1e-12, sampling + ": " + k + " masked");
            }
        }
    }

    private static double binomial(int n, int k) {
        double c = 1;
        for (int i = 0; i < k; i++) {
            c = c * (n - i) / (i + 1);
        }
        return c;
    }

    private static ExplainerRun<List<Explanation>> tabular(FunctionModel model, RowBlock x, RowBlock bg, long seed) {
        return ExplainerRun.of(EXPLAINER, new ExplainInput(x, Background.uniform(bg), all(2), Link.IDENTITY, seed),
                params(300, LimeParams.FeatureSelection.AUTO, LimeParams.Discretizer.QUARTILE)).on(model);
    }

    private static ExplainerRun<List<Explanation>> masked(FunctionModel model, RowBlock x, RowBlock bg, long seed) {
        List<String> names = List.of("g0", "g1", "g2", "g3");
        ExplainInput input = new ExplainInput(x, Background.uniform(bg), false, FeatureGroups.of(7, GROUPS, names),
                all(2), Link.IDENTITY, seed);
        return ExplainerRun.of(EXPLAINER, input, masking(200, LimeParams.MaskSampling.BERNOULLI)).on(model);
    }

    private interface Run {
        ExplainerRun<List<Explanation>> of(FunctionModel model, RowBlock x, RowBlock bg, long seed);
    }

    private static void assertSame(List<Explanation> a, List<Explanation> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).attributions(), b.get(i).attributions(), 0.0);
            assertEquals(a.get(i).baseValue(), b.get(i).baseValue(), 0.0);
            assertEquals(a.get(i).diagnostics().surrogate(), b.get(i).diagnostics().surrogate());
        }
    }

    @Test
    void sameSeedSameResultsWhateverTheBatchSizeAndAnotherSeedDiffers() {
        Random r = new Random(24);
        int m = 7;
        FunctionModel model = new FunctionModel(m, 2, nonlinear(m));
        RowBlock x = rows(3, m, gaussian(r, 3 * m));
        RowBlock bg = rows(40, m, gaussian(r, 40 * m));
        for (boolean masking : new boolean[] {false, true}) {
            Run run = masking ? LimeExplainerTest::masked : LimeExplainerTest::tabular;
            RowBlock background = masking ? bg.slice(0, 3) : bg;
            List<Explanation> reference = run.of(model, x, background, 11).run();
            assertEquals(6, reference.size());
            for (int i = 0; i < 6; i++) {
                assertEquals(i / 2, reference.get(i).instance());
                assertEquals(i % 2, reference.get(i).output());
            }
            for (int rowsPerBatch : new int[] {1, 7, 4096}) {
                List<Explanation> es = run.of(model, x, background, 11)
                        .batching(BatchingSettings.DEFAULT.withMaxBatchRows(rowsPerBatch)).run();
                assertSame(reference, es);
            }
            List<Explanation> other = run.of(model, x, background, 12).run();
            assertFalse(Arrays.equals(reference.get(0).attributions(), other.get(0).attributions()));
        }
    }

    @Test
    void progressCountsEveryModelRowAndReachesTheTotal() {
        Random r = new Random(25);
        int m = 7;
        RowBlock x = rows(3, m, gaussian(r, 3 * m));
        RowBlock bg = rows(5, m, gaussian(r, 5 * m));
        FunctionModel tabularModel = new FunctionModel(m, 2, nonlinear(m));
        RecordingProgress progress = new RecordingProgress();
        tabular(tabularModel, x, bg, 0).progress(progress).run();
        assertEquals(3 * 300, progress.total);
        assertEquals(progress.total, progress.done);
        assertEquals(progress.done, tabularModel.batchSizes().stream().mapToLong(Integer::longValue).sum());

        FunctionModel maskedModel = new FunctionModel(m, 2, nonlinear(m));
        progress = new RecordingProgress();
        masked(maskedModel, x, bg, 0).progress(progress).run();
        // Element 6 is in no group, so each instance evaluates its own empty coalition (5 rows).
        assertEquals(3 + 3 * 5 + 3 * 199 * 5, progress.total);
        assertEquals(progress.total, progress.done);
        assertEquals(progress.done, maskedModel.batchSizes().stream().mapToLong(Integer::longValue).sum());
    }

    @Test
    void manyInstancesShareTheRunnerAndKeepTheirOrder() {
        Random r = new Random(26);
        int m = 3;
        FunctionModel model = new FunctionModel(m, 2, nonlinear(m));
        int n = 70;
        RowBlock x = rows(n, m, gaussian(r, n * m));
        RowBlock bg = rows(30, m, gaussian(r, 30 * m));
        List<Explanation> es = tabular(model, x, bg, 0).run();
        assertEquals(2 * n, es.size());
        for (int i = 0; i < n; i++) {
            Explanation e = es.get(2 * i + 1);
            assertEquals(i, e.instance());
            assertEquals(nonlinear(m).apply(x.row(i))[1], e.modelOutput(), 1e-12);
            assertEquals(300, e.diagnostics().modelEvaluations());
        }
    }

    @Test
    void logitLinkExplainsLogOdds() {
        Random r = new Random(27);
        int m = 3;
        FunctionModel model = new FunctionModel(m, 2, nonlinear(m));
        double[] x = gaussian(r, m);
        Background bg = Background.uniform(rows(20, m, gaussian(r, 20 * m)));
        ExplainInput input = new ExplainInput(rows(1, m, x.clone()), bg, new int[] {1}, Link.LOGIT, 0);
        Explanation e = ExplainerRun.of(EXPLAINER, input, LimeParams.DEFAULTS).on(model).run().get(0);
        double p = nonlinear(m).apply(x)[1];
        assertEquals(1, e.output());
        assertEquals(Math.log(p / (1 - p)), e.modelOutput(), 1e-12);
        assertEquals(LimeParams.DEFAULT_TABULAR_SAMPLES, e.diagnostics().modelEvaluations());
        long nonZero = Arrays.stream(e.attributions()).filter(a -> a != 0).count();
        assertTrue(nonZero <= m);
    }

    private static void assertRefused(ExplainInput input, LimeParams params, Reason reason, String field) {
        PrismException e = assertThrows(PrismException.class, () -> EXPLAINER.validate(input, params));
        assertEquals(reason, e.reason());
        assertEquals(field, e.violations().get(0).field());
    }

    @Test
    void invalidParametersAreRefused() {
        int m = 3;
        ExplainInput input = new ExplainInput(rows(1, m, new double[] {1, 2, 3}),
                Background.uniform(rows(2, m, new double[] {0, 0, 0, 1, 1, 1})), all(1), Link.IDENTITY, 0);
        LimeParams.FeatureSelection auto = LimeParams.FeatureSelection.AUTO;
        assertRefused(input, params(1, auto, LimeParams.Discretizer.QUARTILE), Reason.INVALID_PARAMS,
                "lime.num_samples");
        assertRefused(input, params(LimeParams.MAX_SAMPLES + 1, auto, LimeParams.Discretizer.QUARTILE),
                Reason.INVALID_PARAMS, "lime.num_samples");
        assertRefused(input, new LimeParams(0, LimeParams.MAX_FEATURES + 1, auto, LimeParams.Discretizer.QUARTILE, 0,
                false, LimeParams.MaskSampling.AUTO, null, new int[0]), Reason.INVALID_PARAMS, "lime.num_features");
        assertRefused(input, new LimeParams(0, 0, auto, LimeParams.Discretizer.QUARTILE, Double.NaN, false,
                LimeParams.MaskSampling.AUTO, null, new int[0]), Reason.INVALID_PARAMS, "lime.kernel_width");
        assertRefused(input, LimeParams.DEFAULTS.withCategoricalFeatures(new int[] {3}), Reason.INVALID_PARAMS,
                "lime.categorical_features");
        EXPLAINER.validate(input, LimeParams.DEFAULTS);
        EXPLAINER.validate(input, params(2, auto, LimeParams.Discretizer.QUARTILE));
    }

    @Test
    void theKernelWeighsTheInstanceOneWhateverTheWidth() {
        assertEquals(Math.exp(-1.125), LimeSurrogate.kernel(3, 2), 0);
        assertEquals(1.0, LimeSurrogate.kernel(0, 1e-200), 0, "w² underflows to 0, yet d = 0 weighs 1, not 0/0");
        assertEquals(1.0, LimeSurrogate.kernel(0, Double.MIN_VALUE), 0);
        assertEquals(0.0, LimeSurrogate.kernel(1e-190, 1e-200), 0);
        assertEquals(1.0, LimeSurrogate.kernel(5, 1e300), 0, "w² overflows, every row weighs 1");
    }

    /**
     * Widths under which every sample but the instance weighs 0 (tabular indicators differ by at
     * least 1, three varying groups by a cosine distance of at least 1 − √(2/3)) leave the
     * surrogate nothing to fit: the request is refused, naming the width, not answered with NaN
     * weights or zero attributions.
     */
    @ParameterizedTest
    @ValueSource(doubles = {1e-200, Double.MIN_VALUE, 1e-3})
    void aKernelTooNarrowForEverySampleIsRefused(double kernelWidth) {
        int m = 3;
        Random r = new Random(24);
        ExplainInput tabular = new ExplainInput(rows(1, m, new double[] {0.5, -1, 2}),
                Background.uniform(rows(50, m, gaussian(r, 50 * m))), all(1), Link.IDENTITY, 0);
        double[] x = gaussian(r, 7);
        double[] base = gaussian(r, 7);
        base[2] = x[2];
        ExplainInput masked = grouped(x, Background.uniform(rows(1, 7, base)), true, 1, 0);
        for (ExplainInput input : List.of(tabular, masked)) {
            int width = input.instances().width();
            LimeParams params = new LimeParams(200, 0, LimeParams.FeatureSelection.AUTO,
                    LimeParams.Discretizer.QUARTILE, kernelWidth, false, LimeParams.MaskSampling.AUTO, null, new int[0]);
            FunctionModel model = new FunctionModel(width, 1, linear(0.3, gaussian(r, width)));
            PrismException e = assertThrows(PrismException.class,
                    () -> ExplainerRun.of(EXPLAINER, input, params).on(model).run());
            assertEquals(Reason.INVALID_PARAMS, e.reason());
            assertEquals("lime.kernel_width", e.violations().get(0).field());
            assertTrue(e.getMessage().contains("gives weight 0 to every sample but the instance"), e.getMessage());
        }
    }

    @Test
    void tabularLimeRefusesABaseline() {
        int m = 3;
        ExplainInput input = new ExplainInput(rows(1, m, new double[] {1, 2, 3}),
                Background.uniform(rows(1, m, new double[3])), true,
                FeatureGroups.singletons(List.of("a", "b", "c")), all(1), Link.IDENTITY, 0);
        assertRefused(input, LimeParams.DEFAULTS, Reason.INVALID_PARAMS, "baseline");
    }

    @Test
    void explicitNeighbourhoodsAreChecked() {
        int m = 3;
        double[] x = {1, 2, 3};
        Background bg = Background.uniform(rows(2, m, new double[] {0, 0, 0, 1, 1, 1}));
        ExplainInput one = new ExplainInput(rows(1, m, x.clone()), bg, all(1), Link.IDENTITY, 0);
        ExplainInput two = new ExplainInput(rows(2, m, new double[] {1, 2, 3, 4, 5, 6}), bg, all(1), Link.IDENTITY, 0);
        RowBlock data = rows(2, m, new double[] {1, 1, 1, 0, 1, 0});
        RowBlock inputs = rows(2, m, new double[] {1, 2, 3, 0.5, 2, 0.5});
        LimeParams.Discretizer quartile = LimeParams.Discretizer.QUARTILE;
        EXPLAINER.validate(one, explicit(data, inputs, quartile));
        assertRefused(two, explicit(data, inputs, quartile), Reason.INVALID_PARAMS, "lime.neighbourhood");
        assertRefused(one, explicit(data, null, quartile), Reason.INVALID_PARAMS, "lime.neighbourhood.inputs");
        assertRefused(one, explicit(rows(2, m, new double[] {1, 0, 1, 0, 1, 0}), inputs, quartile),
                Reason.INVALID_PARAMS, "lime.neighbourhood.data");
        assertRefused(one, explicit(rows(2, m, new double[] {1, 1, 1, 0.5, 1, 0}), inputs, quartile),
                Reason.INVALID_PARAMS, "lime.neighbourhood.data");
        assertRefused(one, explicit(data, rows(2, m, new double[] {1, 2, 4, 0, 0, 0}), quartile),
                Reason.INVALID_PARAMS, "lime.neighbourhood.inputs");
        // Continuous mode: row 0 holds the instance's values.
        EXPLAINER.validate(one, explicit(inputs, inputs, LimeParams.Discretizer.NONE));
        assertRefused(one, explicit(data, inputs, LimeParams.Discretizer.NONE), Reason.INVALID_PARAMS,
                "lime.neighbourhood.data");
        ExplainInput grouped = grouped(new double[7], Background.uniform(rows(1, 7, new double[7])), true, 1, 0);
        assertRefused(grouped, explicit(data, null, quartile), Reason.INVALID_PARAMS, "lime.neighbourhood.data");
        EXPLAINER.validate(grouped, explicit(rows(2, 4, new double[] {1, 1, 1, 1, 0, 1, 0, 0}), null, quartile));
    }
}
