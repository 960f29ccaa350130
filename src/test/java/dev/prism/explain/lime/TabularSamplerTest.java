package dev.prism.explain.lime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.tensor.RowBlock;
import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The tabular neighbourhood's distribution, checked statistically (numpy's draws cannot be reproduced). */
class TabularSamplerTest {
    private static final int ROWS = 2000;
    private static final int SAMPLES = 40_000;
    private static final int[] CATEGORICAL = {1};
    private static final double[] CATEGORY_FREQUENCIES = {0.2, 0.3, 0.5};
    private static final RowBlock TRAINING = training();
    private static final double[] X = {0.4, 2.0, 2.0, 3.5};

    /** Gaussian; categorical 0-2; 40% ties at 2.0 then 2 + exponential; constant 3.5. */
    private static RowBlock training() {
        Random r = new Random(5);
        double[] data = new double[ROWS * 4];
        for (int i = 0; i < ROWS; i++) {
            data[i * 4] = r.nextGaussian();
            data[i * 4 + 1] = i < 0.2 * ROWS ? 0 : i < 0.5 * ROWS ? 1 : 2;
            data[i * 4 + 2] = r.nextDouble() < 0.4 ? 2.0 : 2.0 - Math.log(1 - r.nextDouble());
            data[i * 4 + 3] = 3.5;
        }
        return new RowBlock(ROWS, 4, data);
    }

    private static double[] column(int j) {
        double[] c = new double[ROWS];
        for (int i = 0; i < ROWS; i++) {
            c[i] = TRAINING.get(i, j);
        }
        return c;
    }

    /** |observed − p| within 5 binomial standard deviations. */
    private static void assertFrequency(double p, int hits, int n, String what) {
        double sd = Math.sqrt(p * (1 - p) / n);
        assertEquals(p, (double) hits / n, 5 * sd + 1e-12, what);
    }

    @Test
    void discretisedSamplesFollowTheTrainingBinsAndCategories() {
        TabularSampler sampler = TabularSampler.fit(TRAINING, CATEGORICAL, LimeParams.Discretizer.QUARTILE);
        TabularSampler.Instance around = sampler.at(X, false);
        PercentileDiscretizer[] bins = {
            PercentileDiscretizer.fit(column(0), PercentileDiscretizer.QUARTILES), null,
            PercentileDiscretizer.fit(column(2), PercentileDiscretizer.QUARTILES),
            PercentileDiscretizer.fit(column(3), PercentileDiscretizer.QUARTILES)};
        int[][] sampledBins = new int[4][10];
        int[] categories = new int[3];
        SplittableRandom rng = new SplittableRandom(3);
        double[] interpretable = new double[4];
        double[] input = new double[4];
        for (int s = 0; s < SAMPLES; s++) {
            around.sample(rng, interpretable, input);
            for (int j : new int[] {0, 2, 3}) {
                int bin = bins[j].bin(input[j]);
                sampledBins[j][bin]++;
                assertEquals(bin == bins[j].bin(X[j]) ? 1 : 0, interpretable[j], "column " + j);
            }
            categories[(int) input[1]]++;
            assertEquals(input[1] == X[1] ? 1 : 0, interpretable[1]);
            // A bin holding one value gives that value (lime would give 0 here).
            assertEquals(3.5, input[3]);
            assertEquals(1, interpretable[3]);
        }
        for (int j : new int[] {0, 2}) {
            double[] c = column(j);
            int[] trainingBins = new int[bins[j].bins()];
            for (double v : c) {
                trainingBins[bins[j].bin(v)]++;
            }
            for (int b = 0; b < trainingBins.length; b++) {
                assertFrequency((double) trainingBins[b] / ROWS, sampledBins[j][b], SAMPLES,
                        "column " + j + " bin " + b);
            }
        }
        for (int k = 0; k < 3; k++) {
            assertFrequency(CATEGORY_FREQUENCIES[k], categories[k], SAMPLES, "category " + k);
        }
    }

    @Test
    void valuesDrawnFromABinStayWithinItsTrainingRange() {
        double[] c = column(2);
        PercentileDiscretizer bins = PercentileDiscretizer.fit(c, PercentileDiscretizer.DECILES);
        double[] low = new double[bins.bins()];
        double[] high = new double[bins.bins()];
        Arrays.fill(low, Double.POSITIVE_INFINITY);
        Arrays.fill(high, Double.NEGATIVE_INFINITY);
        for (double v : c) {
            int b = bins.bin(v);
            low[b] = Math.min(low[b], v);
            high[b] = Math.max(high[b], v);
        }
        double[] edges = bins.edges();
        SplittableRandom rng = new SplittableRandom(9);
        for (int b = 0; b < bins.bins(); b++) {
            if (low[b] > high[b]) {
                continue;
            }
            double lo = b == 0 ? low[0] : edges[b - 1];
            double hi = b == edges.length ? high[b] : edges[b];
            for (int s = 0; s < 2000; s++) {
                double v = bins.sample(b, rng);
                assertTrue(v >= lo && v <= hi, v + " outside bin " + b + " [" + lo + ", " + hi + "]");
            }
        }
    }

    @Test
    void decilesSplitAContinuousColumnIntoTenths() {
        TabularSampler sampler = TabularSampler.fit(TRAINING, CATEGORICAL, LimeParams.Discretizer.DECILE);
        PercentileDiscretizer bins = PercentileDiscretizer.fit(column(0), PercentileDiscretizer.DECILES);
        assertEquals(10, bins.bins());
        int[] counts = new int[10];
        SplittableRandom rng = new SplittableRandom(4);
        double[] interpretable = new double[4];
        double[] input = new double[4];
        TabularSampler.Instance around = sampler.at(X, false);
        for (int s = 0; s < SAMPLES; s++) {
            around.sample(rng, interpretable, input);
            counts[bins.bin(input[0])]++;
        }
        for (int b = 0; b < 10; b++) {
            assertFrequency(0.1, counts[b], SAMPLES, "decile " + b);
        }
    }

    @Test
    void continuousSamplesAreGaussianWithTheTrainingMomentsAndStandardised() {
        for (boolean aroundInstance : new boolean[] {false, true}) {
            TabularSampler sampler = TabularSampler.fit(TRAINING, CATEGORICAL, LimeParams.Discretizer.NONE);
            TabularSampler.Instance around = sampler.at(X, aroundInstance);
            double[] mu = new double[4];
            double[] sigma = new double[4];
            for (int j : new int[] {0, 2, 3}) {
                double[] c = column(j);
                double mean = Arrays.stream(c).average().orElseThrow();
                double var = Arrays.stream(c).map(v -> (v - mean) * (v - mean)).sum() / ROWS;
                mu[j] = mean;
                // scikit-learn scales a constant column by 1.
                sigma[j] = var == 0 ? 1 : Math.sqrt(var);
            }
            double[] sum = new double[4];
            double[] sumSq = new double[4];
            int[] categories = new int[3];
            SplittableRandom rng = new SplittableRandom(8);
            double[] interpretable = new double[4];
            double[] input = new double[4];
            for (int s = 0; s < SAMPLES; s++) {
                around.sample(rng, interpretable, input);
                for (int j : new int[] {0, 2, 3}) {
                    sum[j] += input[j];
                    sumSq[j] += input[j] * input[j];
                    assertEquals((input[j] - mu[j]) / sigma[j], interpretable[j], 1e-12);
                }
                categories[(int) input[1]]++;
                assertEquals(input[1] == X[1] ? 1 : 0, interpretable[1]);
            }
            for (int j : new int[] {0, 2, 3}) {
                double centre = aroundInstance ? X[j] : mu[j];
                double mean = sum[j] / SAMPLES;
                double sd = Math.sqrt(sumSq[j] / SAMPLES - mean * mean);
                assertEquals(centre, mean, 5 * sigma[j] / Math.sqrt(SAMPLES), "mean of column " + j);
                assertEquals(sigma[j], sd, 0.03 * sigma[j], "sd of column " + j);
            }
            for (int k = 0; k < 3; k++) {
                assertFrequency(CATEGORY_FREQUENCIES[k], categories[k], SAMPLES, "category " + k);
            }
            assertArrayEquals(new double[] {(X[0] - mu[0]) / sigma[0], 1, (X[2] - mu[2]) / sigma[2], 0},
                    sampler.scale(TabularSampler.dataRow0(X, CATEGORICAL, LimeParams.Discretizer.NONE)), 1e-12);
        }
    }
}
