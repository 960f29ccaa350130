package dev.prism.linalg;

/**
 * The Cholesky factor RᵀR of a symmetric positive semidefinite matrix, as the Gram matrix of
 * columns some of which may lie in the span of earlier ones: such a column (its pivot below
 * {@code relativeTolerance} of its diagonal) is dropped and gets no coordinate. Used to work with
 * weighted regressions through their sums rather than their n-long columns: R⁻ᵀ·(columns·v) are
 * v's coordinates on the orthonormalised columns.
 */
public final class SemidefiniteCholesky {
    private final int q;
    /** Row-major upper factor; the rows of dropped columns stay zero. */
    private final double[] r;
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
        this.r = new double[q * q];
        this.kept = new boolean[q];
        for (int i = 0; i < q; i++) {
            double d = gram[i * q + i];
            for (int k = 0; k < i; k++) {
                double rki = r[k * q + i];
                d -= rki * rki;
            }
            if (!(d > relativeTolerance * gram[i * q + i]) || !(d > 0)) {
                continue;
            }
            kept[i] = true;
            rank++;
            double rii = Math.sqrt(d);
            r[i * q + i] = rii;
            for (int j = i + 1; j < q; j++) {
                double s = gram[i * q + j];
                for (int k = 0; k < i; k++) {
                    s -= r[k * q + i] * r[k * q + j];
                }
                r[i * q + j] = s / rii;
            }
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
            double s = v[i];
            for (int k = 0; k < i; k++) {
                s -= r[k * q + i] * out[k];
            }
            out[i] = s / r[i * q + i];
        }
        return out;
    }

    /** R⁻¹·c: from coordinates back to coefficients of the kept columns (0 for dropped ones). */
    public double[] backward(double[] c) {
        double[] out = new double[q];
        for (int i = q - 1; i >= 0; i--) {
            if (!kept[i]) {
                continue;
            }
            double s = c[i];
            for (int j = i + 1; j < q; j++) {
                s -= r[i * q + j] * out[j];
            }
            out[i] = s / r[i * q + i];
        }
        return out;
    }
}
