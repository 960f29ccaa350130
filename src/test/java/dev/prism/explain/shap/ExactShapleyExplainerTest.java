package dev.prism.explain.shap;

import static dev.prism.explain.shap.Games.random;
import static dev.prism.explain.shap.Games.randomBackground;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.prism.testing.Shapley;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ExactShapleyExplainerTest {
    private final ExactShapleyExplainer explainer = new ExactShapleyExplainer();

    static Stream<Arguments> sizesAndLinks() {
        List<Arguments> cases = new ArrayList<>();
        for (int m = 2; m <= 10; m++) {
            for (Link link : Link.values()) {
                cases.add(Arguments.of(m, link));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("sizesAndLinks")
    void equalsBruteForceShapleyForEveryInstanceAndOutput(int m, Link link) {
        Random r = new Random(m * 31L + link.ordinal());
        Function<double[], double[]> f = Games.nonlinear(r, m);
        FunctionModel model = new FunctionModel(m, 2, f);
        Background bg = randomBackground(r, 4, m);
        RowBlock x = new RowBlock(2, m, random(r, 2 * m));
        Function<Double, Double> brute = link == Link.LOGIT ? Games::logit : v -> v;
        List<Explanation> es = ExplainerRun.of(explainer, Games.input(model, x, bg, link, 0), ExactShapleyParams.DEFAULTS)
                .on(model).run();
        assertEquals(4, es.size());
        for (int n = 0; n < 2; n++) {
            double[] row = x.row(n);
            double[][] exact = Shapley.bruteForce(f, row, bg, 2, brute);
            for (int d = 0; d < 2; d++) {
                Explanation e = es.get(2 * n + d);
                assertEquals(n, e.instance());
                assertEquals(d, e.output());
                assertArrayEquals(exact[d], e.attributions(), 1e-12, "instance " + n + " output " + d);
                assertEquals(link.apply(f.apply(row)[d]), e.modelOutput(), 1e-15);
                assertNull(e.standardErrors());
                assertTrue(e.diagnostics().exact());
                assertEquals((1L << m) - 2, e.diagnostics().coalitions());
                assertEquals(((1L << m) - 2) * 4 + 1, e.diagnostics().modelEvaluations());
                assertEquals(m, e.diagnostics().varyingFeatures());
            }
        }
    }

    /** 2^16 − 2 coalitions with one background row span several of the game's chunks. */
    @Test
    void manyCoalitionsStreamThroughSeveralChunks() {
        int m = 16;
        Random r = new Random(16);
        Function<double[], double[]> f = Games.nonlinear(r, m);
        FunctionModel model = new FunctionModel(m, 2, f);
        Background bg = randomBackground(r, 1, m);
        double[] x = random(r, m);
        List<Explanation> es = ExplainerRun.of(explainer, Games.input(model, x, bg, Link.IDENTITY, 0),
                ExactShapleyParams.DEFAULTS).on(model).run();
        double[][] exact = Shapley.bruteForce(f, x, bg, 2, v -> v);
        for (int d = 0; d < 2; d++) {
            assertArrayEquals(exact[d], es.get(d).attributions(), 1e-12);
        }
        assertTrue(model.batchSizes().size() > 2, "batches " + model.batchSizes());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void featureGroupsArePlayers(int rows) {
        assertEqualsGroupBruteForce(rows, new int[][] {{0, 3}, {1, 2, 5, 6}, {4}, {8, 7}});
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void ungroupedElementsKeepTheInstancesValuesInEveryCoalition(int rows) {
        assertEqualsGroupBruteForce(rows, new int[][] {{0, 3}, {1, 2, 5}, {4}, {8, 7}});
    }

    private void assertEqualsGroupBruteForce(int rows, int[][] groups) {
        int elements = 9;
        Random r = new Random(90 + rows);
        Function<double[], double[]> f = Games.nonlinear(r, elements);
        FunctionModel model = new FunctionModel(elements, 2, f);
        Background bg = randomBackground(r, rows, elements);
        double[] x = random(r, elements);
        FeatureGroups fg = FeatureGroups.of(elements, List.of(groups), List.of("a", "b", "c", "d"));
        ExplainInput input = new ExplainInput(new RowBlock(1, elements, x.clone()), bg, false, fg,
                new int[] {1, 0}, Link.LOGIT, 0);
        List<Explanation> es = ExplainerRun.of(explainer, input, ExactShapleyParams.DEFAULTS).on(model).run();
        double[][] exact = Shapley.bruteForce(f, x, bg, groups, 2, Games::logit);
        assertEquals(1, es.get(0).output());
        assertArrayEquals(exact[1], es.get(0).attributions(), 1e-12);
        assertArrayEquals(exact[0], es.get(1).attributions(), 1e-12);
        assertEquals((1 << 4) - 2, es.get(0).diagnostics().coalitions());
        for (Explanation e : es) {
            assertTrue(e.efficiencyGap() < 1e-12, "gap " + e.efficiencyGap());
        }
    }

    @Test
    void featuresEqualToTheBackgroundLeaveTheGameAndGetZero() {
        int m = 6;
        Random r = new Random(6);
        Function<double[], double[]> f = Games.nonlinear(r, m);
        FunctionModel model = new FunctionModel(m, 2, f);
        double[] x = random(r, m);
        double[] data = random(r, 3 * m);
        for (int k = 0; k < 3; k++) {
            data[k * m + 4] = x[4];
        }
        Background bg = Background.uniform(new RowBlock(3, m, data));
        Explanation e = ExplainerRun.of(explainer, Games.input(model, x, bg, Link.IDENTITY, 0),
                ExactShapleyParams.DEFAULTS).on(model).run().get(0);
        assertEquals(0.0, e.attributions()[4]);
        assertEquals(5, e.diagnostics().varyingFeatures());
        assertEquals((1 << 5) - 2, e.diagnostics().coalitions());
        assertArrayEquals(Shapley.bruteForce(f, x, bg, 2, v -> v)[0], e.attributions(), 1e-12);
    }

    @Test
    void requestsOverTheBudgetAreRefusedNamingTheSizes() {
        ExplainInput input = input(12, 5000);
        PrismException e = assertThrows(PrismException.class,
                () -> explainer.validate(input, ExactShapleyParams.DEFAULTS));
        assertEquals(Reason.INVALID_PARAMS, e.reason());
        assertEquals("exact_shapley.max_evaluations", e.violations().get(0).field());
        String message = e.getMessage();
        assertTrue(message.contains("2^12") && message.contains("5000") && message.contains("16777216"), message);
        explainer.validate(input, new ExactShapleyParams(1L << 25));
        explainer.validate(input(11, 5000), ExactShapleyParams.DEFAULTS);
    }

    @Test
    void moreThanThirtyFeaturesAreRefusedWhateverTheBudget() {
        PrismException e = assertThrows(PrismException.class,
                () -> explainer.validate(input(31, 1), new ExactShapleyParams(Long.MAX_VALUE)));
        assertEquals(Reason.INVALID_PARAMS, e.reason());
        assertEquals("exact_shapley.max_evaluations", e.violations().get(0).field());
        assertTrue(e.getMessage().contains("31"), e.getMessage());
    }

    @Test
    void aNegativeBudgetIsRefused() {
        PrismException e = assertThrows(PrismException.class,
                () -> explainer.validate(input(3, 1), new ExactShapleyParams(-1)));
        assertEquals("exact_shapley.max_evaluations", e.violations().get(0).field());
    }

    /**
     * validate bounds M by the feature count; each instance is checked again with the features
     * that really vary.
     */
    @Test
    void eachInstanceIsCheckedAgainstTheBudgetWithItsOwnVaryingFeatures() {
        int m = 4;
        FunctionModel model = new FunctionModel(m, 1, x -> new double[] {x[0] * x[1] + x[2] * x[3]});
        Background bg = Background.uniform(new RowBlock(10, m, new double[10 * m]));
        ExactShapleyParams params = new ExactShapleyParams(100);
        double[] threeVary = {1, 2, 3, 0};
        assertThrows(PrismException.class, () -> explainer.validate(
                Games.input(model, new RowBlock(1, m, threeVary), bg, Link.IDENTITY, 0), params));
        // Without validate, which would refuse threeVary: the check here is explain's own.
        Explanation e = ExplainerRun.of(explainer, Games.input(model, threeVary, bg, Link.IDENTITY, 0), params)
                .on(model).withoutValidation().run().get(0);
        assertArrayEquals(new double[] {1, 1, 0, 0}, e.attributions(), 1e-15);

        PrismException refused = assertThrows(PrismException.class,
                () -> ExplainerRun.of(explainer, Games.input(model, new double[] {1, 2, 3, 4}, bg, Link.IDENTITY, 0),
                        params).on(model).withoutValidation().run());
        assertEquals(Reason.INVALID_PARAMS, refused.reason());
        assertTrue(refused.getMessage().contains("2^4"), refused.getMessage());
    }

    @Test
    void evaluationsNeededCountsEveryRowTheRequestRuns() {
        ExplainInput input = input(5, 7);
        assertEquals(1 * (30L * 7 + 1) + 7, explainer.evaluationsNeeded(input, ExactShapleyParams.DEFAULTS));
    }

    private static ExplainInput input(int m, int rows) {
        return new ExplainInput(new RowBlock(1, m, new double[m]),
                Background.uniform(new RowBlock(rows, m, new double[rows * m])), new int[] {0}, Link.IDENTITY, 0);
    }
}
