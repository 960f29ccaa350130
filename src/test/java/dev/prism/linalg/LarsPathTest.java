package dev.prism.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.prism.testing.L1Golden;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** LAR against scikit-learn 1.8.0's lars_path (golden file from tools/make_l1_golden.py). */
class LarsPathTest {

    static Stream<Arguments> cases() {
        return L1Golden.cases("l1_lars.json").stream().map(c -> Arguments.of(c.get("name").getAsString(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesScikitLearn(String name, JsonObject c) {
        L1Golden.Problem problem = L1Golden.problem(c);
        LarsPath path = LarsPath.lar(problem.x(), problem.y(), c.get("max_iter").getAsInt());

        assertArrayEquals(L1Golden.indices(c.getAsJsonArray("active")), path.active(), "entry order");
        double[] alphas = L1Golden.vector(c.getAsJsonArray("alphas"));
        assertArrayEquals(alphas, path.alphas(), 1e-9 * alphas[0], "alphas");
        double[][] expected = L1Golden.matrix(c.getAsJsonArray("coefs"));
        double[][] actual = path.coefs();
        assertEquals(expected.length, actual.length, "points on the path");
        double scale = 0;
        for (double[] row : expected) {
            for (double v : row) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        for (int k = 0; k < expected.length; k++) {
            assertArrayEquals(expected[k], actual[k], 1e-8 * Math.max(1, scale), "coefficients at point " + k);
        }
    }

    @Test
    void fullPathEndsAtLeastSquares() {
        // y = 2·x0 − x1 exactly: the last point of the path is the exact fit, every feature entered.
        double[][] x = {{1, 0, 1}, {0, 1, 1}, {1, 1, 0}, {2, 1, 1}, {1, 3, 0}};
        double[] y = new double[x.length];
        for (int r = 0; r < x.length; r++) {
            y[r] = 2 * x[r][0] - x[r][1];
        }
        LarsPath path = LarsPath.lar(x, y, 500);
        double[][] coefs = path.coefs();
        assertArrayEquals(new double[] {2, -1, 0}, coefs[coefs.length - 1], 1e-12);
        assertArrayEquals(new double[] {0, 0, 0}, coefs[0]);
        assertTrue(path.active().length >= 2);
    }

    @Test
    void maxIterBoundsTheActiveSet() {
        double[][] x = {{1, 0, 0, 2}, {0, 1, 0, 1}, {0, 0, 1, 3}, {1, 1, 1, 0}, {2, 0, 1, 1}};
        double[] y = {1, 2, 3, 4, 5};
        assertEquals(2, LarsPath.lar(x, y, 2).active().length);
        assertEquals(0, LarsPath.lar(x, y, 0).active().length);
    }
}
