package dev.prism.explain.shap;

import dev.prism.linalg.Cancellation;
import java.util.Arrays;
import java.util.List;

/**
 * Weighted coalitions as bit columns, so that a weighted sum over the coalitions where some 0/1
 * columns are all 1 is a popcount per run of equal weights in each 64-bit word. The coalitions are
 * laid out by weight, so a word holds one run, or a few where the weight changes:
 * Σ_j w_j a_j b_j = Σ_runs weight·bitCount(a ∧ b ∧ run). A Leverage design's weights depend only
 * on a coalition's size, so there are at most M + 1 runs beside the words; with every weight
 * different this is no worse than a pass over the coalitions.
 *
 * <p>{@link OddTermAdjustment}'s search needs the weighted products of every pair among about
 * 130 candidate terms and M players over a thousand coalitions: a word of 64 coalitions per
 * instruction replaces a scattered addition per coalition, pair and term.
 */
final class CoalitionBits {
    final int words;
    /** Word k's runs are runFirst[k] .. runFirst[k + 1] − 1: their bits and weights. */
    private final int[] runFirst;
    private final long[] runBits;
    private final double[] runWeight;
    /** The coalition at each bit. */
    private final int[] rowAt;
    /** Every coalition. */
    final long[] every;
    /** Per player, the coalitions it is present in. */
    private final long[][] players;

    private CoalitionBits(int[] runFirst, long[] runBits, double[] runWeight, int[] rowAt, long[] every,
                          long[][] players) {
        this.words = every.length;
        this.runFirst = runFirst;
        this.runBits = runBits;
        this.runWeight = runWeight;
        this.rowAt = rowAt;
        this.every = every;
        this.players = players;
    }

    /** A bound on the memory of n coalitions over m players' layout with this many more columns. */
    static long workingBytes(int n, int m, int columns) {
        long words = (n + 63L) / 64;
        return (m + columns + 1L) * words * Long.BYTES + (words + n) * (Long.BYTES + Double.BYTES + Integer.BYTES)
                + n * 2L * Integer.BYTES;
    }

    /**
     * Lays out the coalitions.
     *
     * @param masks   the coalitions over m players
     * @param weights their weights
     */
    static CoalitionBits of(List<boolean[]> masks, int m, double[] weights, Cancellation cancellation) {
        int n = masks.size();
        // By weight, then by index (a counting sort over the distinct weights): the layout, and so
        // every sum's order, is fixed by the design.
        double[] distinct = weights.clone();
        Arrays.sort(distinct);
        int classes = 0;
        for (int j = 0; j < n; j++) {
            if (j == 0 || Double.compare(distinct[j], distinct[classes - 1]) != 0) {
                distinct[classes++] = distinct[j];
            }
        }
        int[] classOf = new int[n];
        int[] start = new int[classes + 1];
        for (int j = 0; j < n; j++) {
            classOf[j] = Arrays.binarySearch(distinct, 0, classes, weights[j]);
            start[classOf[j] + 1]++;
        }
        for (int c = 0; c < classes; c++) {
            start[c + 1] += start[c];
        }
        int[] order = new int[n];
        for (int j = 0; j < n; j++) {
            order[start[classOf[j]]++] = j;
        }
        int words = (n + 63) >>> 6;
        int[] rowAt = new int[n];
        int[] runFirst = new int[words + 1];
        long[] runBits = new long[words + n];
        double[] runWeight = new double[words + n];
        int runs = 0;
        for (int b = 0; b < n; b++) {
            int j = order[b];
            rowAt[b] = j;
            boolean newWord = (b & 63) == 0;
            if (newWord) {
                runFirst[b >>> 6] = runs;
            }
            if (newWord || Double.compare(weights[j], runWeight[runs - 1]) != 0) {
                runWeight[runs++] = weights[j];
            }
            runBits[runs - 1] |= 1L << b;
        }
        runFirst[words] = runs;
        long[] every = new long[words];
        long[][] players = new long[m][words];
        for (int b = 0; b < n; b++) {
            if (b % LeverageDesign.CANCELLATION_STRIDE == 0) {
                cancellation.throwIfCancelled();
            }
            int word = b >>> 6;
            long one = 1L << b;
            every[word] |= one;
            boolean[] z = masks.get(rowAt[b]);
            for (int i = 0; i < m; i++) {
                if (z[i]) {
                    players[i][word] |= one;
                }
            }
        }
        return new CoalitionBits(runFirst, Arrays.copyOf(runBits, runs), Arrays.copyOf(runWeight, runs), rowAt,
                every, players);
    }

    /** The number of coalitions. */
    int size() {
        return rowAt.length;
    }

    /** The coalition at a bit. */
    int rowAt(int bit) {
        return rowAt[bit];
    }

    /** The coalitions in a. */
    static int count(long[] a) {
        int c = 0;
        for (long word : a) {
            c += Long.bitCount(word);
        }
        return c;
    }

    /** The coalitions player i is present in. */
    long[] player(int i) {
        return players[i];
    }

    /** The coalitions where an odd number of the set's players is present. */
    long[] oddPresent(int[] set) {
        long[] out = new long[words];
        for (int i : set) {
            long[] p = players[i];
            for (int k = 0; k < words; k++) {
                out[k] ^= p[k];
            }
        }
        return out;
    }

    /** Σ w over the coalitions in a. */
    double sum(long[] a) {
        return sum(a, every);
    }

    /** Σ w over the coalitions in both a and b. */
    double sum(long[] a, long[] b) {
        double s = 0;
        for (int k = 0; k < words; k++) {
            long both = a[k] & b[k];
            if (both == 0) {
                continue;
            }
            for (int r = runFirst[k], end = runFirst[k + 1]; r < end; r++) {
                s += runWeight[r] * Long.bitCount(both & runBits[r]);
            }
        }
        return s;
    }

    /** Σ values[j] over the coalitions j in a (values indexed as the masks were). */
    double sumOf(long[] a, double[] values) {
        double s = 0;
        for (int k = 0; k < words; k++) {
            long word = a[k];
            while (word != 0) {
                s += values[rowAt[(k << 6) | Long.numberOfTrailingZeros(word)]];
                word &= word - 1;
            }
        }
        return s;
    }
}
