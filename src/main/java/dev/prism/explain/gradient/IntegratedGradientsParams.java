package dev.prism.explain.gradient;

/**
 * Integrated Gradients parameters.
 *
 * @param steps  points on the path; 0 means {@value #DEFAULT_STEPS}
 * @param method the quadrature rule
 */
public record IntegratedGradientsParams(int steps, IntegrationMethod method) {
    public static final int DEFAULT_STEPS = 50;
    public static final int MAX_STEPS = 10_000;

    /** Points actually used. */
    public int effectiveSteps() {
        return steps == 0 ? DEFAULT_STEPS : steps;
    }
}
