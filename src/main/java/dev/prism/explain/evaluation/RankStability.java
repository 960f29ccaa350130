package dev.prism.explain.evaluation;

import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * How well the top of the ranking survives small input changes: with T the k features of largest
 * |φ(x)| and T_j those of φ(x'_j) (ties by lower index), the stability is the mean over the
 * perturbed inputs of |T ∩ T_j| / k. It is 1 when every perturbation keeps the same top-k set
 * (in any order) and 0 when none of x's top-k stays. k is cut to the number of features, where the
 * stability is 1 by definition.
 *
 * @param value    the mean overlap
 * @param overlaps |T ∩ T_j| / k per perturbed input
 * @param k        the size of the top sets compared
 */
public record RankStability(double value, double[] overlaps, int k) {

    /** The top-k size by default. */
    public static final int DEFAULT_K = 5;

    public RankStability {
        overlaps = overlaps.clone();
    }

    @Override
    public double[] overlaps() {
        return overlaps.clone();
    }

    /**
     * @param k at least 1
     */
    public static RankStability of(double[] attributions, double[][] perturbedAttributions, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("the top-k size must be at least 1, got " + k);
        }
        if (perturbedAttributions.length == 0) {
            throw new IllegalArgumentException("rank stability needs at least one perturbed input");
        }
        int size = Math.min(k, attributions.length);
        boolean[] top = topByMagnitude(attributions, size);
        double[] overlaps = new double[perturbedAttributions.length];
        double sum = 0;
        for (int j = 0; j < overlaps.length; j++) {
            if (perturbedAttributions[j].length != attributions.length) {
                throw new IllegalArgumentException("explanation " + j + " has " + perturbedAttributions[j].length
                        + " values, the instance's " + attributions.length);
            }
            boolean[] other = topByMagnitude(perturbedAttributions[j], size);
            int common = 0;
            for (int i = 0; i < top.length; i++) {
                common += top[i] && other[i] ? 1 : 0;
            }
            overlaps[j] = size == 0 ? 1 : (double) common / size;
            sum += overlaps[j];
        }
        return new RankStability(sum / overlaps.length, overlaps, size);
    }

    /** Membership of the k features of largest |φ|, ties by lower index. */
    static boolean[] topByMagnitude(double[] attributions, int k) {
        boolean[] in = new boolean[attributions.length];
        IntStream.range(0, attributions.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -Math.abs(attributions[i])).thenComparingInt(i -> i))
                .limit(k).forEach(i -> in[i] = true);
        return in;
    }
}
