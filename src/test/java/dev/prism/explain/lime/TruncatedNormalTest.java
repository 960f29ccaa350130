package dev.prism.explain.lime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TruncatedNormalTest {

    /** Mean and variance of N(0,1) on [a, b] by Simpson's rule on the density, rescaled to stay finite in tails. */
    private static double[] moments(double a, double b) {
        double lo = Math.max(a, Math.min(b, 0) - 40);
        double hi = Math.min(b, Math.max(a, 0) + 40);
        double shift = a > 0 ? a * a : b < 0 ? b * b : 0;
        int steps = 400_000;
        double h = (hi - lo) / steps;
        double m0 = 0;
        double m1 = 0;
        double m2 = 0;
        for (int i = 0; i <= steps; i++) {
            double z = lo + i * h;
            double c = (i == 0 || i == steps) ? 1 : (i % 2 == 1 ? 4 : 2);
            double g = c * Math.exp(-(z * z - shift) / 2);
            m0 += g;
            m1 += g * z;
            m2 += g * z * z;
        }
        double mean = m1 / m0;
        return new double[] {mean, m2 / m0 - mean * mean};
    }

    @ParameterizedTest
    @CsvSource({"-1, 1", "-0.2, 0.2", "0, 0.3", "-5, 0.1", "-3, 8", "2, 3", "5, 5.5", "5, 100", "-3, -2.5",
            "-100, -8", "-1e11, 0", "-4e10, 3e9"})
    void samplesStayInTheIntervalWithTheTruncatedMoments(double a, double b) {
        SplittableRandom rng = new SplittableRandom(17);
        int n = 200_000;
        double sum = 0;
        double sumSq = 0;
        for (int i = 0; i < n; i++) {
            double z = TruncatedNormal.sample(rng, a, b);
            assertTrue(z >= a && z <= b, z + " outside [" + a + ", " + b + "]");
            sum += z;
            sumSq += z * z;
        }
        double mean = sum / n;
        double var = sumSq / n - mean * mean;
        double[] expected = moments(a, b);
        assertEquals(expected[0], mean, 5 * Math.sqrt(expected[1] / n), "mean");
        assertEquals(expected[1], var, 5 * Math.sqrt(2.0 / n) * expected[1] + 1e-12, "variance");
    }

    @ParameterizedTest
    @CsvSource({"0.5, 0.5", "-2, -2"})
    void aSinglePointIsThatPoint(double a, double b) {
        assertEquals(a, TruncatedNormal.sample(new SplittableRandom(1), a, b));
    }

    /**
     * Beyond about 1e154 the tail's rate overflows and every proposal is rejected: this used to loop
     * for ever (a bin of huge values in a background), and is now a clear error.
     */
    @ParameterizedTest
    @CsvSource({"1e200, 2e200", "-2e200, -1e200", "1e200, Infinity"})
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void anIntervalBeyondDoublePrecisionIsAClearError(double a, double b) {
        PrismException e = assertThrows(PrismException.class, () -> TruncatedNormal.sample(new SplittableRandom(1), a, b));
        assertEquals(Reason.INTERNAL_ERROR, e.reason());
        assertTrue(e.getMessage().startsWith("lime could not sample a bin: the standard normal on [" + a + ", " + b
                + "] accepted none of 10000 proposals"), e.getMessage());
    }
}
