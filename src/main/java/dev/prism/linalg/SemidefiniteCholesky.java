package dev.prism.linalg;

import java.util.Arrays;

/**
 * The Cholesky factor RᵀR of a symmetric positive semidefinite matrix, as the Gram matrix of
 * columns some of which may lie in the span of earlier ones: such a column (its pivot below
 * {@code relativeTolerance} of its diagonal) is dropped and gets no coordinate. Used to work with
 * weighted regressions through their sums rather than their n-long columns: R⁻ᵀ·(columns·v) are
 * v's coordinates on the orthonormalised columns.
 */
public final class SemidefiniteCholesky {
    private final int q;
    /**
     * Row-major lower factor L = Rᵀ: row i holds column i of R, so that every inner product below
     * runs along two contiguous rows. The rows of dropped columns stay zero.
     */
    private final double[] l;
    private final boolean[] kept;
    private int rank;

    /**
     * @param gram              row-major q × q symmetric matrix (only its upper triangle is read)
     * @param q                 its order
     * @param relativeTolerance the share of a column's squared length that must lie outside the
     *                          earlier columns' span for it to be kept
     */
    public SemidefiniteCholesky(double[] gram, int q, double relativeTolerance) {
        this.q = q;
        this.l = new double[q * q];
        this.kept = new boolean[q];
        for (int i = 0; i < q; i++) {
            int rowI = i * q;
            // row i of L against the earlier rows: L[i][j] = (G[j][i] − Σ_k L[i][k]·L[j][k]) / L[j][j]
            for (int j = 0; j < i; j++) {
                if (!kept[j]) {
                    continue;
                }
                int rowJ = j * q;
                double s = gram[rowJ + i];
                for (int k = 0; k < j; k++) {
                    s -= l[rowI + k] * l[rowJ + k];
                }
                l[rowI + j] = s / l[rowJ + j];
            }
            double d = gram[rowI + i];
            for (int k = 0; k < i; k++) {
                d -= l[rowI + k] * l[rowI + k];
            }
            if (!(d > relativeTolerance * gram[rowI + i]) || !(d > 0)) {
                Arrays.fill(l, rowI, rowI + i, 0);
                continue;
            }
            kept[i] = true;
            rank++;
            l[rowI + i] = Math.sqrt(d);
        }
    }

    /** How many columns were kept. */
    public int rank() {
        return rank;
    }

    /** R⁻ᵀ·v: coordinates on the orthonormalised kept columns (0 for dropped ones). */
    public double[] forward(double[] v) {
        double[] out = new double[q];
        for (int i = 0; i < q; i++) {
            if (!kept[i]) {
                continue;
            }
            int rowI = i * q;
            double s = v[i];
            for (int k = 0; k < i; k++) {
                s -= l[rowI + k] * out[k];
            }
            out[i] = s / l[rowI + i];
        }
        return out;
    }

    /** R⁻¹·c: from coordinates back to coefficients of the kept columns (0 for dropped ones). */
    public double[] backward(double[] c) {
        double[] out = c.clone();
        // column-oriented: once out[i] is final, subtract its share from the rows above
        for (int i = q - 1; i >= 0; i--) {
            if (!kept[i]) {
                out[i] = 0;
                continue;
            }
            int rowI = i * q;
            out[i] /= l[rowI + i];
            double x = out[i];
            for (int k = 0; k < i; k++) {
                out[k] -= l[rowI + k] * x;
            }
        }
        return out;
    }
}
