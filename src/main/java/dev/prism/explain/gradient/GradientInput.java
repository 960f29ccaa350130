package dev.prism.explain.gradient;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.FeatureGroups;
import dev.prism.explain.Link;
import dev.prism.model.AttributionKind;
import dev.prism.runner.BatchRunner;
import dev.prism.tensor.RowBlock;
import java.util.Arrays;

/**
 * A request as the gradient explainers see it: instances, their references (a replacement row with
 * the elements that belong to no group kept at the instance's values, so those get nothing), the
 * one-hot seeds that pick a score column, and sums of per-element values over the features.
 */
final class GradientInput {
    final ExplainInput input;
    /** Elements of an instance: D. */
    final int elements;
    /** Score columns of the graph's seed: K. */
    final int scoreWidth;
    private final double[] x;
    private final boolean[] grouped;
    private final int[][] members;

    GradientInput(ExplainInput input, BatchRunner runner, AttributionKind kind) {
        this.input = input;
        this.elements = input.instances().width();
        this.scoreWidth = runner.inputWidth() - kind.inputWidth(elements, 0);
        if (scoreWidth < 1 || runner.outputWidth() != kind.outputWidth(elements)) {
            throw new IllegalStateException("the runner takes rows of " + runner.inputWidth() + " and returns "
                    + runner.outputWidth() + " columns, not the " + kind + " layout for " + elements + " elements");
        }
        for (int k = 0; k < input.outputCount(); k++) {
            if (input.output(k) >= scoreWidth) {
                throw new IllegalStateException("output column " + input.output(k) + " of " + scoreWidth);
            }
        }
        this.x = input.instances().data();
        FeatureGroups groups = input.groups();
        this.members = new int[groups.count()][];
        this.grouped = new boolean[elements];
        for (int g = 0; g < members.length; g++) {
            members[g] = groups.members(g);
            for (int e : members[g]) {
                grouped[e] = true;
            }
        }
    }

    /** Gradients attribute the score itself: a link would make the attributions sum to something else. */
    static void requireIdentityLink(ExplainInput input) {
        if (input.link() != Link.IDENTITY) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "link",
                    "gradient methods attribute the score itself and need LINK_IDENTITY; to explain a"
                            + " classifier's log-odds scale, target its logits");
        }
    }

    /** The single reference row of deep_lift, integrated_gradients and gradient_x_input. */
    static void requireSingleReference(ExplainInput input, String method) {
        if (input.background().size() != 1) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "baseline", method + " takes one reference input"
                    + " (the baseline), not " + input.background().size() + " background rows");
        }
    }

    int instances() {
        return input.instances().rows();
    }

    int outputs() {
        return input.outputCount();
    }

    double x(int instance, int e) {
        return x[instance * elements + e];
    }

    /** Element e of the reference of an instance against row {@code row} of the replacement rows. */
    double reference(int instance, int row, int e) {
        return grouped[e] ? input.background().rows().get(row, e) : x(instance, e);
    }

    void writeInstance(int instance, double[] dest, int offset) {
        System.arraycopy(x, instance * elements, dest, offset, elements);
    }

    void writeReference(int instance, int row, double[] dest, int offset) {
        for (int e = 0; e < elements; e++) {
            dest[offset + e] = reference(instance, row, e);
        }
    }

    /** The seed selecting output position k's score column. */
    void writeSeed(int k, double[] dest, int offset) {
        Arrays.fill(dest, offset, offset + scoreWidth, 0.0);
        dest[offset + input.output(k)] = 1;
    }

    /** Per-feature sums of per-element values {@code values[offset ...]}. */
    double[] featureSums(double[] values, int offset) {
        double[] sums = new double[members.length];
        for (int g = 0; g < members.length; g++) {
            double s = 0;
            for (int e : members[g]) {
                s += values[offset + e];
            }
            sums[g] = s;
        }
        return sums;
    }

    /** Features with an element that differs from its value in some replacement row. */
    int varyingFeatures(int instance) {
        RowBlock rows = input.background().rows();
        int varying = 0;
        for (int[] group : members) {
            boolean differs = false;
            for (int r = 0; r < rows.rows() && !differs; r++) {
                for (int e : group) {
                    if (x(instance, e) != rows.get(r, e)) {
                        differs = true;
                        break;
                    }
                }
            }
            varying += differs ? 1 : 0;
        }
        return varying;
    }

    static double sum(double[] values) {
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return s;
    }
}
