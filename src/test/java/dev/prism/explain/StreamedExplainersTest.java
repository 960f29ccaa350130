package dev.prism.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.lime.LimeExplainer;
import dev.prism.explain.lime.LimeParams;
import dev.prism.explain.shap.ExactShapleyExplainer;
import dev.prism.explain.shap.ExactShapleyParams;
import dev.prism.explain.shap.KernelShapExplainer;
import dev.prism.explain.shap.KernelShapParams;
import dev.prism.explain.shap.PermutationShapExplainer;
import dev.prism.explain.shap.PermutationShapParams;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.ExplainerRun;
import dev.prism.testing.FunctionModel;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The perturbation explainers through their row stream: each stops at its cancellation before its
 * next chunk, and those that can answer from fewer rows answer at their time budget exactly as a
 * request for that many rows would. The time here is the rows that came back, so where the budget
 * runs out is known.
 */
class StreamedExplainersTest {
    private static final int ELEMENTS = 8;
    private static final int BACKGROUND = 200;
    private static final List<int[]> PAIRS = List.of(new int[] {0, 1}, new int[] {2, 3}, new int[] {4, 5},
            new int[] {6, 7});

    private static double[] model(double[] x) {
        double s = x[0] * x[1];
        for (int i = 2; i < x.length; i++) {
            s += Math.sin(x[i] * (i + 1));
        }
        return new double[] {s, x[0] - x[2] * x[3]};
    }

    private static FunctionModel model() {
        return new FunctionModel(ELEMENTS, 2, StreamedExplainersTest::model);
    }

    /** The explainer on a model of its own, each submitted block run at once. */
    private static <P> ExplainerRun<List<Explanation>> synchronous(Explainer<P> explainer, ExplainInput input,
                                                                   P params) {
        return ExplainerRun.of(explainer, input, params).on(model()).synchronously();
    }

    private static RowBlock gaussian(Random r, int rows) {
        double[] v = new double[rows * ELEMENTS];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian();
        }
        return new RowBlock(rows, ELEMENTS, v);
    }

    private static ExplainInput tabular(int instances) {
        Random r = new Random(instances);
        return new ExplainInput(gaussian(r, instances), Background.uniform(gaussian(r, BACKGROUND)),
                new int[] {1, 0}, Link.IDENTITY, 7);
    }

    private static ExplainInput grouped(int instances) {
        Random r = new Random(instances);
        return new ExplainInput(gaussian(r, instances), Background.uniform(gaussian(r, BACKGROUND)), false,
                FeatureGroups.of(ELEMENTS, PAIRS, List.of("a", "b", "c", "d")), new int[] {1, 0}, Link.IDENTITY, 7);
    }

    private static LimeParams lime(int samples) {
        return new LimeParams(samples, 0, LimeParams.FeatureSelection.AUTO, LimeParams.Discretizer.QUARTILE, 0, false,
                LimeParams.MaskSampling.AUTO, null, new int[0]);
    }

    private static PermutationShapParams permutations(int n) {
        return new PermutationShapParams(0, n);
    }

    /** An explainer with its parameters and an input of many chunks, on the model, synchronously. */
    enum Method {
        KERNEL_SHAP {
            @Override
            ExplainerRun<List<Explanation>> explain() {
                return ExplainerRun.of(new KernelShapExplainer(), tabular(1), KernelShapParams.DEFAULTS);
            }
        },
        PERMUTATION_SHAP {
            @Override
            ExplainerRun<List<Explanation>> explain() {
                return ExplainerRun.of(new PermutationShapExplainer(), tabular(1), PermutationShapParams.DEFAULTS);
            }
        },
        EXACT_SHAPLEY {
            @Override
            ExplainerRun<List<Explanation>> explain() {
                return ExplainerRun.of(new ExactShapleyExplainer(), tabular(1), ExactShapleyParams.DEFAULTS);
            }
        },
        /** Ten instances: one chunk each. */
        LIME_TABULAR {
            @Override
            ExplainerRun<List<Explanation>> explain() {
                return ExplainerRun.of(new LimeExplainer(), tabular(10), lime(0));
            }
        },
        LIME_MASKED {
            @Override
            ExplainerRun<List<Explanation>> explain() {
                return ExplainerRun.of(new LimeExplainer(), grouped(1), lime(0));
            }
        };

        abstract ExplainerRun<List<Explanation>> explain();

        ExplainerRun<List<Explanation>> on(FunctionModel model) {
            return explain().on(model).synchronously();
        }
    }

    @ParameterizedTest
    @EnumSource(Method.class)
    void aCancellationStopsTheRowsBeforeTheNextChunk(Method method) {
        FunctionModel whole = model();
        method.on(whole).run();
        assertTrue(whole.batchSizes().size() > 3, "the request has several chunks: " + whole.batchSizes());

        // Submit 1 holds the instances (and the replacement rows); the cancellation comes with the first chunk.
        FunctionModel cancelled = model();
        PrismException e = assertThrows(PrismException.class, () -> method.on(cancelled).cancelAfterSubmits(2).run());
        assertEquals(Reason.CANCELLED, e.reason());
        assertEquals(whole.batchSizes().subList(0, 2), cancelled.batchSizes(),
                "nothing went out after the cancellation");
    }

    /** The same instance's explanations (one per output) in two answers, to the last bit. */
    private static void assertSameInstance(List<Explanation> expected, List<Explanation> actual, int instance) {
        for (int k = 0; k < 2; k++) {
            Explanation a = expected.get(2 * instance + k);
            Explanation b = actual.get(2 * instance + k);
            String what = "instance " + instance + ", output " + a.output();
            assertEquals(a.instance(), b.instance());
            assertEquals(a.output(), b.output());
            assertArrayEquals(a.attributions(), b.attributions(), 0.0, what);
            assertArrayEquals(a.standardErrors(), b.standardErrors(), 0.0, what);
            assertEquals(a.baseValue(), b.baseValue(), 0.0, what);
            assertEquals(a.modelOutput(), b.modelOutput(), 0.0, what);
            assertEquals(a.diagnostics().modelEvaluations(), b.diagnostics().modelEvaluations(), what);
            assertEquals(a.diagnostics().coalitions(), b.diagnostics().coalitions(), what);
            assertEquals(a.diagnostics().surrogate(), b.diagnostics().surrogate(), what);
        }
    }

    @Test
    void permutationShapAtItsTimeBudgetAnswersFromItsWholePermutationsAsAShorterRequestWould() {
        PermutationShapExplainer explainer = new PermutationShapExplainer();
        ExplainInput input = tabular(2);
        // The instances and the background, then three chunks of 81 coalitions x 200 rows.
        ExplainerRun<List<Explanation>> timed = synchronous(explainer, input, permutations(40))
                .budgetOfRows(2 + BACKGROUND + 3 * 81 * BACKGROUND);
        List<Explanation> partial = timed.run();
        assertTrue(timed.partial());
        long perPermutation = PermutationShapParams.coalitionsPerPermutation(ELEMENTS);
        for (int i = 0; i < 2; i++) {
            long coalitions = partial.get(2 * i).diagnostics().coalitions();
            assertEquals(0, coalitions % perPermutation, "whole permutations only");
            int completed = (int) (coalitions / perPermutation);
            // Taking turns, each instance had some of its 40 permutations and neither had them all.
            assertTrue(completed >= 5 && completed < 40, "instance " + i + ": " + completed + " permutations");
            List<Explanation> shorter = synchronous(explainer, input, permutations(completed)).run();
            assertSameInstance(shorter, partial, i);
        }
    }

    @Test
    void tabularLimeAtItsTimeBudgetFitsTheSamplesItHadAsAShorterRequestWould() {
        LimeExplainer explainer = new LimeExplainer();
        ExplainInput input = tabular(3);
        // The instances, then four chunks of 1,024 samples, the instances taking turns.
        ExplainerRun<List<Explanation>> timed = synchronous(explainer, input, lime(3000)).budgetOfRows(3 + 4 * 1024);
        List<Explanation> partial = timed.run();
        assertTrue(timed.partial());
        int[] samples = new int[3];
        for (int i = 0; i < 3; i++) {
            samples[i] = (int) partial.get(2 * i).diagnostics().coalitions();
            List<Explanation> shorter = synchronous(explainer, input, lime(samples[i])).run();
            assertSameInstance(shorter, partial, i);
        }
        // Each has the instance itself and its chunks: the first instance two, the others one.
        assertArrayEquals(new int[] {1 + 2 * 1024, 1 + 1024, 1 + 1024}, samples);
    }

    @Test
    void maskedLimeAtItsTimeBudgetFitsTheSamplesItHadAsAShorterRequestWould() {
        LimeExplainer explainer = new LimeExplainer();
        ExplainInput input = grouped(2);
        // The instances and the background, then two chunks of 81 coalitions x 200 rows.
        ExplainerRun<List<Explanation>> timed = synchronous(explainer, input, lime(600))
                .budgetOfRows(2 + BACKGROUND + 2 * 81 * BACKGROUND);
        List<Explanation> partial = timed.run();
        assertTrue(timed.partial());
        long total = 0;
        for (int i = 0; i < 2; i++) {
            int samples = (int) partial.get(2 * i).diagnostics().coalitions();
            total += samples - 1;
            assertTrue(samples > 32 && samples < 600, "instance " + i + ": " + samples + " samples");
            List<Explanation> shorter = synchronous(explainer, input, lime(samples)).run();
            assertSameInstance(shorter, partial, i);
        }
        assertEquals(2 * 81, total, "every coalition that came back is in an answer");
    }

    @Test
    void limeFailsWhenTheBudgetRunsOutBeforeEveryInstanceHasSamples() {
        // Spent with the first chunk, which is the first instance's.
        ExplainerRun<List<Explanation>> timed = synchronous(new LimeExplainer(), tabular(3), lime(3000))
                .budgetOfRows(3 + 1);
        PrismException e = assertThrows(PrismException.class, timed::run);
        assertEquals(Reason.DEADLINE_EXCEEDED, e.reason());
        assertTrue(e.getMessage().contains("(2 of 3 had none, the first being instance 1)"), e.getMessage());
        assertFalse(timed.partial());
    }

    @Test
    void exactShapleyHasNoAnswerBeforeItsEndSoItIgnoresTheBudget() {
        ExplainerRun<List<Explanation>> run = synchronous(new ExactShapleyExplainer(), tabular(2),
                ExactShapleyParams.DEFAULTS);
        List<Explanation> timed = run.budgetOfRows(2 + BACKGROUND + 1).run();
        assertFalse(run.partial());
        List<Explanation> whole = run.budget(TimeBudget.NONE).run();
        assertSameInstance(whole, timed, 0);
        assertSameInstance(whole, timed, 1);
    }

    /** Taking turns under a budget changes the order rows go out in, never the answer. */
    @ParameterizedTest
    @EnumSource(value = Method.class, names = {"PERMUTATION_SHAP", "LIME_TABULAR", "LIME_MASKED"})
    void aBudgetThatSufficesGivesTheAnswerWithoutOne(Method method) {
        ExplainerRun<List<Explanation>> ample = method.on(model()).budgetOfRows(Long.MAX_VALUE);
        List<Explanation> timed = ample.run();
        assertFalse(ample.partial());
        List<Explanation> whole = method.on(model()).run();
        assertEquals(whole.size(), timed.size());
        for (int i = 0; i < whole.size() / 2; i++) {
            assertSameInstance(whole, timed, i);
        }
    }
}
