package dev.prism.explain.shap;

import static dev.prism.explain.shap.Games.random;
import static dev.prism.explain.shap.Games.randomBackground;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.Link;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.ExplainerRun;
import dev.prism.testing.FunctionModel;
import dev.prism.testing.Shapley;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PermutationShapExplainerTest {
    private final PermutationShapExplainer explainer = new PermutationShapExplainer();

    /** The same instance n times: each copy draws its own permutations, as another seed would. */
    private List<Explanation> repeated(FunctionModel model, double[] x, int n, Background bg,
                                       PermutationShapParams params) {
        double[] rows = new double[n * x.length];
        for (int i = 0; i < n; i++) {
            System.arraycopy(x, 0, rows, i * x.length, x.length);
        }
        ExplainInput input = Games.input(model, new RowBlock(n, x.length, rows), bg, Link.IDENTITY, 5);
        return ExplainerRun.of(explainer, input, params).on(model).run();
    }

    /** The estimator is unbiased: the mean of 200 runs is within 4 of its standard errors of the truth. */
    @Test
    void theMeanOverManyRunsConvergesToTheExactValues() {
        int m = 6;
        int runs = 200;
        Random r = new Random(60);
        Function<double[], double[]> f = Games.nonlinear(r, m);
        FunctionModel model = new FunctionModel(m, 2, f);
        Background bg = randomBackground(r, 3, m);
        double[] x = random(r, m);
        double[][] exact = Shapley.bruteForce(f, x, bg, 2, v -> v);
        List<Explanation> es = repeated(model, x, runs, bg, PermutationShapParams.DEFAULTS);
        for (int d = 0; d < 2; d++) {
            for (int i = 0; i < m; i++) {
                double mean = 0;
                double se = 0;
                double single = 0;
                for (int n = 0; n < runs; n++) {
                    Explanation e = es.get(2 * n + d);
                    mean += e.attributions()[i] / runs;
                    se += e.standardErrors()[i] / runs;
                    single += Math.abs(e.attributions()[i] - exact[d][i]) / runs;
                }
                double error = Math.abs(mean - exact[d][i]);
                assertTrue(se > 0);
                assertTrue(error < 4 * se / Math.sqrt(runs),
                        "output " + d + " feature " + i + ": error " + error + ", mean se " + se);
                assertTrue(error < single / 3, "averaging did not help: " + error + " vs " + single);
            }
        }
    }

    @Test
    void standardErrorsCoverTheActualErrors() {
        int m = 10;
        Random r = new Random(10);
        Function<double[], double[]> f = Games.nonlinear(r, m);
        FunctionModel model = new FunctionModel(m, 2, f);
        Background bg = randomBackground(r, 3, m);
        double[] x = random(r, m);
        double[] exact = Shapley.bruteForce(f, x, bg, 2, v -> v)[0];
        List<Explanation> es = repeated(model, x, 30, bg, new PermutationShapParams(0, 10));
        int within = 0;
        int total = 0;
        for (int n = 0; n < 30; n++) {
            Explanation e = es.get(2 * n);
            for (int i = 0; i < m; i++) {
                double se = e.standardErrors()[i];
                assertTrue(se > 0, "feature " + i);
                within += Math.abs(e.attributions()[i] - exact[i]) <= 2.5 * se ? 1 : 0;
                total++;
            }
        }
        assertTrue(within >= 0.8 * total, within + " of " + total + " within 2.5 standard errors");
    }

    /** REFERENCE §8.5: the forward and backward passes cancel every interaction of order 2. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void oneAntitheticPermutationIsExactForInteractionsOfOrderTwo(boolean addTriple) {
        int m = 10;
        Random r = new Random(110);
        Function<double[], double[]> f = Games.orderTwo(r, m, addTriple);
        FunctionModel model = new FunctionModel(m, 1, f);
        Background bg = randomBackground(r, 1, m);
        double[] x = random(r, m);
        double[] exact = Shapley.bruteForce(f, x, bg, 1, v -> v)[0];
        List<Explanation> es = repeated(model, x, 5, bg, new PermutationShapParams(0, 1));
        double worst = 0;
        for (Explanation e : es) {
            assertNull(e.standardErrors(), "one permutation has no spread");
            assertEquals(2L * m - 2, e.diagnostics().coalitions());
            for (int i = 0; i < m; i++) {
                worst = Math.max(worst, Math.abs(e.attributions()[i] - exact[i]));
            }
        }
        if (addTriple) {
            assertTrue(worst > 1e-6, "a third-order term should break exactness");
        } else {
            assertTrue(worst < 1e-12, "error " + worst);
        }
    }

    @Test
    void twoPlayersAreExactFromEveryPermutation() {
        FunctionModel model = new FunctionModel(2, 1, x -> new double[] {Math.exp(x[0]) * x[1] + x[0]});
        Background bg = Background.uniform(new RowBlock(2, 2, new double[] {0, 0, 1, -1}));
        double[] x = {0.5, 2};
        Explanation e = ExplainerRun.of(explainer, Games.input(model, x, bg, Link.IDENTITY, 4),
                PermutationShapParams.DEFAULTS).on(model).run().get(0);
        double[] exact = Shapley.bruteForce(v -> new double[] {Math.exp(v[0]) * v[1] + v[0]}, x, bg, 1, v -> v)[0];
        assertArrayEquals(exact, e.attributions(), 1e-12);
        assertArrayEquals(new double[2], e.standardErrors(), 1e-12);
    }

    @Test
    void permutationsFollowShapsBudgetAndEachCosts2MMinus2Coalitions() {
        int m = 8;
        Random r = new Random(8);
        FunctionModel model = new FunctionModel(m, 1, x -> new double[] {x[0] * x[1] + x[7]});
        Background bg = randomBackground(r, 2, m);
        double[] x = random(r, m);
        // 500 / 17 = 29 permutations; at least 2; or exactly as many as asked.
        long[][] cases = {{0, 0, 29}, {10, 0, 2}, {1000, 0, 58}, {500, 3, 3}};
        for (long[] c : cases) {
            PermutationShapParams params = new PermutationShapParams(c[0], (int) c[1]);
            assertEquals(c[2], params.permutations(m));
            Explanation e = ExplainerRun.of(explainer, Games.input(model, x, bg, Link.IDENTITY, 0), params).on(model)
                    .run().get(0);
            assertEquals(c[2] * 14, e.diagnostics().coalitions());
            assertEquals(c[2] * 14 * 2 + 1, e.diagnostics().modelEvaluations());
            assertFalse(e.diagnostics().exact());
        }
    }

    /** The request's estimate bounds what any instance evaluates, whichever of its features vary. */
    @ParameterizedTest
    @ValueSource(longs = {0, 10, 100, 5000})
    void evaluationsNeededIsAnUpperBoundForEveryNumberOfVaryingFeatures(long maxEvals) {
        int features = 100;
        ExplainInput input = new ExplainInput(new RowBlock(1, features, new double[features]),
                Background.uniform(new RowBlock(3, features, new double[3 * features])), new int[] {0},
                Link.IDENTITY, 0);
        PermutationShapParams params = new PermutationShapParams(maxEvals, 0);
        long needed = explainer.evaluationsNeeded(input, params);
        for (int m = 2; m <= features; m++) {
            long rows = params.permutations(m) * PermutationShapParams.coalitionsPerPermutation(m) * 3 + 1 + 3;
            assertTrue(rows <= needed, "M = " + m + ": " + rows + " > " + needed);
        }
    }

    @Test
    void parametersOutOfRangeAreRefused() {
        ExplainInput input = new ExplainInput(new RowBlock(1, 3, new double[3]),
                Background.uniform(new RowBlock(1, 3, new double[] {1, 1, 1})), new int[] {0}, Link.IDENTITY, 0);
        Object[][] bad = {
                {new PermutationShapParams(-1, 0), "permutation_shap.max_evals"},
                {new PermutationShapParams(PermutationShapParams.MAX_MAX_EVALS + 1, 0), "permutation_shap.max_evals"},
                {new PermutationShapParams(0, -1), "permutation_shap.npermutations"},
                {new PermutationShapParams(0, PermutationShapParams.MAX_NPERMUTATIONS + 1),
                        "permutation_shap.npermutations"}};
        for (Object[] c : bad) {
            PrismException e = assertThrows(PrismException.class,
                    () -> explainer.validate(input, (PermutationShapParams) c[0]));
            assertEquals(Reason.INVALID_PARAMS, e.reason());
            assertEquals(c[1], e.violations().get(0).field());
        }
        explainer.validate(input, new PermutationShapParams(PermutationShapParams.MAX_MAX_EVALS,
                PermutationShapParams.MAX_NPERMUTATIONS));
    }
}
