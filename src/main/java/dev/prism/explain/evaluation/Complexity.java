package dev.prism.explain.evaluation;

import java.util.Arrays;

/**
 * How many features a reader has to take in: the entropy of the normalised magnitudes
 * p_i = |φ_i| / Σ|φ| (natural log, 0·ln 0 = 0; 0 for one feature carrying everything, ln M for M
 * equal magnitudes) and the effective feature count, the fewest features, taken by decreasing |φ|,
 * whose |φ| add up to a given fraction of Σ|φ|. An all-zero attribution says nothing: entropy 0 and
 * no feature needed.
 *
 * @param entropy           −Σ p_i ln p_i
 * @param effectiveFeatures the fewest features whose |φ| reach {@code fraction}·Σ|φ|
 * @param fraction          the share of Σ|φ| the effective features reach
 */
public record Complexity(double entropy, int effectiveFeatures, double fraction) {

    /** The share of Σ|φ| the effective feature count reaches by default. */
    public static final double DEFAULT_FRACTION = 0.9;

    /**
     * Relative slack on the target sum, so that a fraction met exactly in real numbers (0.9 of
     * {0.9, 0.1}) is not missed by the rounding of fraction·Σ|φ|.
     */
    private static final double SLACK = 1e-12;

    /**
     * @param fraction in (0, 1]
     * @throws IllegalArgumentException for a fraction outside (0, 1] or a value that is not finite
     */
    public static Complexity of(double[] attributions, double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("the fraction of Σ|φ| must be in (0, 1], got " + fraction);
        }
        double[] magnitudes = new double[attributions.length];
        double total = 0;
        for (int i = 0; i < attributions.length; i++) {
            if (!Double.isFinite(attributions[i])) {
                throw new IllegalArgumentException("attribution " + i + " is not finite: " + attributions[i]);
            }
            magnitudes[i] = Math.abs(attributions[i]);
            total += magnitudes[i];
        }
        if (total == 0) {
            return new Complexity(0, 0, fraction);
        }
        double entropy = 0;
        for (double m : magnitudes) {
            if (m > 0) {
                double p = m / total;
                entropy -= p * Math.log(p);
            }
        }
        Arrays.sort(magnitudes);
        double target = fraction * total * (1 - SLACK);
        double sum = 0;
        int count = 0;
        for (int i = magnitudes.length - 1; i >= 0 && sum < target; i--) {
            sum += magnitudes[i];
            count++;
        }
        return new Complexity(entropy, count, fraction);
    }

    /** With {@link #DEFAULT_FRACTION}. */
    public static Complexity of(double[] attributions) {
        return of(attributions, DEFAULT_FRACTION);
    }
}
