package dev.prism.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import dev.prism.testing.L1Golden;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LassoLarsIC against scikit-learn 1.8.0, with and without StandardScaler(with_mean=False) in
 * front as shap uses it (golden file from tools/make_l1_golden.py).
 */
class LassoLarsICTest {

    static Stream<Arguments> cases() {
        return L1Golden.cases("l1_lasso_lars_ic.json").stream()
                .map(c -> Arguments.of(c.get("name").getAsString(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesScikitLearn(String name, JsonObject c) {
        L1Golden.Problem problem = L1Golden.problem(c);
        double[][] x = c.get("scaled").getAsBoolean() ? LassoLarsIC.scaledToUnitVariance(problem.x()) : problem.x();
        LassoLarsIC.Criterion criterion = c.get("criterion").getAsString().equals("aic")
                ? LassoLarsIC.Criterion.AIC : LassoLarsIC.Criterion.BIC;
        LassoLarsIC model = LassoLarsIC.fit(x, problem.y(), criterion, Cancellation.NEVER);

        assertArrayEquals(L1Golden.indices(c.getAsJsonArray("selected")), model.selected(), "selection");
        double[] coef = L1Golden.vector(c.getAsJsonArray("coef"));
        double scale = 1;
        for (double v : coef) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertArrayEquals(coef, model.coefficients(), 1e-8 * scale, "coefficients");
        assertEquals(c.get("intercept").getAsDouble(), model.intercept(), 1e-8 * scale, "intercept");
        double noise = c.get("noise_variance").getAsDouble();
        assertEquals(noise, model.noiseVariance(), 1e-9 * noise, "noise variance");
        assertEquals(c.get("alpha").getAsDouble(), model.alpha(), 1e-10, "alpha");
        double[] criterionValues = L1Golden.vector(c.getAsJsonArray("criterion_values"));
        double[] actual = model.criterionValues();
        assertEquals(criterionValues.length, actual.length, "points on the lasso path");
        for (int k = 0; k < actual.length; k++) {
            assertEquals(criterionValues[k], actual[k], 1e-7 * Math.max(1, Math.abs(criterionValues[k])),
                    "criterion at point " + k);
        }
    }

    @Test
    void scalingDividesByThePopulationStandardDeviation() {
        double[][] x = {{1, 5, 0}, {3, 5, 0}, {5, 5, 0}, {7, 5, 0}};
        double[][] scaled = LassoLarsIC.scaledToUnitVariance(x);
        double sd = Math.sqrt(5); // values 1, 3, 5, 7 around 4: mean square deviation 5
        for (int r = 0; r < x.length; r++) {
            assertEquals(x[r][0] / sd, scaled[r][0], 1e-15);
            assertEquals(5, scaled[r][1]); // constant columns are left alone
            assertEquals(0, scaled[r][2]);
        }
    }

    /**
     * Model outputs of NaN (digits with every pixel 3e38) reached the lasso path as NaN targets, and
     * the path spun for ever: now a clear exception.
     */
    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void nonFiniteTargetsAreASolverExceptionNotAHang() {
        double[][] x = {{1, 0, 1}, {0, 1, 1}, {1, 1, 0}, {2, 1, 1}, {1, 3, 0}, {0, 2, 2}};
        double[] nan = {1, 2, Double.NaN, 4, 5, 6};
        SolverException e = assertThrows(SolverException.class,
                () -> LassoLarsIC.fit(x, nan, LassoLarsIC.Criterion.AIC, Cancellation.NEVER));
        assertEquals("LARS: Xᵀy is not finite (NaN at entry 0)", e.getMessage());
        double[] infinite = {1, 2, Double.POSITIVE_INFINITY, 4, 5, 6};
        assertThrows(SolverException.class,
                () -> LassoLarsIC.fit(x, infinite, LassoLarsIC.Criterion.BIC, Cancellation.NEVER));
    }

    @Test
    void needsMoreRowsThanFeaturesPlusOne() {
        double[][] x = {{1, 2}, {3, 1}, {0, 1}};
        assertThrows(IllegalArgumentException.class, () -> LassoLarsIC.fit(x, new double[] {1, 2, 3},
                LassoLarsIC.Criterion.AIC, Cancellation.NEVER));
    }
}
