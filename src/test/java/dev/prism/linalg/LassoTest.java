package dev.prism.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.prism.testing.L1Golden;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Coordinate-descent lasso against scikit-learn 1.8.0's Lasso (golden file from tools/make_l1_golden.py). */
class LassoTest {

    static Stream<Arguments> cases() {
        return L1Golden.cases("l1_lasso.json").stream().map(c -> Arguments.of(c.get("name").getAsString(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesScikitLearn(String name, JsonObject c) {
        L1Golden.Problem problem = L1Golden.problem(c);
        Lasso model = Lasso.fit(problem.x(), problem.y(), c.get("alpha").getAsDouble(), Cancellation.NEVER);

        assertArrayEquals(L1Golden.indices(c.getAsJsonArray("selected")), model.selected(), "selection");
        assertEquals(c.get("n_iter").getAsInt(), model.iterations(), "sweeps");
        double[] coef = L1Golden.vector(c.getAsJsonArray("coef"));
        double scale = 1;
        for (double v : coef) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertArrayEquals(coef, model.coefficients(), 1e-8 * scale, "coefficients");
        assertEquals(c.get("intercept").getAsDouble(), model.intercept(), 1e-8 * scale, "intercept");
    }

    @Test
    void orthogonalDesignSoftThresholds() {
        // Centred orthogonal columns with squared norm n: the solution is the least-squares
        // coefficient shrunk by alpha towards zero.
        double[][] x = {{1, 1}, {1, -1}, {-1, 1}, {-1, -1}};
        double[] y = new double[4];
        for (int r = 0; r < 4; r++) {
            y[r] = 3 * x[r][0] + 0.05 * x[r][1] + 10;
        }
        Lasso model = Lasso.fit(x, y, 0.1, Cancellation.NEVER);
        assertArrayEquals(new double[] {2.9, 0}, model.coefficients(), 1e-12);
        assertEquals(10, model.intercept(), 1e-12);
        assertArrayEquals(new int[] {0}, model.selected());
    }

    /**
     * Two columns equal up to 1e-6 and a target along their difference: the lasso's coefficients
     * are about ∓1000, which coordinate descent approaches by a factor of about 1 − 1e-12 a sweep.
     * scikit-learn warns and returns what it has; that is not the lasso, so it is an error.
     */
    @Test
    void descentThatDoesNotConvergeIsASolverException() {
        SplittableRandom rng = new SplittableRandom(3);
        int n = 50;
        double[][] x = new double[n][2];
        double[] y = new double[n];
        for (int r = 0; r < n; r++) {
            double t = rng.nextDouble();
            double e = rng.nextDouble() - 0.5;
            x[r][0] = t;
            x[r][1] = t + 1e-6 * e;
            y[r] = 1e-3 * e;
        }
        SolverException e = assertThrows(SolverException.class, () -> Lasso.fit(x, y, 1e-12, Cancellation.NEVER));
        assertTrue(e.getMessage().startsWith("Lasso: coordinate descent did not converge in 1000 sweeps"),
                e.getMessage());
    }

    @Test
    void nonFiniteDataIsASolverException() {
        double[][] x = {{1, 1}, {1, -1}, {-1, 1}, {-1, -1}};
        SolverException e = assertThrows(SolverException.class,
                () -> Lasso.fit(x, new double[] {1, Double.NaN, 0, 2}, 0.1, Cancellation.NEVER));
        assertEquals("Lasso: the target vector is not finite (NaN at entry 1)", e.getMessage());
    }

    @Test
    void cancellationEndsTheDescent() {
        double[][] x = {{1, 0.5}, {0.3, -1}, {-1, 0.2}, {-0.4, -1}, {0.8, 0.9}};
        double[] y = {1, 2, 0, -1, 3};
        RuntimeException stop = new RuntimeException("cancelled");
        assertSame(stop, assertThrows(RuntimeException.class, () -> Lasso.fit(x, y, 0.01, () -> {
            throw stop;
        })));
    }
}
