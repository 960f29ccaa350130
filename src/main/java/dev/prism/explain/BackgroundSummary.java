package dev.prism.explain;

import dev.prism.model.Background;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Shrinks a background to a few weighted rows, as {@code shap.kmeans}: weighted k-means
 * (k-means++ seeding, Lloyd iterations, the best of ten restarts), then every coordinate of every
 * centre replaced by the nearest value its column really takes, so that categorical and integer
 * features keep valid values. Each centre is weighted by the background weight of its cluster.
 * Lloyd's iterations are bounded as scikit-learn's ({@value #MAX_ITER}; the clustering at the
 * bound is still a valid summary, only less refined); the request's cancellation is checked before
 * each seeding candidate and every few rows of each assignment step.
 */
public final class BackgroundSummary {
    private static final int RESTARTS = 10;
    private static final int MAX_ITER = 300;
    private static final double TOL = 1e-4;
    /** Coordinates an assignment step compares between two cancellation checks (at least one row's). */
    private static final long CHECK_WORK = 1 << 16;

    private BackgroundSummary() {
    }

    /**
     * The k-means summary.
     *
     * @param bg   the background; its row weights weigh the rows in the clustering
     * @param k    the number of clusters (at least 1); a background of at most k rows is returned as it is
     * @param seed the randomness of the seeding: the same seed gives the same summary
     */
    public static Background kmeans(Background bg, int k, long seed) {
        return kmeans(bg, k, seed, RequestContext.detached());
    }

    /**
     * The k-means summary for a request: stops with the request's cancellation.
     *
     * @throws dev.prism.error.PrismException the context's reason, once it is cancelled
     */
    public static Background kmeans(Background bg, int k, long seed, RequestContext context) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        int n = bg.size();
        if (n <= k) {
            return bg;
        }
        RowBlock rows = bg.rows();
        int d = rows.width();
        double[] weights = bg.weights();
        double[][] x = imputedAndCentred(rows, weights);
        double tol = meanColumnVariance(x) * TOL;

        SplittableRandom rng = new SplittableRandom(seed);
        Clustering best = null;
        for (int run = 0; run < RESTARTS; run++) {
            Clustering c = lloyd(x, weights, plusPlus(x, weights, k, rng, context), tol, context);
            // Like scikit-learn, a restart replaces the best only with a strictly lower inertia and a
            // different partition.
            if (best == null || (c.inertia < best.inertia && !samePartition(c.labels, best.labels, k))) {
                best = c;
            }
        }

        double[] mean = columnMeans(rows, weights);
        double[] clusterWeights = new double[k];
        for (int i = 0; i < n; i++) {
            clusterWeights[best.labels[i]] += weights[i];
        }
        List<Integer> kept = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            if (clusterWeights[j] > 0) {
                kept.add(j);
            }
        }
        double[] out = new double[kept.size() * d];
        double[] outWeights = new double[kept.size()];
        for (int col = 0; col < d; col++) {
            ColumnValues values = new ColumnValues(rows, col);
            for (int r = 0; r < kept.size(); r++) {
                int j = kept.get(r);
                out[r * d + col] = values.nearest(best.centres[j][col] + mean[col]);
            }
        }
        for (int r = 0; r < kept.size(); r++) {
            outWeights[r] = clusterWeights[kept.get(r)];
        }
        return new Background(new RowBlock(kept.size(), d, out), outWeights);
    }

    private record Clustering(double[][] centres, int[] labels, double inertia) {
    }

    /**
     * The rows with missing values replaced by their column's weighted mean, shifted so every
     * column has weighted mean zero (distances are then computed on small numbers).
     */
    private static double[][] imputedAndCentred(RowBlock rows, double[] weights) {
        int n = rows.rows();
        int d = rows.width();
        double[] mean = columnMeans(rows, weights);
        double[][] x = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int col = 0; col < d; col++) {
                double v = rows.get(i, col);
                x[i][col] = Double.isNaN(v) ? 0 : v - mean[col];
            }
        }
        return x;
    }

    /** Weighted column means over the values that are present; 0 for a column with none. */
    private static double[] columnMeans(RowBlock rows, double[] weights) {
        int d = rows.width();
        double[] sum = new double[d];
        double[] weight = new double[d];
        for (int i = 0; i < rows.rows(); i++) {
            for (int col = 0; col < d; col++) {
                double v = rows.get(i, col);
                if (!Double.isNaN(v)) {
                    sum[col] += weights[i] * v;
                    weight[col] += weights[i];
                }
            }
        }
        double[] mean = new double[d];
        for (int col = 0; col < d; col++) {
            mean[col] = weight[col] > 0 ? sum[col] / weight[col] : 0;
        }
        return mean;
    }

    /** scikit-learn scales its tolerance by the mean of the (unweighted) column variances. */
    private static double meanColumnVariance(double[][] x) {
        int n = x.length;
        int d = x[0].length;
        double total = 0;
        for (int col = 0; col < d; col++) {
            double mean = 0;
            for (double[] row : x) {
                mean += row[col];
            }
            mean /= n;
            double ss = 0;
            for (double[] row : x) {
                ss += (row[col] - mean) * (row[col] - mean);
            }
            total += ss / n;
        }
        return d == 0 ? 0 : total / d;
    }

    /**
     * k-means++ seeding (Arthur and Vassilvitskii 2007) with sample weights and greedy local
     * trials: each new centre is the best of 2 + ⌊ln k⌋ candidates drawn in proportion to
     * weight × squared distance to the nearest centre so far.
     */
    private static double[][] plusPlus(double[][] x, double[] w, int k, SplittableRandom rng,
                                       RequestContext context) {
        int n = x.length;
        int trials = 2 + (int) Math.log(k);
        double[][] centres = new double[k][];
        centres[0] = x[sample(w, null, 1.0, rng)].clone();
        double[] closest = new double[n];
        double potential = 0;
        for (int i = 0; i < n; i++) {
            closest[i] = squaredDistance(x[i], centres[0]);
            potential += w[i] * closest[i];
        }
        for (int c = 1; c < k; c++) {
            int bestCandidate = -1;
            double bestPotential = Double.POSITIVE_INFINITY;
            double[] bestClosest = null;
            for (int t = 0; t < trials; t++) {
                context.throwIfCancelled();
                int candidate = sample(w, closest, potential, rng);
                double[] next = new double[n];
                double pot = 0;
                for (int i = 0; i < n; i++) {
                    next[i] = Math.min(closest[i], squaredDistance(x[i], x[candidate]));
                    pot += w[i] * next[i];
                }
                if (pot < bestPotential) {
                    bestPotential = pot;
                    bestCandidate = candidate;
                    bestClosest = next;
                }
            }
            centres[c] = x[bestCandidate].clone();
            closest = bestClosest;
            potential = bestPotential;
        }
        return centres;
    }

    /** An index drawn with probability ∝ w_i·scale_i (scale 1 when null), by inverse CDF. */
    private static int sample(double[] w, double[] scale, double total, SplittableRandom rng) {
        double u = rng.nextDouble() * total;
        double acc = 0;
        int lastWithMass = 0;
        for (int i = 0; i < w.length; i++) {
            double mass = w[i] * (scale == null ? 1 : scale[i]);
            if (mass > 0) {
                acc += mass;
                lastWithMass = i;
                if (acc >= u) {
                    return i;
                }
            }
        }
        return lastWithMass; // rounding left u above the last cumulative sum
    }

    /**
     * Lloyd's algorithm as scikit-learn runs it: stop when the labels repeat or the centres move by
     * at most {@code tol} in total squared distance; empty clusters take the points farthest from
     * their centres; after a tolerance stop the labels are refreshed for the final centres.
     */
    private static Clustering lloyd(double[][] x, double[] w, double[][] centres, double tol,
                                    RequestContext context) {
        int n = x.length;
        int k = centres.length;
        int d = x[0].length;
        int[] labels = new int[n];
        int[] previous = new int[n];
        Arrays.fill(previous, -1);
        boolean strict = false;
        for (int iter = 0; iter < MAX_ITER; iter++) {
            assign(x, centres, labels, context);
            double[][] sums = new double[k][d];
            double[] mass = new double[k];
            for (int i = 0; i < n; i++) {
                mass[labels[i]] += w[i];
                for (int col = 0; col < d; col++) {
                    sums[labels[i]][col] += w[i] * x[i][col];
                }
            }
            relocateEmpty(x, w, centres, labels, sums, mass);
            int heaviest = 0;
            for (int j = 1; j < k; j++) {
                if (mass[j] > mass[heaviest]) {
                    heaviest = j;
                }
            }
            double[][] next = new double[k][];
            for (int j = 0; j < k; j++) {
                if (mass[j] > 0) {
                    next[j] = new double[d];
                    for (int col = 0; col < d; col++) {
                        next[j][col] = sums[j][col] / mass[j];
                    }
                }
            }
            for (int j = 0; j < k; j++) {
                if (next[j] == null) {
                    // An empty cluster waits on the heaviest centre rather than at the origin.
                    next[j] = next[heaviest].clone();
                }
            }
            double shift = 0;
            for (int j = 0; j < k; j++) {
                shift += squaredDistance(next[j], centres[j]);
            }
            centres = next;
            if (Arrays.equals(labels, previous)) {
                strict = true;
                break;
            }
            if (shift <= tol) {
                break;
            }
            System.arraycopy(labels, 0, previous, 0, n);
        }
        if (!strict) {
            assign(x, centres, labels, context);
        }
        double inertia = 0;
        for (int i = 0; i < n; i++) {
            inertia += w[i] * squaredDistance(x[i], centres[labels[i]]);
        }
        return new Clustering(centres, labels, inertia);
    }

    private static void assign(double[][] x, double[][] centres, int[] labels, RequestContext context) {
        int rowsPerCheck = (int) Math.max(1, CHECK_WORK / Math.max(1, (long) centres.length * x[0].length));
        for (int i = 0; i < x.length; i++) {
            if (i % rowsPerCheck == 0) {
                context.throwIfCancelled();
            }
            int best = 0;
            double bestDistance = Double.POSITIVE_INFINITY;
            for (int j = 0; j < centres.length; j++) {
                double dist = squaredDistance(x[i], centres[j]);
                if (dist < bestDistance) {
                    bestDistance = dist;
                    best = j;
                }
            }
            labels[i] = best;
        }
    }

    /** Moves the points farthest from their centres into the empty clusters (their labels stay). */
    private static void relocateEmpty(double[][] x, double[] w, double[][] centres, int[] labels, double[][] sums,
                                      double[] mass) {
        List<Integer> empty = new ArrayList<>();
        for (int j = 0; j < mass.length; j++) {
            if (mass[j] == 0) {
                empty.add(j);
            }
        }
        if (empty.isEmpty()) {
            return;
        }
        int n = x.length;
        double[] distance = new double[n];
        for (int i = 0; i < n; i++) {
            distance[i] = squaredDistance(x[i], centres[labels[i]]);
        }
        Integer[] farthest = new Integer[n];
        for (int i = 0; i < n; i++) {
            farthest[i] = i;
        }
        Arrays.sort(farthest, (a, b) -> Double.compare(distance[b], distance[a]));
        if (distance[farthest[0]] == 0) {
            return; // more clusters than distinct points: nothing to move
        }
        for (int e = 0; e < empty.size(); e++) {
            int to = empty.get(e);
            int i = farthest[e];
            int from = labels[i];
            for (int col = 0; col < x[i].length; col++) {
                sums[from][col] -= w[i] * x[i][col];
                sums[to][col] = w[i] * x[i][col];
            }
            mass[to] = w[i];
            mass[from] -= w[i];
        }
    }

    /** Whether two labelings are the same partition up to renaming the clusters. */
    private static boolean samePartition(int[] a, int[] b, int k) {
        int[] mapping = new int[k];
        Arrays.fill(mapping, -1);
        for (int i = 0; i < a.length; i++) {
            if (mapping[a[i]] == -1) {
                mapping[a[i]] = b[i];
            } else if (mapping[a[i]] != b[i]) {
                return false;
            }
        }
        return true;
    }

    private static double squaredDistance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double t = a[i] - b[i];
            s += t * t;
        }
        return s;
    }

    /**
     * The distinct values one column takes, sorted, with the first row that has each; a query
     * returns the nearest, and between two equally near values the one whose first row comes first
     * (numpy's argmin over the rows).
     */
    private static final class ColumnValues {
        private final double[] values;
        private final int[] firstRow;

        ColumnValues(RowBlock rows, int col) {
            int n = rows.rows();
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> {
                int byValue = Double.compare(rows.get(a, col), rows.get(b, col));
                return byValue != 0 ? byValue : Integer.compare(a, b);
            });
            double[] v = new double[n];
            int[] first = new int[n];
            int count = 0;
            for (int idx : order) {
                double value = rows.get(idx, col);
                if (Double.isNaN(value)) {
                    continue; // sorted last; a missing value is never a snapping target
                }
                if (count == 0 || v[count - 1] != value) {
                    v[count] = value;
                    first[count] = idx;
                    count++;
                }
            }
            this.values = Arrays.copyOf(v, count);
            this.firstRow = Arrays.copyOf(first, count);
        }

        double nearest(double target) {
            if (values.length == 0) {
                return Double.NaN; // the column is missing everywhere
            }
            int at = Arrays.binarySearch(values, target);
            if (at >= 0) {
                return values[at];
            }
            int above = -at - 1;
            if (above == 0) {
                return values[0];
            }
            if (above == values.length) {
                return values[values.length - 1];
            }
            int below = above - 1;
            double down = target - values[below];
            double up = values[above] - target;
            if (down != up) {
                return down < up ? values[below] : values[above];
            }
            return firstRow[below] < firstRow[above] ? values[below] : values[above];
        }
    }
}
