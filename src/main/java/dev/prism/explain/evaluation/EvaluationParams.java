package dev.prism.explain.evaluation;

import dev.prism.explain.ExplainInput;
import dev.prism.explain.RowStream;

/**
 * Which metrics to compute over a request's explanations, each null when not asked for, with their
 * parameters already defaulted and range-checked by the caller.
 */
public record EvaluationParams(Deletion deletion, InfidelityNoise infidelity, Sensitivity sensitivity,
                               ComplexityShare complexity) {

    /** Deletion and insertion curves with {@code steps} points besides the first (0: one per feature). */
    public record Deletion(int steps) {}

    /** Infidelity over {@code perturbations} Gaussian perturbations; instance i draws with seed + i. */
    public record InfidelityNoise(int perturbations, double std, long seed) {}

    /**
     * Max-sensitivity and top-k rank stability over {@code perturbations} inputs in the L∞ ball of
     * {@code radius}; instance i draws with seed + i.
     */
    public record Sensitivity(double radius, int perturbations, int topK, long seed) {}

    /** Entropy and the effective feature count reaching {@code fraction} of Σ|φ|. */
    public record ComplexityShare(double fraction) {}

    /** True when any metric needs rows of the model itself (deletion, insertion, infidelity). */
    public boolean needsModelRows() {
        return deletion != null || infidelity != null;
    }

    /**
     * Model rows the deletion, insertion and infidelity metrics cost over every explanation of the
     * input (sensitivity's re-run explanation is counted by its explainer).
     */
    public long modelRows(ExplainInput input) {
        long explanations = (long) input.instances().rows() * input.outputCount();
        long rows = 0;
        if (deletion != null) {
            rows += 2 * DeletionCurve.modelRows(input.featureCount(), deletion.steps(), input.background().size());
        }
        if (infidelity != null) {
            rows += Infidelity.modelRows(infidelity.perturbations());
        }
        return Math.multiplyHigh(rows, explanations) != 0 ? Long.MAX_VALUE : rows * explanations;
    }

    /**
     * Bytes the row metrics hold at their peak besides the re-run explanation: rows in flight with
     * their outputs, one instance's perturbations, the perturbed instances of sensitivity and their
     * explanations, and the results per explanation.
     */
    public long workingBytes(ExplainInput input, int outputWidth) {
        int width = input.instances().width();
        int features = input.featureCount();
        long explanations = (long) input.instances().rows() * input.outputCount();
        long bytes = needsModelRows() ? RowStream.bytesInFlight(AveragedScores.MAX_ROWS_IN_FLIGHT,
                outputWidth, width) : 0;
        if (deletion != null) {
            // Coalitions of one curve, and two curves (order, moved, values) per explanation.
            bytes += (long) (features + 1) * features + explanations * 2 * 3L * (features + 1) * Double.BYTES;
        }
        if (infidelity != null) {
            bytes += 2L * (infidelity.perturbations() + 1) * width * Double.BYTES;
        }
        if (sensitivity != null) {
            long perturbed = (long) input.instances().rows() * sensitivity.perturbations();
            bytes += perturbed * width * Double.BYTES
                    + perturbed * input.outputCount() * (2L * features * Double.BYTES + 256);
        }
        return bytes;
    }
}
