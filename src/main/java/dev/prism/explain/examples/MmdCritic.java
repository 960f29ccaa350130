package dev.prism.explain.examples;

import dev.prism.linalg.Cancellation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Prototypes and criticisms of a set, after Kim, Khanna and Koyejo, "Examples are not enough,
 * learn to criticize! Criticism for interpretability" (NeurIPS 2016), with the choices of the
 * authors' reference code.
 *
 * <p>The kernel is the Gaussian RBF {@code k(x, y) = exp(-d(x, y)^2 / (2 sigma^2))} over the
 * distance d of a {@link ReferenceIndex} (so input space means standardised numeric features and
 * category mismatches). The default bandwidth sigma is the median heuristic: the median of the
 * positive distances between members (all pairs of up to {@value #MEDIAN_SAMPLE} members; beyond
 * that, of that many members evenly spaced through the set), or 1 when all members coincide.
 *
 * <p>Prototypes S are chosen greedily, each the member that most increases
 * {@code J(S) = 2/(n|S|) Σ_{i ∈ set, j ∈ S} k(i, j) − 1/|S|^2 Σ_{i, j ∈ S} k(i, j)}, so that
 * {@code MMD^2(set, S) = 1/n^2 Σ_{i, j ∈ set} k(i, j) − J(S)} falls. Criticisms are then chosen
 * greedily among the other members, each maximising {@code |witness(c)| + log(k(c, c) − k_cCᵀ
 * K_CC^-1 k_cC)} where {@code witness(c) = 1/n Σ_{i ∈ set} k(c, i) − 1/|S| Σ_{j ∈ S} k(c, j)}: the
 * log-determinant regulariser (the gain in log det K_CC) keeps them from all coming from one place.
 * The Schur complements are kept up to date as a pivoted Cholesky factorisation, one column per
 * criticism. Equal scores go to the member that comes first.
 *
 * <p>Cost: n(n−1)/2 kernel evaluations for the set's kernel means, then n per prototype and n per
 * criticism (plus n multiply-adds per criticism already chosen); memory: a few arrays of n doubles,
 * and one more per criticism. The caller bounds n.
 */
public final class MmdCritic {
    private static final int MEDIAN_SAMPLE = 1000;
    /** Rows of a per-step pass between two cancellation checks. */
    private static final int BLOCK_ROWS = 4096;

    /**
     * The chosen rows (row indices of the index) in the order chosen, with, for prototypes, the
     * objective J and MMD² after each choice and, for criticisms, the witness and the greedy score.
     */
    public record Selection(double bandwidth, int[] prototypes, double[] objective, double[] mmdSquared,
            int[] criticisms, double[] witness, double[] criticismScore) {
    }

    private MmdCritic() {
    }

    /**
     * Prototypes and criticisms with the median-heuristic bandwidth.
     *
     * @see #select(ReferenceIndex, int[], int, int, double, Cancellation)
     */
    public static Selection select(ReferenceIndex space, int[] members, int prototypes, int criticisms,
            Cancellation cancellation) {
        return select(space, members, prototypes, criticisms, medianBandwidth(space, members, cancellation),
                cancellation);
    }

    /**
     * Prototypes and criticisms of a set.
     *
     * @param space      the index whose distance the kernel uses
     * @param members    the set: distinct row indices of the index, or null for all its rows
     * @param prototypes how many prototypes, 1 to the set's size
     * @param criticisms how many criticisms, 0 to the members left after the prototypes
     * @param bandwidth  the kernel's sigma, finite and positive
     */
    public static Selection select(ReferenceIndex space, int[] members, int prototypes, int criticisms,
            double bandwidth, Cancellation cancellation) {
        int[] set = members(space, members);
        int n = set.length;
        if (prototypes < 1 || prototypes > n) {
            throw new IllegalArgumentException("prototypes must be between 1 and " + n + ", got " + prototypes);
        }
        if (criticisms < 0 || criticisms > n - prototypes) {
            throw new IllegalArgumentException(
                    "criticisms must be between 0 and " + (n - prototypes) + ", got " + criticisms);
        }
        if (!(bandwidth > 0) || Double.isInfinite(bandwidth)) {
            throw new IllegalArgumentException("the bandwidth must be finite and positive, got " + bandwidth);
        }
        Kernel kernel = new Kernel(space, set, bandwidth);

        double[] kernelMean = new double[n];
        for (int i = 0; i < n; i++) {
            cancellation.throwIfCancelled();
            kernelMean[i] += 1; // k(i, i)
            for (int j = i + 1; j < n; j++) {
                double k = kernel.at(i, j);
                kernelMean[i] += k;
                kernelMean[j] += k;
            }
        }
        double setTerm = 0;
        for (int i = 0; i < n; i++) {
            kernelMean[i] /= n;
            setTerm += kernelMean[i];
        }
        setTerm /= n;

        boolean[] taken = new boolean[n];
        double[] toChosen = new double[n]; // Σ_{j ∈ S} k(j, c)
        double chosenMeans = 0; // Σ_{j ∈ S} kernelMean[j]
        double chosenPairs = 0; // Σ_{i, j ∈ S} k(i, j)
        int[] protoRows = new int[prototypes];
        double[] objective = new double[prototypes];
        double[] mmdSquared = new double[prototypes];
        for (int s = 0; s < prototypes; s++) {
            int best = -1;
            double bestValue = 0;
            for (int c = 0; c < n; c++) {
                if (c % BLOCK_ROWS == 0) {
                    cancellation.throwIfCancelled();
                }
                if (taken[c]) {
                    continue;
                }
                double value = objective(s + 1, chosenMeans + kernelMean[c], chosenPairs + 2 * toChosen[c] + 1);
                if (best < 0 || value > bestValue) {
                    best = c;
                    bestValue = value;
                }
            }
            taken[best] = true;
            chosenMeans += kernelMean[best];
            chosenPairs += 2 * toChosen[best] + 1;
            kernel.addRow(best, toChosen, cancellation);
            protoRows[s] = set[best];
            objective[s] = objective(s + 1, chosenMeans, chosenPairs);
            mmdSquared[s] = setTerm - objective[s];
        }

        double[] witness = new double[n];
        for (int c = 0; c < n; c++) {
            witness[c] = kernelMean[c] - toChosen[c] / prototypes;
        }
        double[] residual = new double[n];
        Arrays.fill(residual, 1.0); // k(c, c) − k_cCᵀ K_CC⁻¹ k_cC with no criticism yet
        List<double[]> factor = new ArrayList<>();
        int[] criticRows = new int[criticisms];
        double[] criticWitness = new double[criticisms];
        double[] score = new double[criticisms];
        for (int t = 0; t < criticisms; t++) {
            int best = -1;
            double bestScore = 0;
            for (int c = 0; c < n; c++) {
                if (c % BLOCK_ROWS == 0) {
                    cancellation.throwIfCancelled();
                }
                if (taken[c]) {
                    continue;
                }
                double value = Math.abs(witness[c]) + Math.log(residual[c]);
                if (best < 0 || value > bestScore) {
                    best = c;
                    bestScore = value;
                }
            }
            taken[best] = true;
            criticRows[t] = set[best];
            criticWitness[t] = witness[best];
            score[t] = bestScore;
            factor.add(choleskyColumn(kernel, best, residual, factor, cancellation));
        }
        return new Selection(bandwidth, protoRows, objective, mmdSquared, criticRows, criticWitness, score);
    }

    /** J of a set of size s from Σ_{j ∈ S} kernelMean[j] and Σ_{i, j ∈ S} k(i, j). */
    private static double objective(int s, double means, double pairs) {
        return 2 * means / s - pairs / ((double) s * s);
    }

    /**
     * The next column of the pivoted Cholesky factor of the criticisms' kernel matrix, pivot t; it
     * lowers each member's residual (its Schur complement) by its entry squared. A pivot already in
     * the span of the others (residual 0) adds nothing.
     */
    private static double[] choleskyColumn(Kernel kernel, int t, double[] residual, List<double[]> factor,
            Cancellation cancellation) {
        int n = residual.length;
        double[] column = new double[n];
        double pivot = residual[t];
        if (pivot <= 0) {
            return column;
        }
        double root = Math.sqrt(pivot);
        for (int c = 0; c < n; c++) {
            if (c % BLOCK_ROWS == 0) {
                cancellation.throwIfCancelled();
            }
            double v = c == t ? 1 : kernel.at(t, c);
            for (double[] previous : factor) {
                v -= previous[t] * previous[c];
            }
            column[c] = v / root;
            // Rounding can take a residual a hair below zero; the log regulariser reads that as 0.
            residual[c] = Math.max(0, residual[c] - column[c] * column[c]);
        }
        return column;
    }

    /**
     * The median heuristic's bandwidth: the median (the mean of the two middle values for an even
     * count) of the positive distances between members, sampled as the class comment says; 1 when
     * there is none.
     */
    public static double medianBandwidth(ReferenceIndex space, int[] members, Cancellation cancellation) {
        int[] set = members(space, members);
        int[] sample = set;
        if (set.length > MEDIAN_SAMPLE) {
            sample = new int[MEDIAN_SAMPLE];
            for (int s = 0; s < MEDIAN_SAMPLE; s++) {
                sample[s] = set[(int) ((long) s * set.length / MEDIAN_SAMPLE)];
            }
        }
        int m = sample.length;
        double[] distances = new double[m * (m - 1) / 2];
        int count = 0;
        for (int i = 0; i < m; i++) {
            cancellation.throwIfCancelled();
            for (int j = i + 1; j < m; j++) {
                double d = space.distance(sample[i], sample[j]);
                if (d > 0) {
                    distances[count++] = d;
                }
            }
        }
        if (count == 0) {
            return 1;
        }
        Arrays.sort(distances, 0, count);
        return count % 2 == 1 ? distances[count / 2] : (distances[count / 2 - 1] + distances[count / 2]) / 2;
    }

    private static int[] members(ReferenceIndex space, int[] members) {
        int rows = space.rows();
        if (members == null) {
            int[] all = new int[rows];
            for (int i = 0; i < rows; i++) {
                all[i] = i;
            }
            return all;
        }
        if (members.length == 0) {
            throw new IllegalArgumentException("the set is empty");
        }
        boolean[] seen = new boolean[rows];
        for (int row : members) {
            if (row < 0 || row >= rows) {
                throw new IllegalArgumentException("row " + row + " is not in the index of " + rows + " rows");
            }
            if (seen[row]) {
                throw new IllegalArgumentException("row " + row + " is in the set twice");
            }
            seen[row] = true;
        }
        return members.clone();
    }

    /** The RBF kernel between members (by position in the set). */
    private static final class Kernel {
        private final ReferenceIndex space;
        private final int[] set;
        private final double inverseTwoSigmaSquared;

        Kernel(ReferenceIndex space, int[] set, double bandwidth) {
            this.space = space;
            this.set = set;
            this.inverseTwoSigmaSquared = 1 / (2 * bandwidth * bandwidth);
        }

        double at(int a, int b) {
            return Math.exp(-space.squaredDistance(set[a], set[b]) * inverseTwoSigmaSquared);
        }

        /** Adds k(t, c) to sums[c] for every member c. */
        void addRow(int t, double[] sums, Cancellation cancellation) {
            for (int c = 0; c < sums.length; c++) {
                if (c % BLOCK_ROWS == 0) {
                    cancellation.throwIfCancelled();
                }
                sums[c] += c == t ? 1 : at(t, c);
            }
        }
    }
}
