package dev.prism.explain;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;

/**
 * Attributions of one instance for one score column, in link space:
 * baseValue + Σ attributions = modelOutput (for gradient methods up to their convergence delta;
 * saliency, which has no reference, has a NaN base value). Every other value is finite: an
 * explanation that came out NaN or infinite (a solve that overflowed, say) is an error, never an
 * answer.
 *
 * @param output         the model's score column
 * @param standardErrors one per attribution, or null when the method gives none (exact results)
 * @param interactions   features × features interaction values, row-major, each row summing to its
 *                       attribution; null unless the method was asked for them
 * @throws PrismException INTERNAL_ERROR when a value is not finite
 */
public record Explanation(int instance, int output, double baseValue, double modelOutput,
                          double[] attributions, double[] standardErrors, Diagnostics diagnostics,
                          double[] interactions) {

    /** An explanation without interaction values. */
    public Explanation(int instance, int output, double baseValue, double modelOutput, double[] attributions,
                       double[] standardErrors, Diagnostics diagnostics) {
        this(instance, output, baseValue, modelOutput, attributions, standardErrors, diagnostics, null);
    }

    public Explanation {
        if (!Double.isFinite(modelOutput)) {
            throw notFinite(instance, output, "the model output is " + modelOutput);
        }
        if (Double.isInfinite(baseValue)) {
            throw notFinite(instance, output, "the base value is " + baseValue);
        }
        requireFinite(instance, output, "attribution", attributions);
        if (standardErrors != null) {
            requireFinite(instance, output, "standard error", standardErrors);
        }
        if (interactions != null) {
            if (interactions.length != attributions.length * attributions.length) {
                throw new IllegalArgumentException(interactions.length + " interaction values for "
                        + attributions.length + " attributions");
            }
            requireFinite(instance, output, "interaction value", interactions);
        }
    }

    private static void requireFinite(int instance, int output, String what, double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw notFinite(instance, output, what + " " + i + " is " + values[i]);
            }
        }
    }

    private static PrismException notFinite(int instance, int output, String detail) {
        return new PrismException(Reason.INTERNAL_ERROR, "the explanation of instance " + instance
                + " for output column " + output + " came out not finite (" + detail + "): the method's arithmetic"
                + " failed on the model's outputs");
    }

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
