package dev.prism.explain.examples;

import dev.prism.linalg.Cancellation;
import dev.prism.tensor.RowBlock;
import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * An exact nearest-neighbour index over a reference set, built once and then only read (so any
 * number of threads may query it at once without locking).
 *
 * <p>Two spaces share the one scan:
 * <ul>
 * <li>{@link #inputSpace input space}: each numeric feature is standardised by the reference's mean
 * and population standard deviation (as scikit-learn's {@code StandardScaler}); a numeric feature
 * that takes one value throughout the reference carries no information about closeness and is left
 * out of the distance. A categorical feature adds 1 to the squared distance when the values differ
 * and 0 when they are equal, so a category mismatch weighs as much as one standard deviation of a
 * numeric feature (the heterogeneous overlap distance with standard deviations for the ranges).
 * The distance is {@code sqrt(Σ_numeric ((x_j - y_j) / s_j)^2 + #categorical mismatches)}.</li>
 * <li>{@link #euclidean plain Euclidean}: any vectors as they are (model outputs, an embedding),
 * every column counted, none standardised.</li>
 * </ul>
 *
 * <p>The standardised numeric values sit in one row-major array and the categorical values in
 * another, so a query is one sequential pass. The pass keeps the k best in a bounded heap and stops
 * adding up a row's squared differences once they reach the current k-th best: the rest of the sum
 * can only grow it (a sum of non-negative doubles never decreases), and a later row that ties loses
 * to the earlier one, so the answer is exactly the brute-force one.
 */
public final class ReferenceIndex {
    /** Rows scanned between two cancellation checks. */
    private static final int BLOCK_ROWS = 4096;
    /** Squared differences added up between two comparisons with the k-th best. */
    private static final int ABANDON_STRIDE = 8;

    private final int rows;
    private final int width;
    /** The original feature index of each numeric column the distance counts. */
    private final int[] numericFeatures;
    private final double[] mean;
    private final double[] scale;
    /** The original feature index of each categorical column. */
    private final int[] categoricalFeatures;
    /** rows × numericFeatures.length standardised values, row-major. */
    private final double[] numeric;
    /** rows × categoricalFeatures.length values as given, row-major. */
    private final double[] categories;
    /** One label per row, or null. */
    private final double[] labels;

    private ReferenceIndex(int rows, int width, int[] numericFeatures, double[] mean, double[] scale,
            int[] categoricalFeatures, double[] numeric, double[] categories, double[] labels) {
        this.rows = rows;
        this.width = width;
        this.numericFeatures = numericFeatures;
        this.mean = mean;
        this.scale = scale;
        this.categoricalFeatures = categoricalFeatures;
        this.numeric = numeric;
        this.categories = categories;
        this.labels = labels;
    }

    /**
     * The input-space index: numeric features standardised, categorical ones compared by equality.
     *
     * @param reference   the reference rows, one instance per row (not copied past the build)
     * @param categorical which features are categorical (length = the row width)
     * @param labels      one label per row, or null
     * @throws IllegalArgumentException on an empty reference, a NaN or infinite value, or mismatched lengths
     */
    public static ReferenceIndex inputSpace(RowBlock reference, boolean[] categorical, double[] labels,
            Cancellation cancellation) {
        int n = reference.rows();
        int d = reference.width();
        if (categorical.length != d) {
            throw new IllegalArgumentException(
                    "categorical flags for " + categorical.length + " features, rows have " + d);
        }
        checkShape(n, labels);
        checkFinite(reference, cancellation);
        double[] x = reference.data();
        int[] numericFeatures = new int[d];
        int[] categoricalFeatures = new int[d];
        int p = 0;
        int q = 0;
        for (int j = 0; j < d; j++) {
            if (categorical[j]) {
                categoricalFeatures[q++] = j;
            } else if (!constant(x, n, d, j)) {
                numericFeatures[p++] = j;
            }
        }
        numericFeatures = Arrays.copyOf(numericFeatures, p);
        categoricalFeatures = Arrays.copyOf(categoricalFeatures, q);
        double[] mean = new double[p];
        double[] scale = new double[p];
        for (int c = 0; c < p; c++) {
            int j = numericFeatures[c];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                if (i % BLOCK_ROWS == 0) {
                    cancellation.throwIfCancelled();
                }
                sum += x[i * d + j];
            }
            mean[c] = sum / n;
            double squares = 0;
            for (int i = 0; i < n; i++) {
                if (i % BLOCK_ROWS == 0) {
                    cancellation.throwIfCancelled();
                }
                double v = x[i * d + j] - mean[c];
                squares += v * v;
            }
            scale[c] = Math.sqrt(squares / n);
        }
        return encode(reference, numericFeatures, mean, scale, categoricalFeatures, labels, cancellation);
    }

    /** {@link #inputSpace(RowBlock, boolean[], double[], Cancellation)} over rows given as arrays. */
    public static ReferenceIndex inputSpace(double[][] reference, boolean[] categorical, double[] labels,
            Cancellation cancellation) {
        return inputSpace(block(reference), categorical, labels, cancellation);
    }

    /**
     * A plain Euclidean index over vectors as they are: every column counted, none standardised.
     *
     * @param vectors one vector per reference row (model outputs, an embedding)
     * @param labels  one label per row, or null
     * @throws IllegalArgumentException on an empty set, a NaN or infinite value, or mismatched lengths
     */
    public static ReferenceIndex euclidean(RowBlock vectors, double[] labels, Cancellation cancellation) {
        int d = vectors.width();
        checkShape(vectors.rows(), labels);
        checkFinite(vectors, cancellation);
        int[] all = new int[d];
        for (int j = 0; j < d; j++) {
            all[j] = j;
        }
        double[] zero = new double[d];
        double[] one = new double[d];
        Arrays.fill(one, 1.0);
        return encode(vectors, all, zero, one, new int[0], labels, cancellation);
    }

    /** {@link #euclidean(RowBlock, double[], Cancellation)} over vectors given as arrays. */
    public static ReferenceIndex euclidean(double[][] vectors, double[] labels, Cancellation cancellation) {
        return euclidean(block(vectors), labels, cancellation);
    }

    private static ReferenceIndex encode(RowBlock reference, int[] numericFeatures, double[] mean, double[] scale,
            int[] categoricalFeatures, double[] labels, Cancellation cancellation) {
        int n = reference.rows();
        int d = reference.width();
        int p = numericFeatures.length;
        int q = categoricalFeatures.length;
        double[] x = reference.data();
        double[] numeric = new double[Math.multiplyExact(n, p)];
        double[] categories = new double[Math.multiplyExact(n, q)];
        for (int i = 0; i < n; i++) {
            if (i % BLOCK_ROWS == 0) {
                cancellation.throwIfCancelled();
            }
            for (int c = 0; c < p; c++) {
                numeric[i * p + c] = (x[i * d + numericFeatures[c]] - mean[c]) / scale[c];
            }
            for (int c = 0; c < q; c++) {
                categories[i * q + c] = x[i * d + categoricalFeatures[c]];
            }
        }
        return new ReferenceIndex(n, d, numericFeatures, mean, scale, categoricalFeatures, numeric, categories,
                labels == null ? null : labels.clone());
    }

    private static RowBlock block(double[][] rows) {
        if (rows.length == 0) {
            throw new IllegalArgumentException("the reference set is empty");
        }
        int d = rows[0].length;
        double[] data = new double[Math.multiplyExact(rows.length, d)];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != d) {
                throw new IllegalArgumentException("row " + i + " has " + rows[i].length + " values, row 0 has " + d);
            }
            System.arraycopy(rows[i], 0, data, i * d, d);
        }
        return new RowBlock(rows.length, d, data);
    }

    private static void checkShape(int n, double[] labels) {
        if (n == 0) {
            throw new IllegalArgumentException("the reference set is empty");
        }
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException(labels.length + " labels for " + n + " reference rows");
        }
    }

    private static void checkFinite(RowBlock reference, Cancellation cancellation) {
        int d = reference.width();
        double[] x = reference.data();
        for (int i = 0; i < reference.rows(); i++) {
            if (i % BLOCK_ROWS == 0) {
                cancellation.throwIfCancelled();
            }
            for (int j = 0; j < d; j++) {
                if (!Double.isFinite(x[i * d + j])) {
                    throw new IllegalArgumentException(
                            "reference row " + i + ", feature " + j + " is " + x[i * d + j]
                                    + "; values must be finite");
                }
            }
        }
    }

    /** Exact equality, not a zero standard deviation: the mean of n equal values need not equal them. */
    private static boolean constant(double[] x, int n, int d, int j) {
        double first = x[j];
        for (int i = 1; i < n; i++) {
            if (x[i * d + j] != first) {
                return false;
            }
        }
        return true;
    }

    public int rows() {
        return rows;
    }

    /** The number of features of a row (a query has as many). */
    public int width() {
        return width;
    }

    /** The label of a reference row; only when the index was built with labels. */
    public double label(int row) {
        if (labels == null) {
            throw new IllegalStateException("the reference set has no labels");
        }
        return labels[row];
    }

    public boolean hasLabels() {
        return labels != null;
    }

    /** Whether a feature counts in the distance (a constant numeric feature of the input space does not). */
    public boolean counts(int feature) {
        return indexOf(numericFeatures, feature) >= 0 || indexOf(categoricalFeatures, feature) >= 0;
    }

    /**
     * The bytes the index holds (its arrays with their headers, and the object itself), for admission
     * budgets. The rows it was built from are not held.
     */
    public long bytes() {
        return 64 + array(numericFeatures.length, 4) + array(mean.length, 8) + array(scale.length, 8)
                + array(categoricalFeatures.length, 4) + array(numeric.length, 8) + array(categories.length, 8)
                + (labels == null ? 0 : array(labels.length, 8));
    }

    private static long array(long length, int elementBytes) {
        return 16 + length * elementBytes;
    }

    /** The k nearest reference rows to a query (all rows, sorted, when k exceeds them). */
    public Neighbours nearest(double[] query, int k, Cancellation cancellation) {
        return nearest(query, k, row -> true, cancellation);
    }

    /**
     * The k nearest reference rows among those the filter accepts.
     *
     * @param query        one instance of {@link #width()} finite values
     * @param k            at least 1
     * @param candidate    which reference rows may answer (asked once per row, in row order)
     * @param cancellation checked every few thousand rows
     */
    public Neighbours nearest(double[] query, int k, IntPredicate candidate, Cancellation cancellation) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        Encoded q = encodeQuery(query);
        int p = numericFeatures.length;
        int qc = categoricalFeatures.length;
        BoundedHeap best = new BoundedHeap(Math.min(k, rows));
        for (int i = 0; i < rows; i++) {
            if (i % BLOCK_ROWS == 0) {
                cancellation.throwIfCancelled();
            }
            if (!candidate.test(i)) {
                continue;
            }
            double bound = best.worst();
            double sum = 0;
            for (int c = 0, o = i * qc; c < qc; c++) {
                if (categories[o + c] != q.categories[c]) {
                    sum += 1;
                }
            }
            int o = i * p;
            int c = 0;
            while (c < p && sum < bound) {
                for (int end = Math.min(p, c + ABANDON_STRIDE); c < end; c++) {
                    double v = q.numeric[c] - numeric[o + c];
                    sum += v * v;
                }
            }
            if (sum < bound) {
                best.offer(sum, i);
            }
        }
        return best.sorted();
    }

    /** The distance between two reference rows (in this index's space). */
    public double distance(int a, int b) {
        return Math.sqrt(squaredDistance(a, b));
    }

    /** The squared distance between two reference rows, added up in the order a query adds it up. */
    public double squaredDistance(int a, int b) {
        int p = numericFeatures.length;
        int qc = categoricalFeatures.length;
        double sum = 0;
        for (int c = 0; c < qc; c++) {
            if (categories[a * qc + c] != categories[b * qc + c]) {
                sum += 1;
            }
        }
        for (int c = 0; c < p; c++) {
            double v = numeric[a * p + c] - numeric[b * p + c];
            sum += v * v;
        }
        return sum;
    }

    /**
     * How a reference row differs from a query, per feature (length {@link #width()}): for a numeric
     * feature the standardised difference (row − query; its square is the feature's part of the
     * squared distance), for a categorical one 1 when the values differ and 0 when they are equal,
     * and 0 for a feature that does not count.
     */
    public double[] differences(double[] query, int row) {
        Encoded q = encodeQuery(query);
        double[] out = new double[width];
        int p = numericFeatures.length;
        for (int c = 0; c < p; c++) {
            out[numericFeatures[c]] = numeric[row * p + c] - q.numeric[c];
        }
        int qc = categoricalFeatures.length;
        for (int c = 0; c < qc; c++) {
            out[categoricalFeatures[c]] = categories[row * qc + c] != q.categories[c] ? 1 : 0;
        }
        return out;
    }

    /** Whether a feature is compared by equality. */
    public boolean categorical(int feature) {
        return indexOf(categoricalFeatures, feature) >= 0;
    }

    private Encoded encodeQuery(double[] query) {
        if (query.length != width) {
            throw new IllegalArgumentException(
                    "the query has " + query.length + " values, the reference rows " + width);
        }
        for (int j = 0; j < width; j++) {
            if (!Double.isFinite(query[j])) {
                throw new IllegalArgumentException(
                        "query feature " + j + " is " + query[j] + "; values must be finite");
            }
        }
        int p = numericFeatures.length;
        double[] z = new double[p];
        for (int c = 0; c < p; c++) {
            z[c] = (query[numericFeatures[c]] - mean[c]) / scale[c];
        }
        double[] cat = new double[categoricalFeatures.length];
        for (int c = 0; c < cat.length; c++) {
            cat[c] = query[categoricalFeatures[c]];
        }
        return new Encoded(z, cat);
    }

    private static int indexOf(int[] sorted, int value) {
        int at = Arrays.binarySearch(sorted, value);
        return at >= 0 ? at : -1;
    }

    private record Encoded(double[] numeric, double[] categories) {
    }

    /**
     * The k smallest (squared distance, row) pairs seen so far, as a max-heap ordered by distance and
     * then row, so that the root is the one a closer row displaces.
     */
    private static final class BoundedHeap {
        private final double[] keys;
        private final int[] rows;
        private int size;

        BoundedHeap(int capacity) {
            keys = new double[capacity];
            rows = new int[capacity];
        }

        /** A row must come closer than this to enter; rows arrive in increasing order, so ties lose. */
        double worst() {
            return size < keys.length ? Double.POSITIVE_INFINITY : keys[0];
        }

        void offer(double key, int row) {
            if (size < keys.length) {
                keys[size] = key;
                rows[size] = row;
                siftUp(size++);
            } else {
                keys[0] = key;
                rows[0] = row;
                siftDown(0, size);
            }
        }

        private boolean above(int a, int b) {
            return keys[a] > keys[b] || (keys[a] == keys[b] && rows[a] > rows[b]);
        }

        private void siftUp(int i) {
            while (i > 0) {
                int parent = (i - 1) / 2;
                if (!above(i, parent)) {
                    return;
                }
                swap(i, parent);
                i = parent;
            }
        }

        private void siftDown(int i, int n) {
            while (true) {
                int l = 2 * i + 1;
                if (l >= n) {
                    return;
                }
                int top = l + 1 < n && above(l + 1, l) ? l + 1 : l;
                if (!above(top, i)) {
                    return;
                }
                swap(i, top);
                i = top;
            }
        }

        private void swap(int a, int b) {
            double k = keys[a];
            keys[a] = keys[b];
            keys[b] = k;
            int r = rows[a];
            rows[a] = rows[b];
            rows[b] = r;
        }

        /** Empties the heap into ascending order (heap sort). */
        Neighbours sorted() {
            int n = size;
            for (int end = n - 1; end > 0; end--) {
                swap(0, end);
                siftDown(0, end);
            }
            double[] distances = new double[n];
            for (int i = 0; i < n; i++) {
                distances[i] = Math.sqrt(keys[i]);
            }
            return new Neighbours(Arrays.copyOf(rows, n), distances);
        }
    }
}
