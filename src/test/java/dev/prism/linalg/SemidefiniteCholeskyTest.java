package dev.prism.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

class SemidefiniteCholeskyTest {
    private static final int N = 50;

    /** Columns 0, 1, 3 independent; column 2 = column 0 + column 1 exactly; column 4 a copy of 3. */
    private static double[][] columns() {
        SplittableRandom rng = new SplittableRandom(11);
        double[][] x = new double[5][N];
        for (int j = 0; j < N; j++) {
            x[0][j] = rng.nextBoolean() ? 1 : 0;
            x[1][j] = rng.nextGaussian();
            x[2][j] = x[0][j] + x[1][j];
            x[3][j] = rng.nextGaussian();
            x[4][j] = x[3][j];
        }
        return x;
    }

    private static double[] gram(double[][] x) {
        int q = x.length;
        double[] g = new double[q * q];
        for (int a = 0; a < q; a++) {
            for (int b = 0; b < q; b++) {
                for (int j = 0; j < N; j++) {
                    g[a * q + b] += x[a][j] * x[b][j];
                }
            }
        }
        return g;
    }

    @Test
    void dependentColumnsAreDroppedAndTheFitEqualsLeastSquaresOnTheOthers() {
        double[][] x = columns();
        SplittableRandom rng = new SplittableRandom(12);
        double[] y = new double[N];
        for (int j = 0; j < N; j++) {
            y[j] = rng.nextGaussian();
        }
        double[] xy = new double[5];
        for (int a = 0; a < 5; a++) {
            for (int j = 0; j < N; j++) {
                xy[a] += x[a][j] * y[j];
            }
        }
        SemidefiniteCholesky chol = new SemidefiniteCholesky(gram(x), 5, 1e-9);
        assertEquals(3, chol.rank());
        double[] coordinates = chol.forward(xy);
        double[] b = chol.backward(coordinates);
        assertEquals(0, b[2], 0.0);
        assertEquals(0, b[4], 0.0);

        // Least squares on the independent columns 0, 1, 3 by EJML's QR.
        DMatrixRMaj design = new DMatrixRMaj(N, 3);
        int[] kept = {0, 1, 3};
        for (int j = 0; j < N; j++) {
            for (int k = 0; k < 3; k++) {
                design.set(j, k, x[kept[k]][j]);
            }
        }
        DMatrixRMaj expected = new DMatrixRMaj(3, 1);
        CommonOps_DDRM.solve(design, new DMatrixRMaj(N, 1, true, y), expected);
        for (int k = 0; k < 3; k++) {
            assertEquals(expected.get(k, 0), b[kept[k]], 1e-10);
        }
        // The coordinates' squared length is that of y's projection on the span.
        double fitted = 0;
        for (int j = 0; j < N; j++) {
            double f = 0;
            for (int k = 0; k < 3; k++) {
                f += expected.get(k, 0) * x[kept[k]][j];
            }
            fitted += f * f;
        }
        double squared = 0;
        for (double c : coordinates) {
            squared += c * c;
        }
        assertEquals(fitted, squared, 1e-9 * fitted);
    }
}
