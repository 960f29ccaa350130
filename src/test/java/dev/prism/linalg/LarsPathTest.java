package dev.prism.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.prism.testing.L1Golden;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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
        LarsPath path = LarsPath.lar(problem.x(), problem.y(), c.get("max_iter").getAsInt(), Cancellation.NEVER);

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
        LarsPath path = LarsPath.lar(x, y, 500, Cancellation.NEVER);
        double[][] coefs = path.coefs();
        assertArrayEquals(new double[] {2, -1, 0}, coefs[coefs.length - 1], 1e-12);
        assertArrayEquals(new double[] {0, 0, 0}, coefs[0]);
        assertTrue(path.active().length >= 2);
    }

    /** A NaN target used to spin for ever regularising a factor that NaN had poisoned. */
    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aNaNTargetIsASolverExceptionNotAHang() {
        double[][] x = {{1, 0, 1}, {0, 1, 1}, {1, 1, 0}, {2, 1, 1}};
        double[] y = {1, Double.NaN, 2, 3};
        SolverException e = assertThrows(SolverException.class, () -> LarsPath.lar(x, y, 500, Cancellation.NEVER));
        assertEquals("LARS: Xᵀy is not finite (NaN at entry 0)", e.getMessage());
        assertThrows(SolverException.class, () -> LarsPath.compute(LarsPath.Method.LASSO, Dense.gram(x),
                Dense.transposeTimes(x, y), y.length, 500, Cancellation.NEVER));
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void productsThatOverflowAreASolverException() {
        // Finite data whose Gram matrix overflows: 1e200² is infinite.
        double[][] x = {{1e200, 0}, {0, 1}, {1, 1}};
        double[] y = {1, 2, 3};
        SolverException e = assertThrows(SolverException.class, () -> LarsPath.lar(x, y, 500, Cancellation.NEVER));
        assertEquals("LARS: the Gram matrix XᵀX is not finite (Infinity at entry (0, 0))", e.getMessage());
    }

    /** Cancellation is asked at every step, and what it throws ends the path there. */
    @Test
    void cancellationStopsThePathAtTheStepItIsAskedAt() {
        double[][] x = {{1, 0, 0, 2}, {0, 1, 0, 1}, {0, 0, 1, 3}, {1, 1, 1, 0}, {2, 0, 1, 1}, {1, 2, 0, 1}};
        double[] y = {1, 2, 3, 4, 5, 7};
        int[] asked = {0};
        LarsPath path = LarsPath.lar(x, y, 500, () -> asked[0]++);
        int steps = path.alphas().length;
        assertEquals(5, steps, "four features enter, then the path ends at the least-squares fit");
        assertTrue(asked[0] >= steps, "asked " + asked[0] + " times over " + steps + " steps");

        RuntimeException stop = new RuntimeException("cancelled");
        int[] calls = {0};
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> LarsPath.lar(x, y, 500, () -> {
            if (++calls[0] == 3) {
                throw stop;
            }
        }));
        assertSame(stop, thrown);
        assertEquals(3, calls[0], "nothing runs after the cancellation");
    }

    @Test
    void maxIterBoundsTheActiveSet() {
        double[][] x = {{1, 0, 0, 2}, {0, 1, 0, 1}, {0, 0, 1, 3}, {1, 1, 1, 0}, {2, 0, 1, 1}};
        double[] y = {1, 2, 3, 4, 5};
        assertEquals(2, LarsPath.lar(x, y, 2, Cancellation.NEVER).active().length);
        assertEquals(0, LarsPath.lar(x, y, 0, Cancellation.NEVER).active().length);
    }
}
