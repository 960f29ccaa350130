package dev.prism.explain.evaluation;

import dev.prism.explain.CoalitionMasker;
import dev.prism.explain.FeatureGroups;
import dev.prism.explain.Link;
import dev.prism.explain.RowStream;
import dev.prism.model.Background;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Deletion and insertion curves (Petsiuk et al. 2018) of one instance's attribution for one output.
 * Features are taken in decreasing order of their signed attribution φ (ties by index): the features
 * that pushed the explained output up come first, so a faithful attribution makes the deletion
 * curve fall fast (low area) and the insertion curve rise fast (high area). Features with negative φ
 * come last, and removing them raises the output again.
 *
 * <p>A removed feature takes the replacement rows' values the way the coalition game masks: the
 * point is link(Σ_k π_k f(x_S, r_k)) with S the features still present, over the background with its
 * weights, or over a single baseline row for methods whose reference is a baseline. Point k has the
 * first {@code moved[k]} features of the order removed (deletion) or present (insertion); with M
 * features and {@code steps} ≥ M (or 0) the points are k = 0..M, one feature at a time, otherwise
 * {@code steps} + 1 points with round(j·M/steps) features moved. The area is the trapezoid rule over
 * the fraction of features moved (k/M on [0, 1]), so it is in the output's units.
 *
 * @param order  the features (groups) in the order they are moved
 * @param moved  features moved at each point, from 0 to M
 * @param values the link-space score at each point
 * @param area   trapezoid area under the curve over moved/M
 */
public record DeletionCurve(Direction direction, int[] order, int[] moved, double[] values, double area) {

    public enum Direction {
        /** Start from the instance and replace features, most positive φ first. */
        DELETION,
        /** Start from the replacement and put the instance's features back, most positive φ first. */
        INSERTION
    }

    public DeletionCurve {
        order = order.clone();
        moved = moved.clone();
        values = values.clone();
    }

    @Override
    public int[] order() {
        return order.clone();
    }

    @Override
    public int[] moved() {
        return moved.clone();
    }

    @Override
    public double[] values() {
        return values.clone();
    }

    /** Features moved at each point: every count from 0 to M, or {@code steps} + 1 evenly spread counts. */
    public static int[] movedCounts(int features, int steps) {
        if (steps <= 0 || steps >= features) {
            return IntStream.rangeClosed(0, features).toArray();
        }
        int[] counts = new int[steps + 1];
        for (int j = 0; j <= steps; j++) {
            counts[j] = (int) Math.round((double) j * features / steps);
        }
        return counts;
    }

    /** Model rows a curve costs: one masked instance per replacement row at each point. */
    public static long modelRows(int features, int steps, int replacementRows) {
        return (long) movedCounts(features, steps).length * replacementRows;
    }

    /** Features by decreasing φ, ties by index. */
    public static int[] order(double[] attributions) {
        return IntStream.range(0, attributions.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -attributions[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
    }

    /**
     * The curve, its rows streamed through {@code stream}.
     *
     * @param instance     the explained instance, flattened
     * @param replacement  the background (with its weights) or a one-row baseline
     * @param groups       the features the attribution is over
     * @param attributions one per feature (group)
     * @param column       the model's output column explained
     * @param link         the space the attribution is in
     * @param steps        points besides the first; 0 or at least M for one point per feature
     * @throws IllegalArgumentException when the attribution and the groups disagree in length
     */
    public static DeletionCurve of(RowStream stream, Direction direction, double[] instance, Background replacement,
                                   FeatureGroups groups, double[] attributions, int column, Link link, int steps) {
        int m = groups.count();
        if (attributions.length != m || m == 0) {
            throw new IllegalArgumentException(attributions.length + " attributions for " + m + " features");
        }
        int[] order = order(attributions);
        int[] moved = movedCounts(m, steps);
        List<boolean[]> coalitions = new ArrayList<>(moved.length);
        for (int k : moved) {
            boolean[] present = new boolean[m];
            Arrays.fill(present, direction == Direction.DELETION);
            for (int i = 0; i < k; i++) {
                present[order[i]] = direction == Direction.INSERTION;
            }
            coalitions.add(present);
        }
        CoalitionMasker masker = new CoalitionMasker(instance, replacement.rows(),
                groups.membersOf(IntStream.range(0, m).toArray()), groups.ungrouped());
        double[] values = AveragedScores.of(stream, coalitions.size(), replacement.weights(),
                (from, to) -> masker.rows(coalitions, from, to), column, link,
                point -> "the " + direction.name().toLowerCase() + " point with " + moved[point] + " features moved");
        return new DeletionCurve(direction, order, moved, values, area(moved, values, m));
    }

    /**
     * The area with every point rescaled by the lowest and highest values of this curve and its
     * partner (the explanation's other curve) to [0, 1]. One increasing map for both curves, so the
     * deletion area stays below the insertion area exactly when it is below it in output units, and
     * the areas compare across instances and models whatever their outputs' scale or sign. NaN when
     * every point of both curves has the same value.
     */
    public double normalizedArea(DeletionCurve partner) {
        double low = Math.min(Arrays.stream(values).min().orElseThrow(), Arrays.stream(partner.values).min().orElseThrow());
        double high = Math.max(Arrays.stream(values).max().orElseThrow(),
                Arrays.stream(partner.values).max().orElseThrow());
        if (!(high > low)) {
            return Double.NaN;
        }
        double[] rescaled = new double[values.length];
        for (int k = 0; k < values.length; k++) {
            rescaled[k] = (values[k] - low) / (high - low);
        }
        return area(moved, rescaled, moved[moved.length - 1]);
    }

    /** Trapezoid area over moved/M. */
    static double area(int[] moved, double[] values, int features) {
        double area = 0;
        for (int j = 1; j < moved.length; j++) {
            area += (moved[j] - moved[j - 1]) * (values[j] + values[j - 1]) / 2;
        }
        return area / features;
    }
}
