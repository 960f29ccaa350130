package dev.prism.explain.shap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.linalg.Cancellation;
import dev.prism.linalg.ConstrainedLeastSquares;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class StratifiedSandwichTest {
    private static final int M = 10;
    private static final double[] A = {1.0, -0.5, 0.8, 0.3, -1.2, 0.6, 0.2, -0.4, 0.9, 0.1};

    /** A Leverage design's fit: weights, observations, and the plain regression. */
    private record Fit(CoalitionDesign design, double[] weights, double[] y, double delta, double[] beta) {
        static Fit of(long budget, long seed, java.util.function.ToDoubleFunction<boolean[]> game) {
            CoalitionDesign d = CoalitionDesign.fromLeverage(LeverageDesign.build(M, budget, new SplittableRandom(seed)));
            boolean[] all = new boolean[M];
            java.util.Arrays.fill(all, true);
            double delta = game.applyAsDouble(all) - game.applyAsDouble(new boolean[M]);
            int n = d.masks.size();
            double[] w = new double[n];
            double[] y = new double[n];
            ConstrainedLeastSquares ls = new ConstrainedLeastSquares(M, new double[] {delta});
            for (int j = 0; j < n; j++) {
                w[j] = d.finalWeight(j);
                y[j] = game.applyAsDouble(d.masks.get(j)) - game.applyAsDouble(new boolean[M]);
                ls.add(d.masks.get(j), w[j], new double[] {y[j]});
            }
            return new Fit(d, w, y, delta, ls.solve()[0]);
        }

        double[] standardErrors() {
            return StratifiedSandwich.standardErrors(design.masks, design.enumerated, weights, y, delta, beta,
                    Cancellation.NEVER);
        }
    }

    private static double additive(boolean[] z) {
        double v = 0;
        for (int i = 0; i < M; i++) {
            v += z[i] ? A[i] : 0;
        }
        return v;
    }

    /** With interactions of order three, paired designs are not exact. */
    private static double interacting(boolean[] z) {
        Predicate<int[]> all = t -> java.util.Arrays.stream(t).allMatch(i -> z[i]);
        return Math.tanh(additive(z)) + (all.test(new int[] {0, 1, 2}) ? 1 : 0)
                + (all.test(new int[] {3, 5, 7, 9}) ? 0.6 : 0);
    }

    /** Shapley values by the formula over every coalition. */
    private static double[] shapley(java.util.function.ToDoubleFunction<boolean[]> game) {
        double[] phi = new double[M];
        double[] factorial = new double[M + 1];
        factorial[0] = 1;
        for (int i = 1; i <= M; i++) {
            factorial[i] = factorial[i - 1] * i;
        }
        for (int bits = 0; bits < 1 << M; bits++) {
            boolean[] z = new boolean[M];
            int size = 0;
            for (int i = 0; i < M; i++) {
                z[i] = (bits >>> i & 1) != 0;
                size += z[i] ? 1 : 0;
            }
            double without = game.applyAsDouble(z);
            for (int i = 0; i < M; i++) {
                if (!z[i]) {
                    z[i] = true;
                    phi[i] += factorial[size] * factorial[M - size - 1] / factorial[M] * (game.applyAsDouble(z) - without);
                    z[i] = false;
                }
            }
        }
        return phi;
    }

    @Test
    void anAdditiveGameIsFitExactlyAndHasNoError() {
        Fit fit = Fit.of(4 * M - 2, 1, StratifiedSandwichTest::additive);
        assertEquals(1, fit.design.groups, "4·M coalitions make one draw group");
        double[] se = fit.standardErrors();
        assertNotNull(se);
        for (int i = 0; i < M; i++) {
            assertEquals(A[i], fit.beta[i], 1e-12);
            assertEquals(0, se[i], 1e-9, "feature " + i);
        }
    }

    /**
     * Over 300 independent designs of 8·M coalitions the estimates' actual spread around the exact
     * values is what the standard errors say: their root mean square is within 10% below to 25% above
     * the errors', and 2.5 of them cover at least 90%.
     */
    @Test
    void theStandardErrorsMatchTheSpreadOverIndependentDesigns() {
        double[] exact = shapley(StratifiedSandwichTest::interacting);
        double squaredError = 0;
        double variance = 0;
        int within = 0;
        int seeds = 300;
        for (long seed = 0; seed < seeds; seed++) {
            Fit fit = Fit.of(8 * M - 2, seed, StratifiedSandwichTest::interacting);
            double[] se = fit.standardErrors();
            for (int i = 0; i < M; i++) {
                double error = fit.beta[i] - exact[i];
                squaredError += error * error;
                variance += se[i] * se[i];
                within += Math.abs(error) <= 2.5 * se[i] ? 1 : 0;
            }
        }
        double ratio = Math.sqrt(variance / squaredError);
        assertTrue(ratio > 0.9 && ratio < 1.25, "root mean se² / root mean error² = " + ratio);
        assertTrue(within >= 0.9 * seeds * M, within + " of " + seeds * M + " within 2.5 standard errors");
    }

    @Test
    void aDesignWithoutTwoPairsInAnyClassHasNone() {
        // 2 pairs over 5 classes: no class has two
        Fit fit = Fit.of(4, 3, StratifiedSandwichTest::interacting);
        assertNull(fit.standardErrors());
    }

    /**
     * It holds projections per class, not a covariance per class: under 1 MB at 128 players beside
     * the coalitions' bits, a bit per player and coalition and a few numbers per coalition.
     */
    @Test
    void itsMemoryGrowsWithTheSquareOfThePlayers() {
        long sums = StratifiedSandwich.workingBytes(128, 0);
        assertTrue(sums > 3L * 128 * 128 * Double.BYTES && sums < 1_000_000, "bytes " + sums);
        long bits = StratifiedSandwich.workingBytes(128, 32_768) - sums;
        assertTrue(bits >= 32_768L * 128 / 8 && bits < 32_768L * 64, "bytes " + bits);
    }

    @Test
    void aCancelledRequestStops() {
        Fit fit = Fit.of(8 * M - 2, 1, StratifiedSandwichTest::interacting);
        Cancellation cancelled = () -> {
            throw new IllegalStateException("cancelled");
        };
        assertThrows(IllegalStateException.class, () -> StratifiedSandwich.standardErrors(fit.design.masks,
                fit.design.enumerated, fit.weights, fit.y, fit.delta, fit.beta, cancelled));
    }
}
