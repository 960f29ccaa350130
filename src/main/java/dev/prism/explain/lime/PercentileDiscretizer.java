package dev.prism.explain.lime;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * lime's QuartileDiscretizer and DecileDiscretizer for one column: bin edges at percentiles of
 * the training column (numpy's default linear interpolation, duplicate edges dropped), a value's
 * bin the number of edges strictly below it (numpy's searchsorted), and values drawn back from a
 * bin by a normal with the bin's training mean and standard deviation (+1e-11) truncated to the
 * bin's range.
 */
final class PercentileDiscretizer {
    static final double[] QUARTILES = {25, 50, 75};
    static final double[] DECILES = {10, 20, 30, 40, 50, 60, 70, 80, 90};
    /** Added to every bin's standard deviation, as lime, so a one-valued bin still has a spread. */
    private static final double STD_FLOOR = 1e-11;

    private final double[] edges;
    private final double[] mean;
    private final double[] std;
    private final double[] low;
    private final double[] high;

    private PercentileDiscretizer(double[] edges, double[] mean, double[] std, double[] low, double[] high) {
        this.edges = edges;
        this.mean = mean;
        this.std = std;
        this.low = low;
        this.high = high;
    }

    /** Bins of one training column at the given percentiles (ascending, in [0, 100]). */
    static PercentileDiscretizer fit(double[] column, double[] percents) {
        double[] sorted = column.clone();
        Arrays.sort(sorted);
        double[] edges = distinct(Arrays.stream(percents).map(p -> percentile(sorted, p)).toArray());
        int bins = edges.length + 1;
        double[] sum = new double[bins];
        int[] count = new int[bins];
        int[] bin = new int[column.length];
        for (int i = 0; i < column.length; i++) {
            bin[i] = searchsorted(edges, column[i]);
            sum[bin[i]] += column[i];
            count[bin[i]]++;
        }
        double[] mean = new double[bins];
        double[] std = new double[bins];
        for (int b = 0; b < bins; b++) {
            mean[b] = count[b] == 0 ? 0 : sum[b] / count[b];
        }
        for (int i = 0; i < column.length; i++) {
            double d = column[i] - mean[bin[i]];
            std[bin[i]] += d * d;
        }
        for (int b = 0; b < bins; b++) {
            std[b] = (count[b] == 0 ? 0 : Math.sqrt(std[b] / count[b])) + STD_FLOOR;
        }
        double[] low = new double[bins];
        double[] high = new double[bins];
        low[0] = sorted[0];
        System.arraycopy(edges, 0, low, 1, edges.length);
        System.arraycopy(edges, 0, high, 0, edges.length);
        high[bins - 1] = sorted[sorted.length - 1];
        return new PercentileDiscretizer(edges, mean, std, low, high);
    }

    /**
     * numpy.percentile's default ("linear") method on sorted values, with numpy's arithmetic, so
     * that edges which fall on data values are exactly those values.
     */
    static double percentile(double[] sorted, double percent) {
        double index = (sorted.length - 1) * (percent / 100);
        int below = (int) Math.floor(index);
        int above = Math.min(below + 1, sorted.length - 1);
        double t = index - below;
        double a = sorted[below];
        double b = sorted[above];
        double diff = b - a;
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    }

    /** numpy.unique: sorted, equal values (0.0 and −0.0 too) kept once. */
    private static double[] distinct(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = 0;
        for (int i = 0; i < v.length; i++) {
            if (n == 0 || v[i] != v[n - 1]) {
                v[n++] = v[i];
            }
        }
        return Arrays.copyOf(v, n);
    }

    /** numpy.searchsorted(edges, v, side='left'): the number of edges below v. */
    private static int searchsorted(double[] edges, double v) {
        int lo = 0;
        int hi = edges.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (edges[mid] < v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    int bins() {
        return edges.length + 1;
    }

    /** The bin of a value. */
    int bin(double v) {
        return searchsorted(edges, v);
    }

    /** The bin edges, ascending and distinct. */
    double[] edges() {
        return edges.clone();
    }

    /**
     * A value drawn from a bin: truncated normal within the bin's range. A bin whose range is a
     * single value gives that value (lime gives its z-score there, 0, which is no value of the bin).
     */
    double sample(int bin, RandomGenerator rng) {
        double lo = low[bin];
        double hi = high[bin];
        if (lo == hi) {
            return lo;
        }
        double z = TruncatedNormal.sample(rng, (lo - mean[bin]) / std[bin], (hi - mean[bin]) / std[bin]);
        // Rounding in mean + std·z must not step out of the bin's range.
        return Math.min(hi, Math.max(lo, mean[bin] + std[bin] * z));
    }
}
