package dev.prism.explain;

/**
 * How one instance's explanation was obtained.
 *
 * @param modelEvaluations model rows evaluated for the instance
 * @param coalitions       distinct coalitions evaluated
 * @param exact            every coalition was enumerated
 * @param varyingFeatures  features that differ from the background (the M of the method)
 * @param elapsedSeconds   time spent on the instance
 */
public record Diagnostics(long modelEvaluations, long coalitions, boolean exact, int varyingFeatures,
                          double elapsedSeconds) {}
