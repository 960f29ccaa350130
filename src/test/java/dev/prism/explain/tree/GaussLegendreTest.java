package dev.prism.explain.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class GaussLegendreTest {

    @Test
    void integratesPolynomialsUpToItsDegreeAndMissesTheNext() {
        for (int n = 1; n <= 12; n++) {
            GaussLegendre rule = GaussLegendre.of(n);
            for (int degree = 0; degree <= 2 * n - 1; degree++) {
                assertEquals(1.0 / (degree + 1), integral(rule, degree), 1e-15, n + " points, degree " + degree);
            }
            if (n <= 6) {
                // One degree more is beyond it, by Gauss's error (n!)⁴/((2n + 1)((2n)!)²).
                double error = Math.pow(factorial(n), 4) / ((2 * n + 1) * Math.pow(factorial(2 * n), 2));
                assertEquals(error, 1.0 / (2 * n + 1) - integral(rule, 2 * n), error * 1e-6,
                        n + " points, degree " + 2 * n);
            }
        }
    }

    @Test
    void theRuleForDPlayersIntegratesDegreeDMinusOne() {
        GaussLegendre[] rules = GaussLegendre.exactUpTo(9);
        assertNull(rules[0]);
        for (int d = 1; d <= 9; d++) {
            assertEquals((d + 1) / 2, rules[d].nodes.length);
            assertEquals(1.0 / d, integral(rules[d], d - 1), 1e-15, "d = " + d);
        }
    }

    private static double integral(GaussLegendre rule, int degree) {
        double sum = 0;
        for (int i = 0; i < rule.nodes.length; i++) {
            sum += rule.weights[i] * Math.pow(rule.nodes[i], degree);
        }
        return sum;
    }

    private static double factorial(int n) {
        return n <= 1 ? 1 : n * factorial(n - 1);
    }
}
