package dev.prism.explain.shap;

/**
 * KernelSHAP parameters.
 *
 * @param nsamples coalitions per instance; 0 means 2M + 2048. Capped at 2^M − 2 (then exact).
 */
public record KernelShapParams(long nsamples) {
    /** Bounds the memory one request's coalition design may hold (about 130 bytes per coalition at M = 30). */
    public static final long MAX_NSAMPLES = 200_000;
    public static final KernelShapParams DEFAULTS = new KernelShapParams(0);

    /** Coalitions actually used for M varying features. */
    public long effectiveSamples(int m) {
        long wanted = nsamples == 0 ? 2L * m + 2048 : nsamples;
        if (m <= 30) {
            wanted = Math.min(wanted, (1L << m) - 2);
        }
        return wanted;
    }
}
