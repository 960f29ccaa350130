package dev.prism.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import dev.prism.testing.L1Golden;
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
        Lasso model = Lasso.fit(problem.x(), problem.y(), c.get("alpha").getAsDouble());

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
        Lasso model = Lasso.fit(x, y, 0.1);
        assertArrayEquals(new double[] {2.9, 0}, model.coefficients(), 1e-12);
        assertEquals(10, model.intercept(), 1e-12);
        assertArrayEquals(new int[] {0}, model.selected());
    }
}
