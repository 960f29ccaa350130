package dev.prism.explain.shap;

import dev.prism.linalg.Cancellation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A proxy of a game's odd part by boosted regression trees over the coalitions, read as a Fourier
 * spectrum, whose largest odd terms of order ≥ 3 are candidates for {@link OddTermAdjustment}
 * (the screening of OddSHAP, Fumagalli et al., ICML 2026, which uses a LightGBM proxy). A leaf
 * reached by requiring z_j = a_j for the features j on its path P is the product
 * Π_j (1 + σ_j χ_j)/2, with χ_j = 2z_j − 1 and σ_j = ±1 as a_j is 1 or 0, so its value v spreads
 * over every subset T of the path as v·2^−|P|·Π_{j∈T} σ_j·χ_T. Summed over the leaves these are
 * the proxy's exact Fourier coefficients.
 *
 * <p>The target is the odd part of the linear fit's residual, (r(z) − r(z̄))/2 for a coalition z
 * whose complement z̄ is in the design: a paired design's regression sees only the odd part, and
 * trees fitted to the whole residual spend their leaves on the even part. Each tree grows leaf by
 * leaf, each split the one that most reduces the squared error under the design's kernel weights.
 * Trees split only on the given features (at most 31, so a term is an int of bits).
 */
final class BoostedTreeProxy {
    /**
     * 20 trees at rate 0.5 cost two thirds of 30 at 0.3, and their error at 32·M and 64·M was the
     * same on the bench's games (geometric mean of the ratios 1.007 over 10 cells, 10 seeds).
     */
    static final int TREES = 20;
    static final int MAX_LEAVES = 31;
    /** Deep enough for terms of order 7; each leaf spreads over 2^(depth−1) odd subsets at most. */
    static final int MAX_DEPTH = 6;
    static final int MIN_LEAF_COALITIONS = 10;
    static final double LEARNING_RATE = 0.5;
    static final int MAX_FEATURES = 31;

    private final int[] features;
    private final Spectrum spectrum;
    /** The proxy's values on the coalitions it was fitted to. */
    final double[] fitted;

    private BoostedTreeProxy(int[] features, Spectrum spectrum, double[] fitted) {
        this.features = features;
        this.spectrum = spectrum;
        this.fitted = fitted;
    }

    /** A bound on the memory a proxy of n coalitions over l features holds while it is fitted (beside their bits). */
    static long workingBytes(int n, int l) {
        long leaves = 2L * MAX_LEAVES;
        long words = (n + 63L) / 64;
        long spectrumEntries = Math.min((long) TREES * MAX_LEAVES * ((1L << (MAX_DEPTH - 1)) - MAX_DEPTH),
                1L << (l - 1));
        long table = Long.highestOneBit(Math.max(1024, 2 * spectrumEntries)) * 2;
        return n * (4L + 4 * Double.BYTES) // features as bits, target, fitted, weighted gradient
                + leaves * (words * Long.BYTES + l * (2L * Double.BYTES + Integer.BYTES)) // one tree's leaves
                + table * (Integer.BYTES + Double.BYTES);
    }

    /**
     * Fits the proxy.
     *
     * @param bits     the coalitions and their kernel weights (positive)
     * @param masks    the same coalitions, in the order of {@code residual}
     * @param residual y's residual after the linear fit, per coalition
     * @param features the features the trees may split on, at most {@link #MAX_FEATURES}
     */
    static BoostedTreeProxy fit(CoalitionBits bits, List<boolean[]> masks, double[] weights, double[] residual,
                                int[] features, Cancellation cancellation) {
        int n = masks.size();
        int l = features.length;
        if (l > MAX_FEATURES) {
            throw new IllegalArgumentException("at most " + MAX_FEATURES + " features, got " + l);
        }
        double[] odd = oddPart(masks, residual);
        // Everything per coalition is kept in the bits' order.
        double[] target = new double[n];
        double[] w = new double[n];
        int[] present = new int[n];
        for (int p = 0; p < n; p++) {
            int j = bits.rowAt(p);
            target[p] = odd[j];
            w[p] = weights[j];
            boolean[] z = masks.get(j);
            for (int a = 0; a < l; a++) {
                if (z[features[a]]) {
                    present[p] |= 1 << a;
                }
            }
        }
        long[][] columns = new long[l][];
        for (int a = 0; a < l; a++) {
            columns[a] = bits.player(features[a]);
        }
        Grower grower = new Grower(bits, columns, present, w);
        double[] fitted = new double[n];
        double[] weightedGradient = new double[n];
        Spectrum spectrum = new Spectrum();
        for (int t = 0; t < TREES; t++) {
            cancellation.throwIfCancelled();
            for (int p = 0; p < n; p++) {
                weightedGradient[p] = w[p] * (target[p] - fitted[p]);
            }
            for (Leaf leaf : grower.grow(weightedGradient)) {
                double value = LEARNING_RATE * leaf.mean;
                long[] members = leaf.members;
                for (int k = 0; k < members.length; k++) {
                    for (long word = members[k]; word != 0; word &= word - 1) {
                        fitted[(k << 6) | Long.numberOfTrailingZeros(word)] += value;
                    }
                }
                spread(leaf, value, spectrum);
            }
        }
        double[] inRowOrder = new double[n];
        for (int p = 0; p < n; p++) {
            inRowOrder[bits.rowAt(p)] = fitted[p];
        }
        return new BoostedTreeProxy(features, spectrum, inRowOrder);
    }

    /** The odd sets of order ≥ 3 with the largest |coefficient|, at most {@code limit}, largest first. */
    int[][] largestOddTerms(int limit) {
        int[] sets = spectrum.largest(limit);
        int[][] out = new int[sets.length][];
        for (int i = 0; i < sets.length; i++) {
            out[i] = members(sets[i]);
        }
        return out;
    }

    /** The proxy's Fourier coefficient of χ_T, for an odd T of three or more features (0 if none). */
    double coefficient(int[] term) {
        int set = 0;
        for (int i : term) {
            int a = Arrays.binarySearch(features, i);
            if (a < 0) {
                return 0;
            }
            set |= 1 << a;
        }
        return spectrum.get(set);
    }

    private int[] members(int set) {
        int[] out = new int[Integer.bitCount(set)];
        int p = 0;
        for (int a = 0; a < features.length; a++) {
            if ((set >>> a & 1) != 0) {
                out[p++] = features[a];
            }
        }
        return out;
    }

    /**
     * (r(z) − r(z̄))/2 where z̄ is in the design, r(z) where it is not. Designs keep a coalition next
     * to its complement, which is looked at first.
     */
    private static double[] oddPart(List<boolean[]> masks, double[] r) {
        int n = masks.size();
        double[] out = r.clone();
        Map<Long, List<Integer>> byKey = null;
        for (int j = 0; j < n; j++) {
            int k = -1;
            if (j + 1 < n && LeverageDesign.complementary(masks.get(j), masks.get(j + 1))) {
                k = j + 1;
            } else if (j > 0 && LeverageDesign.complementary(masks.get(j), masks.get(j - 1))) {
                k = j - 1;
            } else {
                if (byKey == null) {
                    byKey = new HashMap<>();
                    for (int i = 0; i < n; i++) {
                        byKey.computeIfAbsent(OddTermAdjustment.pairKey(masks.get(i)), x -> new ArrayList<>(2)).add(i);
                    }
                }
                for (int i : byKey.get(OddTermAdjustment.pairKey(masks.get(j)))) {
                    if (LeverageDesign.complementary(masks.get(j), masks.get(i))) {
                        k = i;
                        break;
                    }
                }
            }
            if (k >= 0) {
                out[j] = (r[j] - r[k]) / 2;
            }
        }
        return out;
    }


    /**
     * A leaf: its coalitions (as bits), the path to it (features required present or absent), its
     * sums (weight, weighted gradient, and both with each feature present, and the count with each
     * feature present), and its best split.
     */
    private static final class Leaf {
        final long[] members;
        final int count;
        final int present;
        final int absent;
        final int depth;
        double sw;
        double sg;
        final double[] w1;
        final double[] g1;
        final int[] c1;
        double mean;
        double gain;
        int split = -1;

        Leaf(long[] members, int present, int absent, int depth, int l) {
            this.members = members;
            this.count = CoalitionBits.count(members);
            this.present = present;
            this.absent = absent;
            this.depth = depth;
            this.w1 = new double[l];
            this.g1 = new double[l];
            this.c1 = new int[l];
        }
    }

    /**
     * Grows the trees over one layout. A child's sums come from a pass over the smaller child's
     * coalitions, the larger's being its parent's less the smaller's; the root's weights and counts
     * are the same for every tree, so its pass adds only the weighted gradient.
     */
    private static final class Grower {
        private final CoalitionBits bits;
        private final long[][] columns;
        /** Each coalition's features present, as bits over the features. */
        private final int[] present;
        private final double[] weight;
        private final Leaf rootSums;
        private double[] weightedGradient;

        Grower(CoalitionBits bits, long[][] columns, int[] present, double[] weight) {
            this.bits = bits;
            this.columns = columns;
            this.present = present;
            this.weight = weight;
            this.weightedGradient = new double[weight.length];
            this.rootSums = new Leaf(bits.every, 0, 0, 0, columns.length);
            scan(rootSums, true);
        }

        List<Leaf> grow(double[] weightedGradient) {
            this.weightedGradient = weightedGradient;
            int l = columns.length;
            List<Leaf> leaves = new ArrayList<>();
            Leaf root = new Leaf(bits.every, 0, 0, 0, l);
            root.sw = rootSums.sw;
            System.arraycopy(rootSums.w1, 0, root.w1, 0, l);
            System.arraycopy(rootSums.c1, 0, root.c1, 0, l);
            scan(root, false);
            evaluate(root);
            leaves.add(root);
            while (leaves.size() < MAX_LEAVES) {
                Leaf best = null;
                for (Leaf leaf : leaves) {
                    if (leaf.split >= 0 && (best == null || leaf.gain > best.gain)) {
                        best = leaf;
                    }
                }
                if (best == null) {
                    break;
                }
                int bit = 1 << best.split;
                long[] column = columns[best.split];
                long[] yes = new long[bits.words];
                long[] no = new long[bits.words];
                for (int k = 0; k < yes.length; k++) {
                    yes[k] = best.members[k] & column[k];
                    no[k] = best.members[k] & ~column[k];
                }
                leaves.remove(best);
                Leaf left = new Leaf(yes, best.present | bit, best.absent, best.depth + 1, l);
                Leaf right = new Leaf(no, best.present, best.absent | bit, best.depth + 1, l);
                Leaf small = left.count <= right.count ? left : right;
                Leaf large = small == left ? right : left;
                scan(small, true);
                large.sw = best.sw - small.sw;
                large.sg = best.sg - small.sg;
                for (int a = 0; a < l; a++) {
                    large.w1[a] = best.w1[a] - small.w1[a];
                    large.g1[a] = best.g1[a] - small.g1[a];
                    large.c1[a] = best.c1[a] - small.c1[a];
                }
                evaluate(left);
                evaluate(right);
                leaves.add(left);
                leaves.add(right);
            }
            return leaves;
        }

        /** The leaf's weighted gradient, in all and with each feature present, and with {@code weights} its weights and counts. */
        private void scan(Leaf leaf, boolean weights) {
            double[] w1 = leaf.w1;
            double[] g1 = leaf.g1;
            int[] c1 = leaf.c1;
            double sw = 0;
            double sg = 0;
            long[] members = leaf.members;
            for (int k = 0; k < members.length; k++) {
                for (long word = members[k]; word != 0; word &= word - 1) {
                    int p = (k << 6) | Long.numberOfTrailingZeros(word);
                    double w = weight[p];
                    double g = weightedGradient[p];
                    sw += w;
                    sg += g;
                    for (int b = present[p]; b != 0; b &= b - 1) {
                        int a = Integer.numberOfTrailingZeros(b);
                        g1[a] += g;
                        if (weights) {
                            w1[a] += w;
                            c1[a]++;
                        }
                    }
                }
            }
            if (weights) {
                leaf.sw = sw;
            }
            leaf.sg = sg;
        }
    }

    /** The leaf's mean and its best split (feature and gain), none where no split helps. */
    private static void evaluate(Leaf leaf) {
        double sw = leaf.sw;
        double sg = leaf.sg;
        leaf.mean = sw > 0 ? sg / sw : 0;
        if (leaf.depth >= MAX_DEPTH) {
            return;
        }
        double base = sw > 0 ? sg * sg / sw : 0;
        int used = leaf.present | leaf.absent;
        int count = leaf.count;
        for (int a = 0; a < leaf.w1.length; a++) {
            double w1 = leaf.w1[a];
            double g1 = leaf.g1[a];
            if ((used >>> a & 1) != 0 || leaf.c1[a] < MIN_LEAF_COALITIONS || count - leaf.c1[a] < MIN_LEAF_COALITIONS) {
                continue;
            }
            double w0 = sw - w1;
            double g0 = sg - g1;
            if (!(w1 > 0) || !(w0 > 0)) {
                continue;
            }
            double gain = g1 * g1 / w1 + g0 * g0 / w0 - base;
            if (gain > leaf.gain + 1e-12 * Math.abs(base)) {
                leaf.gain = gain;
                leaf.split = a;
            }
        }
    }

    /** Adds a leaf's value, spread over the subsets of its path, to the spectrum (odd subsets only). */
    private static void spread(Leaf leaf, double value, Spectrum spectrum) {
        int path = leaf.present | leaf.absent;
        int p = Integer.bitCount(path);
        if (p < 3 || value == 0) {
            return;
        }
        double part = value / (1L << p);
        // every subset of the path of odd size ≥ 3
        for (int s = path; s != 0; s = (s - 1) & path) {
            int order = Integer.bitCount(s);
            if (order < 3 || (order & 1) == 0) {
                continue;
            }
            // σ_j = −1 for features required absent
            double sign = (Integer.bitCount(s & leaf.absent) & 1) == 0 ? 1 : -1;
            spectrum.add(s, sign * part);
        }
    }

    /** Fourier coefficients by set (features as bits, never 0), in an open-addressing table. */
    private static final class Spectrum {
        private int[] keys = new int[1024];
        private double[] values = new double[1024];
        private int size;

        void add(int set, double value) {
            int mask = keys.length - 1;
            int i = mix(set) & mask;
            while (keys[i] != 0 && keys[i] != set) {
                i = (i + 1) & mask;
            }
            if (keys[i] == 0) {
                keys[i] = set;
                if (++size * 2 > keys.length) {
                    values[i] = value;
                    grow();
                    return;
                }
            }
            values[i] += value;
        }

        private void grow() {
            int[] oldKeys = keys;
            double[] oldValues = values;
            keys = new int[oldKeys.length * 2];
            values = new double[oldKeys.length * 2];
            size = 0;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != 0) {
                    add(oldKeys[i], oldValues[i]);
                }
            }
        }

        private static int mix(int set) {
            int h = set * 0x9E3779B9;
            return h ^ (h >>> 16);
        }

        double get(int set) {
            int mask = keys.length - 1;
            int i = mix(set) & mask;
            while (keys[i] != 0) {
                if (keys[i] == set) {
                    return values[i];
                }
                i = (i + 1) & mask;
            }
            return 0;
        }

        /** The sets with the largest |coefficient|, at most {@code limit}, ties by set. */
        int[] largest(int limit) {
            // A heap of the best slots so far, the worst of them on top: thousands of sets, tens wanted.
            int[] heap = new int[Math.min(limit, size)];
            int count = 0;
            for (int i = 0; i < keys.length; i++) {
                if (keys[i] == 0) {
                    continue;
                }
                if (count < heap.length) {
                    heap[count] = i;
                    for (int c = count++; c > 0 && before(heap[(c - 1) / 2], heap[c]); c = (c - 1) / 2) {
                        swap(heap, c, (c - 1) / 2);
                    }
                } else if (heap.length > 0 && before(i, heap[0])) {
                    heap[0] = i;
                    siftDown(heap, count);
                }
            }
            int[] out = new int[count];
            for (int n = count; n > 0; n--) {
                // the worst left goes last
                out[n - 1] = keys[heap[0]];
                heap[0] = heap[n - 1];
                siftDown(heap, n - 1);
            }
            return out;
        }

        /** Moves the top of a heap of {@code size} slots down until no child ranks after it. */
        private void siftDown(int[] heap, int size) {
            for (int c = 0; ; ) {
                int worst = c;
                for (int child = 2 * c + 1; child <= 2 * c + 2 && child < size; child++) {
                    if (before(heap[worst], heap[child])) {
                        worst = child;
                    }
                }
                if (worst == c) {
                    return;
                }
                swap(heap, c, worst);
                c = worst;
            }
        }

        /** Slot u's set ranks before slot v's: larger |coefficient|, or equal and a smaller set. */
        private boolean before(int u, int v) {
            int c = Double.compare(Math.abs(values[u]), Math.abs(values[v]));
            return c != 0 ? c > 0 : keys[u] < keys[v];
        }

        private static void swap(int[] a, int i, int j) {
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
