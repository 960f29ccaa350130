package dev.prism.linalg;

/** Products of a dense row-major design ([row][column]) that the regression solvers share. */
final class Dense {
    private Dense() {
    }

    /** XᵀX. */
    static double[][] gram(double[][] x) {
        int p = x.length == 0 ? 0 : x[0].length;
        double[][] g = new double[p][p];
        for (double[] row : x) {
            for (int i = 0; i < p; i++) {
                double ri = row[i];
                if (ri == 0) {
                    continue;
                }
                double[] gi = g[i];
                for (int j = i; j < p; j++) {
                    gi[j] += ri * row[j];
                }
            }
        }
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < i; j++) {
                g[i][j] = g[j][i];
            }
        }
        return g;
    }

    /** Xᵀy. */
    static double[] transposeTimes(double[][] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException(x.length + " rows but " + y.length + " targets");
        }
        int p = x.length == 0 ? 0 : x[0].length;
        double[] out = new double[p];
        for (int r = 0; r < x.length; r++) {
            double yr = y[r];
            double[] row = x[r];
            for (int i = 0; i < p; i++) {
                out[i] += row[i] * yr;
            }
        }
        return out;
    }

    /** Column means. */
    static double[] columnMeans(double[][] x) {
        int p = x[0].length;
        double[] mean = new double[p];
        for (double[] row : x) {
            for (int i = 0; i < p; i++) {
                mean[i] += row[i];
            }
        }
        for (int i = 0; i < p; i++) {
            mean[i] /= x.length;
        }
        return mean;
    }

    static double mean(double[] y) {
        double s = 0;
        for (double v : y) {
            s += v;
        }
        return s / y.length;
    }

    /** X with every column shifted by minus its mean (a copy). */
    static double[][] centred(double[][] x, double[] means) {
        double[][] out = new double[x.length][];
        for (int r = 0; r < x.length; r++) {
            double[] row = x[r].clone();
            for (int i = 0; i < row.length; i++) {
                row[i] -= means[i];
            }
            out[r] = row;
        }
        return out;
    }

    static double[] shifted(double[] y, double by) {
        double[] out = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            out[i] = y[i] - by;
        }
        return out;
    }

    /** Throws a {@link SolverException} naming {@code what} and the entry when one is NaN or infinite. */
    static void requireFinite(double[] v, String what) {
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                throw new SolverException(what + " is not finite (" + v[i] + " at entry " + i + ")");
            }
        }
    }

    /** Throws a {@link SolverException} naming {@code what} and the entry when one is NaN or infinite. */
    static void requireFinite(double[][] m, String what) {
        for (int r = 0; r < m.length; r++) {
            for (int c = 0; c < m[r].length; c++) {
                if (!Double.isFinite(m[r][c])) {
                    throw new SolverException(what + " is not finite (" + m[r][c] + " at entry (" + r + ", " + c + "))");
                }
            }
        }
    }

    /** Indices of the non-zero entries. */
    static int[] nonZero(double[] v) {
        int count = 0;
        for (double d : v) {
            if (d != 0) {
                count++;
            }
        }
        int[] out = new int[count];
        for (int i = 0, k = 0; i < v.length; i++) {
            if (v[i] != 0) {
                out[k++] = i;
            }
        }
        return out;
    }
}
