package dev.prism.model.trees;

import dev.prism.model.Model;
import dev.prism.model.RowBatch;
import dev.prism.tensor.RowBlock;
import java.util.Optional;

/**
 * Compares Prism's evaluation of a tree ensemble with the model's own run on the same rows. They
 * agree on a score column when they differ by at most {@value #RELATIVE} of the model's value plus
 * {@value #ABSOLUTE}, plus what summing the trees' votes in the runtime's precision may lose: each
 * of n additions may round by half an ulp of the running sum, at most n·u·Σ|vote| for a target,
 * carried through the transform and tail by evaluating them at the margins moved by that much.
 */
public final class TreeEnsembleCheck {
    static final double RELATIVE = 1e-5;
    static final double ABSOLUTE = 1e-6;
    private static final double FLOAT32_UNIT_ROUNDOFF = 0x1p-24;
    private static final double FLOAT64_UNIT_ROUNDOFF = 0x1p-53;

    /** Where the two first differ by more than the tolerance. */
    public record Disagreement(int row, int column, double prism, double model, double tolerance) {
        public double difference() {
            return Math.abs(prism - model);
        }
    }

    private TreeEnsembleCheck() {
    }

    /**
     * Runs the model on the rows and compares each score column with the ensemble's outputs.
     *
     * @param float32Sums the runtime sums the votes in float32 (a float score output)
     * @return the first row and column where they disagree, or empty
     */
    public static Optional<Disagreement> compare(TreeEnsemble trees, Model model, RowBlock rows, boolean float32Sums) {
        if (model.signature().outputCount() != trees.outputCount()) {
            throw new IllegalArgumentException("the model has " + model.signature().outputCount()
                    + " score columns; the ensemble gives " + trees.outputCount());
        }
        RowBlock outputs = model.run(RowBatch.of(rows));
        double u = float32Sums ? FLOAT32_UNIT_ROUNDOFF : FLOAT64_UNIT_ROUNDOFF;
        for (int r = 0; r < rows.rows(); r++) {
            double[] x = rows.row(r);
            double[] margins = trees.margins(x);
            double[] prism = trees.outputsOfMargins(margins);
            double[] sumError = sumErrorBounds(trees, x, u);
            for (int j = 0; j < prism.length; j++) {
                double value = outputs.get(r, j);
                double tolerance = RELATIVE * Math.abs(value) + ABSOLUTE + propagated(trees, margins, sumError, j);
                // Written so that a NaN on either side (and not on both) disagrees.
                boolean agree = Double.isNaN(value) ? Double.isNaN(prism[j])
                        : prism[j] == value || Math.abs(prism[j] - value) <= tolerance;
                if (!agree) {
                    return Optional.of(new Disagreement(r, j, prism[j], value, tolerance));
                }
            }
        }
        return Optional.empty();
    }

    /** Per target, n·u·(Σ|vote| + |base|) over the votes x's leaves cast for it. */
    private static double[] sumErrorBounds(TreeEnsemble trees, double[] x, double u) {
        int targets = trees.targetCount();
        double[] magnitude = new double[targets];
        int[] count = new int[targets];
        for (int t = 0; t < trees.treeCount(); t++) {
            int leaf = trees.leaf(t, x);
            for (int v = 0; v < trees.voteCount(leaf); v++) {
                magnitude[trees.voteTarget(leaf, v)] += Math.abs(trees.voteWeight(leaf, v));
                count[trees.voteTarget(leaf, v)]++;
            }
        }
        double[] bound = new double[targets];
        for (int k = 0; k < targets; k++) {
            bound[k] = (count[k] + 1) * u * (magnitude[k] * trees.scale() + Math.abs(trees.base(k)));
        }
        return bound;
    }

    /** How far column j can move when each margin moves by its bound (one at a time, either way). */
    private static double propagated(TreeEnsemble trees, double[] margins, double[] bound, int j) {
        double base = trees.outputsOfMargins(margins)[j];
        double total = 0;
        for (int k = 0; k < margins.length; k++) {
            double worst = 0;
            for (int sign : new int[] {-1, 1}) {
                double[] moved = margins.clone();
                moved[k] += sign * bound[k];
                worst = Math.max(worst, Math.abs(trees.outputsOfMargins(moved)[j] - base));
            }
            total += worst;
        }
        return total;
    }
}
