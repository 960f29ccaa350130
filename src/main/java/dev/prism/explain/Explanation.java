package dev.prism.explain;

/**
 * Attributions of one instance for one score column, in link space:
 * baseValue + Σ attributions = modelOutput (for gradient methods up to their convergence delta;
 * saliency, which has no reference, has a NaN base value).
 *
 * @param output         the model's score column
 * @param standardErrors one per attribution, or null when the method gives none (exact results)
 */
public record Explanation(int instance, int output, double baseValue, double modelOutput,
                          double[] attributions, double[] standardErrors, Diagnostics diagnostics) {

    /** |Σ attributions − (modelOutput − baseValue)|: the convergence delta's size where the method reports one. */
    public double efficiencyGap() {
        if (diagnostics.convergenceDelta() != null) {
            return Math.abs(diagnostics.convergenceDelta());
        }
        double sum = 0;
        for (double a : attributions) {
            sum += a;
        }
        return Math.abs(sum - (modelOutput - baseValue));
    }
}
