package dev.prism.explain.lime;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.linalg.Cancellation;
import dev.prism.linalg.SolverException;
import dev.prism.linalg.WeightedRidge;
import dev.prism.tensor.RowSource;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * lime's {@code LimeBase.explain_instance_with_data}: from a neighbourhood (interpretable rows,
 * row 0 the instance), kernel weights and labels, choose features and fit the weighted linear
 * surrogate Ridge(α=1) with an intercept, per label.
 *
 * <ul>
 *   <li>FORWARD: greedy, each step adding the feature that maximises the weighted R² of an
 *       unregularised weighted least-squares fit (lime's Ridge(alpha=0)); ties go to the lowest index.</li>
 *   <li>HIGHEST_WEIGHTS: Ridge(α=0.01) on every feature, then the features with the largest
 *       |coefficient × row 0 value|, in that order, ties by index (Python's stable sort).</li>
 *   <li>NONE: every feature. AUTO: FORWARD for at most 6 features, else HIGHEST_WEIGHTS.</li>
 * </ul>
 */
public final class LimeSurrogate {
    static final int AUTO_FORWARD_MAX = 6;
    static final double SELECTION_ALPHA = 0.01;
    static final double SURROGATE_ALPHA = 1;
    /** Rows expanded at a time when the neighbourhood is folded into the regression. */
    private static final int BLOCK_ROWS = 512;

    private final double[] row0;
    private final WeightedRidge ridge;

    /**
     * @param rows    the interpretable rows, scaled as the regression sees them; row 0 is the instance
     * @param weights one kernel weight per row
     * @param labels  [rows, targets] row-major: the labels of every target
     */
    public LimeSurrogate(RowSource rows, double[] weights, double[] labels, int targets) {
        int n = rows.rows();
        int columns = rows.width();
        if (weights.length != n || labels.length != (long) n * targets) {
            throw new IllegalArgumentException(n + " rows but " + weights.length + " weights and "
                    + labels.length + " labels for " + targets + " targets");
        }
        this.row0 = new double[columns];
        rows.copyRows(0, 1, row0, 0);
        this.ridge = new WeightedRidge(row0, Arrays.copyOf(labels, targets));
        double[] block = new double[Math.min(n, BLOCK_ROWS) * columns];
        for (int from = 0; from < n; from += BLOCK_ROWS) {
            int count = Math.min(BLOCK_ROWS, n - from);
            rows.copyRows(from, count, block, 0);
            ridge.add(block, count, Arrays.copyOfRange(weights, from, from + count),
                    Arrays.copyOfRange(labels, from * targets, (from + count) * targets));
        }
    }

    /**
     * lime's default kernel: √exp(−d²/w²), i.e. exp(−d²/(2w²)), computed from d/w so that no width
     * > 0 gives 0/0: a width whose square underflows still weighs the instance (d = 0) 1.
     */
    public static double kernel(double distance, double width) {
        double z = distance / width;
        return Math.exp(-0.5 * z * z);
    }

    /**
     * The surrogate of one target.
     *
     * @param features     the most features in the explanation (ignored by NONE)
     * @param cancellation asked between the steps of a forward selection
     * @throws PrismException INTERNAL_ERROR when the labels overflow the regression's sums
     */
    public Fit fit(int target, int features, LimeParams.FeatureSelection selection, Cancellation cancellation) {
        int[] chosen;
        WeightedRidge.Fit fit;
        try {
            chosen = select(target, features, selection, cancellation);
            fit = ridge.fit(chosen, target, SURROGATE_ALPHA);
        } catch (SolverException e) {
            throw new PrismException(Reason.INTERNAL_ERROR, "the lime surrogate could not be fitted: "
                    + e.getMessage(), e);
        }
        double[] coefficients = new double[ridge.columns()];
        for (int i = 0; i < chosen.length; i++) {
            coefficients[chosen[i]] = fit.coefficients()[i];
        }
        return new Fit(chosen, coefficients, fit.intercept(), fit.score(), fit.predict(row0));
    }

    private int[] select(int target, int features, LimeParams.FeatureSelection selection,
                         Cancellation cancellation) {
        return switch (selection) {
            case NONE -> IntStream.range(0, ridge.columns()).toArray();
            case FORWARD -> ridge.forwardSelection(target, features, cancellation);
            case HIGHEST_WEIGHTS -> highestWeights(target, features);
            case AUTO -> select(target, features, features <= AUTO_FORWARD_MAX
                    ? LimeParams.FeatureSelection.FORWARD : LimeParams.FeatureSelection.HIGHEST_WEIGHTS, cancellation);
        };
    }

    private int[] highestWeights(int target, int features) {
        int[] all = IntStream.range(0, ridge.columns()).toArray();
        double[] coef = ridge.fit(all, target, SELECTION_ALPHA).coefficients();
        return IntStream.range(0, all.length).boxed()
                .sorted(Comparator.comparingDouble((Integer j) -> Math.abs(coef[j] * row0[j])).reversed())
                .limit(features)
                .mapToInt(Integer::intValue)
                .toArray();
    }

    /**
     * One target's surrogate.
     *
     * @param features        the chosen features, in the order chosen
     * @param coefficients    one per column: the surrogate's coefficient, 0 for columns not chosen
     * @param score           weighted R² on the neighbourhood
     * @param localPrediction the surrogate at row 0
     */
    public record Fit(int[] features, double[] coefficients, double intercept, double score,
                      double localPrediction) {}
}
