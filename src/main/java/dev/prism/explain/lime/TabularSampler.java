package dev.prism.explain.lime;

import dev.prism.tensor.RowBlock;
import java.util.Arrays;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * lime's LimeTabularExplainer neighbourhood, with the background rows as training data, every row
 * counting once (lime has no row weights).
 *
 * <p>Discretised mode (quartile or decile bins): each sample draws every column's bin (a
 * categorical column's value) from the training frequencies; its interpretable row is 1 where that
 * equals the instance's bin (value) and 0 elsewhere, and its model input draws a value within the
 * bin. Continuous mode: a column's value is N(0,1)·σ + μ (+ x instead of μ around the instance),
 * its interpretable value the standardised (v − μ)/σ; categorical columns as in discretised mode.
 * μ and σ are the training mean and population standard deviation, σ = 1 for a column scikit-learn
 * deems constant, and μ = 0, σ = 1 for categorical columns, whose 0/1 indicators stay as they are.
 */
final class TabularSampler {
    private static final double EPS = Math.ulp(1.0);

    private final int width;
    private final boolean discretised;
    private final PercentileDiscretizer[] discretizers;
    private final Frequencies[] frequencies;
    private final double[] mean;
    private final double[] scale;

    private TabularSampler(int width, boolean discretised, PercentileDiscretizer[] discretizers,
                           Frequencies[] frequencies, double[] mean, double[] scale) {
        this.width = width;
        this.discretised = discretised;
        this.discretizers = discretizers;
        this.frequencies = frequencies;
        this.mean = mean;
        this.scale = scale;
    }

    /**
     * Statistics of the training rows.
     *
     * @param categoricalColumns columns whose values are categories
     */
    static TabularSampler fit(RowBlock training, int[] categoricalColumns, LimeParams.Discretizer discretizer) {
        int width = training.width();
        boolean[] categorical = new boolean[width];
        for (int c : categoricalColumns) {
            categorical[c] = true;
        }
        boolean discretised = discretizer != LimeParams.Discretizer.NONE;
        double[] percents = discretizer == LimeParams.Discretizer.DECILE
                ? PercentileDiscretizer.DECILES : PercentileDiscretizer.QUARTILES;
        PercentileDiscretizer[] discretizers = new PercentileDiscretizer[width];
        Frequencies[] frequencies = new Frequencies[width];
        double[] mean = new double[width];
        double[] scale = new double[width];
        for (int j = 0; j < width; j++) {
            double[] column = column(training, j);
            if (categorical[j]) {
                frequencies[j] = Frequencies.of(column);
                scale[j] = 1;
            } else if (discretised) {
                PercentileDiscretizer bins = PercentileDiscretizer.fit(column, percents);
                discretizers[j] = bins;
                frequencies[j] = Frequencies.of(Arrays.stream(column).map(bins::bin).toArray());
                scale[j] = 1;
            } else {
                standardise(column, j, mean, scale);
            }
        }
        return new TabularSampler(width, discretised, discretizers, frequencies, mean, scale);
    }

    private static double[] column(RowBlock rows, int j) {
        double[] c = new double[rows.rows()];
        for (int i = 0; i < c.length; i++) {
            c[i] = rows.get(i, j);
        }
        return c;
    }

    /** scikit-learn's StandardScaler: population variance, scale 1 where it cannot tell the column from a constant. */
    private static void standardise(double[] column, int j, double[] mean, double[] scale) {
        int n = column.length;
        double sum = 0;
        for (double v : column) {
            sum += v;
        }
        double mu = sum / n;
        double ss = 0;
        for (double v : column) {
            ss += (v - mu) * (v - mu);
        }
        double var = ss / n;
        double bound = n * EPS * var + (n * mu * EPS) * (n * mu * EPS);
        mean[j] = mu;
        scale[j] = var <= bound ? 1 : Math.sqrt(var);
    }

    /** True when interpretable rows are 0/1 (discretised mode). */
    boolean binary() {
        return discretised;
    }

    /** A raw neighbourhood row (lime's {@code data}) as the surrogate sees it: standardised. */
    double[] scale(double[] data) {
        double[] out = new double[width];
        for (int j = 0; j < width; j++) {
            out[j] = (data[j] - mean[j]) / scale[j];
        }
        return out;
    }

    /**
     * Row 0 of lime's {@code data} (before scaling) for an instance: 1 for columns compared by bin
     * or category, the instance's value for continuous-mode columns.
     */
    static double[] dataRow0(double[] x, int[] categoricalColumns, LimeParams.Discretizer discretizer) {
        double[] row = x.clone();
        if (discretizer != LimeParams.Discretizer.NONE) {
            Arrays.fill(row, 1);
        }
        for (int c : categoricalColumns) {
            row[c] = 1;
        }
        return row;
    }

    /** The sampler around one instance. */
    Instance at(double[] x, boolean aroundInstance) {
        return new Instance(x, aroundInstance);
    }

    final class Instance {
        private final double[] x;
        private final double[] own;
        private final boolean aroundInstance;

        private Instance(double[] x, boolean aroundInstance) {
            this.x = x.clone();
            this.aroundInstance = aroundInstance;
            this.own = new double[width];
            for (int j = 0; j < width; j++) {
                own[j] = discretizers[j] != null ? discretizers[j].bin(x[j]) : x[j];
            }
        }

        /** One sample: its interpretable (scaled) row and its model input. */
        void sample(RandomGenerator rng, double[] interpretable, double[] input) {
            for (int j = 0; j < width; j++) {
                if (frequencies[j] != null) {
                    double drawn = frequencies[j].sample(rng);
                    interpretable[j] = drawn == own[j] ? 1 : 0;
                    input[j] = discretizers[j] != null ? discretizers[j].sample((int) drawn, rng) : drawn;
                } else {
                    double v = rng.nextGaussian() * scale[j] + (aroundInstance ? x[j] : mean[j]);
                    interpretable[j] = (v - mean[j]) / scale[j];
                    input[j] = v;
                }
            }
        }
    }

    /** A column's distinct values and their training frequencies, drawn as numpy's choice draws them. */
    private record Frequencies(double[] values, double[] cdf) {
        static Frequencies of(double[] column) {
            TreeMap<Double, Integer> counts = new TreeMap<>();
            for (double v : column) {
                // −0.0 and 0.0 are one value, as for Python's Counter.
                counts.merge(v == 0 ? 0.0 : v, 1, Integer::sum);
            }
            double[] values = new double[counts.size()];
            double[] cdf = new double[counts.size()];
            int i = 0;
            double total = 0;
            for (var e : counts.entrySet()) {
                values[i] = e.getKey();
                total += (double) e.getValue() / column.length;
                cdf[i++] = total;
            }
            for (int k = 0; k < cdf.length; k++) {
                cdf[k] /= total;
            }
            return new Frequencies(values, cdf);
        }

        /** The first value whose cumulative frequency exceeds a uniform draw (searchsorted right). */
        double sample(RandomGenerator rng) {
            double u = rng.nextDouble();
            int lo = 0;
            int hi = cdf.length - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] <= u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return values[lo];
        }
    }
}
