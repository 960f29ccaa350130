package dev.prism.explain.gradient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.FeatureGroups;
import dev.prism.testing.AttributionFunctionModel;
import dev.prism.testing.ExplainerRun;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IntegratedGradientsExplainerTest {
    static final double[][] X = DeepLiftExplainerTest.X;
    static final double[] BASELINE = DeepLiftExplainerTest.BASELINE;

    private static List<Explanation> explain(AttributionFunctionModel model, ExplainInput input, int steps,
                                             IntegrationMethod method) {
        return ExplainerRun.of(new IntegratedGradientsExplainer(), input, new IntegratedGradientsParams(steps, method))
                .on(model).run();
    }

    @Test
    void aLinearModelGetsWTimesTheDifferenceWithEveryProperRule() {
        double[][] w = DeepLiftExplainerTest.W;
        AttributionFunctionModel model = new AttributionFunctionModel(4, 2,
                AttributionFunctionModel.linear(w, DeepLiftExplainerTest.C));
        for (IntegrationMethod method : new IntegrationMethod[] {IntegrationMethod.GAUSS_LEGENDRE,
                IntegrationMethod.RIEMANN_LEFT, IntegrationMethod.RIEMANN_RIGHT, IntegrationMethod.RIEMANN_MIDDLE}) {
            List<Explanation> out = explain(model, Inputs.input(X, Inputs.baseline(BASELINE), true, 2), 3, method);
            for (int i = 0; i < X.length; i++) {
                for (int k = 0; k < 2; k++) {
                    Explanation e = out.get(i * 2 + k);
                    double[] expected = new double[4];
                    for (int f = 0; f < 4; f++) {
                        expected[f] = w[k][f] * (X[i][f] - BASELINE[f]);
                    }
                    assertArrayEquals(expected, e.attributions(), 1e-13, method.name());
                    assertEquals(0, e.diagnostics().convergenceDelta(), 1e-13, method.name());
                    assertEquals(DeepLiftExplainerTest.linear(k, BASELINE), e.baseValue(), 1e-14);
                    assertEquals(DeepLiftExplainerTest.linear(k, X[i]), e.modelOutput(), 1e-14);
                    assertEquals(2 * (3 + 2), e.diagnostics().modelEvaluations());
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 50, 0})
    void gaussLegendreIsExactForGradientsQuadraticAlongThePath(int steps) {
        List<Explanation> out = explain(Polynomial.model(), Inputs.input(X, Inputs.baseline(BASELINE), true, 2),
                steps, IntegrationMethod.GAUSS_LEGENDRE);
        Polynomial f = new Polynomial();
        for (int i = 0; i < X.length; i++) {
            double[] d = difference(X[i], BASELINE);
            for (int k = 0; k < 2; k++) {
                double[] integral = Polynomial.pathIntegral(k, BASELINE, d, 1, 0.5, 1.0 / 3);
                Explanation e = out.get(i * 2 + k);
                assertArrayEquals(times(d, integral), e.attributions(), 1e-12);
                // Completeness: the exact integral sums to f(x) − f(x').
                assertEquals(0, e.diagnostics().convergenceDelta(), 1e-12);
                assertEquals(f.values(BASELINE)[k], e.baseValue(), 1e-14);
            }
        }
    }

    /** Each rule's Σ w_s α_s^p for p = 0, 1, 2, in closed form. */
    private static double[] moments(IntegrationMethod method, int n) {
        double nn = (double) n * n;
        return switch (method) {
            case RIEMANN_RIGHT -> new double[] {1, (n + 1) / (2.0 * n), (n + 1) * (2.0 * n + 1) / (6 * nn)};
            case RIEMANN_LEFT -> new double[] {1, (n - 1) / (2.0 * n), (n - 1) * (2.0 * n - 1) / (6 * nn)};
            case RIEMANN_MIDDLE -> new double[] {1, 0.5, (4 * nn - 1) / (12 * nn)};
            case RIEMANN_TRAPEZOID -> new double[] {(n - 1.0) / n, (n - 1) / (2.0 * n),
                    (n * (2.0 * n - 1) / (6.0 * (n - 1)) - 0.5) / n};
            case GAUSS_LEGENDRE -> new double[] {1, 0.5, 1.0 / 3};
        };
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 5, 50})
    void riemannRulesGiveTheirExactFiniteSums(int steps) {
        Polynomial f = new Polynomial();
        for (IntegrationMethod method : IntegrationMethod.values()) {
            List<Explanation> out = explain(Polynomial.model(), Inputs.input(X, Inputs.baseline(BASELINE), true, 2),
                    steps, method);
            double[] m = moments(method, steps);
            for (int i = 0; i < X.length; i++) {
                double[] d = difference(X[i], BASELINE);
                for (int k = 0; k < 2; k++) {
                    double[] phi = times(d, Polynomial.pathIntegral(k, BASELINE, d, m[0], m[1], m[2]));
                    Explanation e = out.get(i * 2 + k);
                    assertArrayEquals(phi, e.attributions(), 1e-12, method + " n " + steps);
                    double delta = DeepLiftExplainerTest.sum(phi) - (f.values(X[i])[k] - f.values(BASELINE)[k]);
                    assertEquals(delta, e.diagnostics().convergenceDelta(), 1e-12, method + " n " + steps);
                }
            }
        }
    }

    @Test
    void captumsTrapezoidLeavesALinearModelShortByOneStep() {
        double[][] w = DeepLiftExplainerTest.W;
        AttributionFunctionModel model = new AttributionFunctionModel(4, 2,
                AttributionFunctionModel.linear(w, DeepLiftExplainerTest.C));
        Explanation e = explain(model, Inputs.input(X, Inputs.baseline(BASELINE), true, 2), 4,
                IntegrationMethod.RIEMANN_TRAPEZOID).get(0);
        double change = DeepLiftExplainerTest.linear(0, X[0]) - DeepLiftExplainerTest.linear(0, BASELINE);
        assertEquals(-change / 4, e.diagnostics().convergenceDelta(), 1e-13);
    }

    @Test
    void groupsSumTheirElementsAndUngroupedElementsStayOnThePath() {
        FeatureGroups groups = FeatureGroups.of(4, List.of(new int[] {0, 1}, new int[] {3}), List.of("a", "b"));
        List<Explanation> out = explain(Polynomial.model(), Inputs.input(X, Inputs.baseline(BASELINE), true,
                groups, 2), 8, IntegrationMethod.GAUSS_LEGENDRE);
        Polynomial f = new Polynomial();
        for (int i = 0; i < X.length; i++) {
            double[] reference = BASELINE.clone();
            reference[2] = X[i][2];
            double[] d = difference(X[i], reference);
            for (int k = 0; k < 2; k++) {
                double[] phi = times(d, Polynomial.pathIntegral(k, reference, d, 1, 0.5, 1.0 / 3));
                Explanation e = out.get(i * 2 + k);
                assertArrayEquals(new double[] {phi[0] + phi[1], phi[3]}, e.attributions(), 1e-12);
                assertEquals(f.values(reference)[k], e.baseValue(), 1e-14);
                assertEquals(0, e.diagnostics().convergenceDelta(), 1e-12);
                assertEquals(2, e.diagnostics().varyingFeatures());
            }
        }
    }

    @Test
    void stepsOutOfRangeAndSingleRiemannPointsAreRefused() {
        ExplainInput input = Inputs.input(X, Inputs.baseline(BASELINE), true, 2);
        IntegratedGradientsExplainer ig = new IntegratedGradientsExplainer();
        for (IntegratedGradientsParams bad : new IntegratedGradientsParams[] {
                new IntegratedGradientsParams(-1, IntegrationMethod.GAUSS_LEGENDRE),
                new IntegratedGradientsParams(10_001, IntegrationMethod.GAUSS_LEGENDRE),
                new IntegratedGradientsParams(1, IntegrationMethod.RIEMANN_TRAPEZOID)}) {
            PrismException e = assertThrows(PrismException.class, () -> ig.validate(input, bad));
            assertEquals(Reason.INVALID_PARAMS, e.reason());
            assertEquals("integrated_gradients.n_steps", e.violations().get(0).field());
        }
        ig.validate(input, new IntegratedGradientsParams(1, IntegrationMethod.GAUSS_LEGENDRE));
        ig.validate(input, new IntegratedGradientsParams(10_000, IntegrationMethod.RIEMANN_LEFT));
        assertEquals(3L * 2 * 52, ig.evaluationsNeeded(input,
                new IntegratedGradientsParams(0, IntegrationMethod.GAUSS_LEGENDRE)));
        assertTrue(ig.evaluationsNeeded(input, new IntegratedGradientsParams(10_000,
                IntegrationMethod.GAUSS_LEGENDRE)) == 3L * 2 * 10_002);
    }

    static double[] difference(double[] x, double[] reference) {
        double[] d = new double[x.length];
        for (int e = 0; e < d.length; e++) {
            d[e] = x[e] - reference[e];
        }
        return d;
    }

    static double[] times(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int e = 0; e < out.length; e++) {
            out[e] = a[e] * b[e];
        }
        return out;
    }
}
