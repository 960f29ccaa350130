package dev.prism.explain.shap;

import java.util.List;

/**
 * KernelSHAP parameters.
 *
 * @param nsamples          coalitions per instance; 0 means 2M + 2048. Capped at 2^M − 2 (then exact)
 * @param estimator         how coalitions are chosen
 * @param l1                feature selection before the final solve (shap's l1_reg), or null for none
 * @param tolerance         stop once every standard error is at most this; 0 = spend the whole budget
 * @param coalitions        test mode: the exact coalitions to evaluate (over the varying features), or null
 * @param coalitionWeights  test mode: their kernel weights
 */
public record KernelShapParams(long nsamples, Estimator estimator, L1Rule l1, double tolerance, List<boolean[]> coalitions,
                               double[] coalitionWeights) {
    /** Bounds the memory one request's coalition design may hold (about 130 bytes per coalition at M = 30). */
    public static final long MAX_NSAMPLES = 200_000;
    public static final KernelShapParams DEFAULTS = new KernelShapParams(0);

    public enum Estimator {
        /**
         * The default: the {@link #LEVERAGE} design, its estimate adjusted by third-order
         * interactions screened from the same coalitions ({@link OddTermAdjustment}).
         */
        ADJUSTED,
        /** shap's design: small sizes enumerated, the rest sampled with the Shapley kernel, paired. */
        KERNEL,
        /** Leverage SHAP: sizes sampled uniformly without replacement, paired. */
        LEVERAGE
    }

    public KernelShapParams(long nsamples) {
        this(nsamples, Estimator.ADJUSTED, null, 0, null, null);
    }

    /** Coalitions actually used for M varying features. */
    public long effectiveSamples(int m) {
        if (coalitions != null) {
            return coalitions.size();
        }
        long wanted = nsamples == 0 ? 2L * m + 2048 : nsamples;
        if (m <= 30) {
            wanted = Math.min(wanted, (1L << m) - 2);
        }
        return wanted;
    }
}
