package dev.prism.explain.shap;

/**
 * Exact Shapley parameters.
 *
 * @param maxEvaluations most model rows per instance (2^M × background rows); 0 means
 *                       {@link #DEFAULT_MAX_EVALUATIONS}
 */
public record ExactShapleyParams(long maxEvaluations) {
    public static final long DEFAULT_MAX_EVALUATIONS = 1L << 24;
    public static final ExactShapleyParams DEFAULTS = new ExactShapleyParams(0);

    /** The budget in force. */
    public long effectiveMaxEvaluations() {
        return maxEvaluations == 0 ? DEFAULT_MAX_EVALUATIONS : maxEvaluations;
    }
}
