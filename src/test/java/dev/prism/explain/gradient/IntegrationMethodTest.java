package dev.prism.explain.gradient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class IntegrationMethodTest {

    @Test
    void gaussLegendreMatchesTheClosedFormsOfSmallOrders() {
        assertRule(1, new double[] {0}, new double[] {2});
        double a = 1 / Math.sqrt(3);
        assertRule(2, new double[] {-a, a}, new double[] {1, 1});
        double b = Math.sqrt(0.6);
        assertRule(3, new double[] {-b, 0, b}, new double[] {5.0 / 9, 8.0 / 9, 5.0 / 9});
        double inner = Math.sqrt(3.0 / 7 - 2.0 / 7 * Math.sqrt(1.2));
        double outer = Math.sqrt(3.0 / 7 + 2.0 / 7 * Math.sqrt(1.2));
        double wInner = (18 + Math.sqrt(30)) / 36;
        double wOuter = (18 - Math.sqrt(30)) / 36;
        assertRule(4, new double[] {-outer, -inner, inner, outer}, new double[] {wOuter, wInner, wInner, wOuter});
        double c = Math.sqrt(5 - 2 * Math.sqrt(10.0 / 7)) / 3;
        double d = Math.sqrt(5 + 2 * Math.sqrt(10.0 / 7)) / 3;
        double wc = (322 + 13 * Math.sqrt(70)) / 900;
        double wd = (322 - 13 * Math.sqrt(70)) / 900;
        assertRule(5, new double[] {-d, -c, 0, c, d}, new double[] {wd, wc, 128.0 / 225, wc, wd});
    }

    @Test
    void gaussLegendreMatchesNumpysLeggauss() {
        // numpy.polynomial.legendre.leggauss(7) and (50), which Captum rescales to [0, 1].
        assertRule(7, new double[] {-0.9491079123427586, -0.7415311855993945, -0.4058451513773972, 0.0,
                0.4058451513773972, 0.7415311855993945, 0.9491079123427586},
                new double[] {0.12948496616886973, 0.27970539148927687, 0.3818300505051187, 0.4179591836734693,
                        0.3818300505051187, 0.27970539148927687, 0.12948496616886973});
        GaussLegendre.Rule r = GaussLegendre.of(50);
        assertEquals(-0.998866404420071, r.nodes()[0], 1e-14);
        assertEquals(0.0029086225531579266, r.weights()[0], 1e-14);
        assertEquals(-0.44980633497403877, r.nodes()[17], 1e-14);
        assertEquals(0.055557744806212436, r.weights()[17], 1e-14);
        assertEquals(0.998866404420071, r.nodes()[49], 1e-14);
        assertEquals(0.06217661665534703, r.weights()[24], 1e-14);
    }

    @Test
    void gaussLegendreIntegratesPolynomialsUpToDegreeTwoNMinusOneExactly() {
        for (int n : new int[] {1, 2, 3, 8, 50, 51, 200}) {
            GaussLegendre.Rule r = GaussLegendre.of(n);
            for (int degree = 0; degree <= Math.min(2 * n - 1, 120); degree++) {
                double q = 0;
                for (int s = 0; s < n; s++) {
                    q += r.weights()[s] * Math.pow(r.nodes()[s], degree);
                }
                double exact = degree % 2 == 1 ? 0 : 2.0 / (degree + 1);
                assertEquals(exact, q, 1e-13, "n " + n + " degree " + degree);
            }
        }
    }

    @Test
    void gaussLegendreOfTheLargestOrderIsStillAQuadrature() {
        GaussLegendre.Rule r = GaussLegendre.of(10_000);
        double sum = 0;
        double second = 0;
        for (int s = 0; s < r.nodes().length; s++) {
            sum += r.weights()[s];
            second += r.weights()[s] * r.nodes()[s] * r.nodes()[s];
            if (s > 0) {
                assertEquals(true, r.nodes()[s] > r.nodes()[s - 1], "ascending at " + s);
            }
        }
        assertEquals(2, sum, 1e-12);
        assertEquals(2.0 / 3, second, 1e-12);
    }

    @Test
    void captumsGaussLegendreIsTheRuleRescaledToTheUnitInterval() {
        double a = 1 / Math.sqrt(3);
        IntegrationMethod.Quadrature q = IntegrationMethod.GAUSS_LEGENDRE.quadrature(2);
        assertArrayEquals(new double[] {(1 - a) / 2, (1 + a) / 2}, q.alphas(), 1e-15);
        assertArrayEquals(new double[] {0.5, 0.5}, q.stepSizes(), 1e-15);
    }

    @Test
    void riemannRulesAreCaptums() {
        assertArrayEquals(new double[] {0.25, 0.5, 0.75, 1}, alphas(IntegrationMethod.RIEMANN_RIGHT, 4), 1e-15);
        assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75}, alphas(IntegrationMethod.RIEMANN_LEFT, 4), 1e-15);
        assertArrayEquals(new double[] {0.125, 0.375, 0.625, 0.875}, alphas(IntegrationMethod.RIEMANN_MIDDLE, 4),
                1e-15);
        assertArrayEquals(new double[] {0, 1.0 / 3, 2.0 / 3, 1}, alphas(IntegrationMethod.RIEMANN_TRAPEZOID, 4),
                1e-15);
        for (IntegrationMethod m : new IntegrationMethod[] {IntegrationMethod.RIEMANN_RIGHT,
                IntegrationMethod.RIEMANN_LEFT, IntegrationMethod.RIEMANN_MIDDLE}) {
            assertArrayEquals(new double[] {0.25, 0.25, 0.25, 0.25}, m.quadrature(4).stepSizes(), 0, m.name());
        }
        // Captum halves the end steps of 1/n, so they sum to (n − 1)/n.
        assertArrayEquals(new double[] {0.125, 0.25, 0.25, 0.125},
                IntegrationMethod.RIEMANN_TRAPEZOID.quadrature(4).stepSizes(), 0);
        // torch.linspace's end points are exact: the second half counts down from the end.
        double[] seven = alphas(IntegrationMethod.RIEMANN_TRAPEZOID, 7);
        assertEquals(1.0, seven[6], 0);
        assertEquals(0.5, seven[3], 0);
        assertEquals(1 - 1.0 / 6, seven[5], 0);
    }

    private static double[] alphas(IntegrationMethod method, int n) {
        return method.quadrature(n).alphas();
    }

    private static void assertRule(int n, double[] nodes, double[] weights) {
        GaussLegendre.Rule r = GaussLegendre.of(n);
        assertArrayEquals(nodes, r.nodes(), 1e-15, "nodes of " + n);
        assertArrayEquals(weights, r.weights(), 1e-15, "weights of " + n);
    }
}
