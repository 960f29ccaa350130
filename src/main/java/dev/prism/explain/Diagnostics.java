package dev.prism.explain;

/**
 * How one instance's explanation was obtained.
 *
 * @param modelEvaluations model rows evaluated for the instance
 * @param coalitions       distinct coalitions (or samples) evaluated
 * @param exact            every coalition was enumerated
 * @param varyingFeatures  features that differ from the background (the M of the method)
 * @param elapsedSeconds   time spent on the instance
 * @param converged        the requested tolerance was met before the budget ran out
 * @param surrogate        a surrogate model's fit (LIME), or null
 * @param convergenceDelta gradient methods: Σφ − (modelOutput − baseValue), signed; null for methods without one
 */
public record Diagnostics(long modelEvaluations, long coalitions, boolean exact, int varyingFeatures,
                          double elapsedSeconds, boolean converged, SurrogateFit surrogate, Double convergenceDelta) {

    public Diagnostics(long modelEvaluations, long coalitions, boolean exact, int varyingFeatures,
                       double elapsedSeconds, boolean converged, SurrogateFit surrogate) {
        this(modelEvaluations, coalitions, exact, varyingFeatures, elapsedSeconds, converged, surrogate, null);
    }

    public Diagnostics(long modelEvaluations, long coalitions, boolean exact, int varyingFeatures,
                       double elapsedSeconds) {
        this(modelEvaluations, coalitions, exact, varyingFeatures, elapsedSeconds, false, null);
    }

    /**
     * A local linear surrogate's fit.
     *
     * @param score           weighted R² on the neighbourhood
     * @param localPrediction the surrogate at the instance
     */
    public record SurrogateFit(double intercept, double score, double localPrediction) {}
}
