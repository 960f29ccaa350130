package dev.prism.linalg;

import java.util.Arrays;

/**
 * The lasso by cyclic coordinate descent, as scikit-learn's {@code Lasso(alpha)}: minimises
 * 1/(2n)·‖y − Xw − b‖² + α‖w‖₁ with an intercept b (X and y are centred first), starting from
 * zero, at most 1000 sweeps. Convergence is checked on the duality gap, relative to ‖y‖², once the
 * largest coefficient update of a sweep falls below 1e-4 of the largest coefficient; at each check
 * the gap safe screening rule (Ndiaye et al. 2017) freezes features that are provably zero.
 * Soft thresholding makes unselected coefficients exactly zero. Where scikit-learn warns that the
 * 1000 sweeps ran out, this throws a {@link SolverException}: the coefficients are not the lasso's.
 */
public final class Lasso {
    private static final int MAX_ITER = 1000;
    private static final double TOL = 1e-4;

    private final double[] coef;
    private final double intercept;
    private final int iterations;

    private Lasso(double[] coef, double intercept, int iterations) {
        this.coef = coef;
        this.intercept = intercept;
        this.iterations = iterations;
    }

    /**
     * Fits the model.
     *
     * @param x     rows of the design, [sample][feature]
     * @param y     the targets, one per row
     * @param alpha the penalty (>= 0)
     * @throws SolverException when x or y holds a NaN or an infinity, or the descent does not converge
     */
    public static Lasso fit(double[][] x, double[] y, double alpha, Cancellation cancellation) {
        if (!(alpha >= 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("alpha must be finite and >= 0, got " + alpha);
        }
        int n = x.length;
        if (n == 0 || y.length != n) {
            throw new IllegalArgumentException(n + " rows and " + y.length + " targets");
        }
        int p = x[0].length;
        Dense.requireFinite(x, "Lasso: the design");
        Dense.requireFinite(y, "Lasso: the target vector");
        double[] xMean = Dense.columnMeans(x);
        double yMean = Dense.mean(y);
        // Column-major centred copy: every update walks one column.
        double[][] columns = new double[p][n];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < p; j++) {
                columns[j][r] = x[r][j] - xMean[j];
            }
        }
        double[] yc = Dense.shifted(y, yMean);
        Descent descent = new Descent(columns, yc, alpha * n, cancellation);
        int iterations = descent.run();
        double intercept = yMean;
        for (int j = 0; j < p; j++) {
            intercept -= xMean[j] * descent.w[j];
        }
        return new Lasso(descent.w, intercept, iterations);
    }

    public double[] coefficients() {
        return coef.clone();
    }

    /** Indices of the non-zero coefficients, ascending. */
    public int[] selected() {
        return Dense.nonZero(coef);
    }

    public double intercept() {
        return intercept;
    }

    /** Sweeps run (scikit-learn's {@code n_iter_}). */
    public int iterations() {
        return iterations;
    }

    /** Coordinate descent on 1/2‖y − Xw‖² + α‖w‖₁ (α already multiplied by n). */
    private static final class Descent {
        private final double[][] columns;
        private final double[] y;
        private final double alpha;
        private final Cancellation cancellation;
        private final int n;
        private final int p;
        final double[] w;
        private final double[] residual;
        private final double[] squaredNorms;
        private final double[] xtr;
        private final boolean[] excluded;
        private int[] activeSet;
        private double dualNorm;

        Descent(double[][] columns, double[] y, double alpha, Cancellation cancellation) {
            this.columns = columns;
            this.y = y;
            this.alpha = alpha;
            this.cancellation = cancellation;
            this.n = y.length;
            this.p = columns.length;
            this.w = new double[p];
            this.residual = y.clone();
            this.squaredNorms = new double[p];
            for (int j = 0; j < p; j++) {
                squaredNorms[j] = dot(columns[j], columns[j]);
            }
            this.xtr = new double[p];
            this.excluded = new boolean[p];
        }

        /**
         * Returns the number of sweeps, 0 when zero coefficients already satisfy the tolerance.
         *
         * @throws SolverException when the gap is still above the tolerance after the last sweep
         */
        int run() {
            double tol = TOL * dot(y, y);
            double gap = dualityGap();
            if (gap <= tol) {
                return 0;
            }
            screen(gap);
            int sweep = 0;
            for (; sweep < MAX_ITER; sweep++) {
                cancellation.throwIfCancelled();
                double wMax = 0;
                double dwMax = 0;
                for (int j : activeSet) {
                    if (squaredNorms[j] == 0) {
                        continue;
                    }
                    double old = w[j];
                    double[] col = columns[j];
                    double rho = dot(col, residual) + old * squaredNorms[j];
                    w[j] = Math.signum(rho) * Math.max(Math.abs(rho) - alpha, 0) / squaredNorms[j];
                    if (w[j] != old) {
                        axpy(old - w[j], col, residual);
                    }
                    dwMax = Math.max(dwMax, Math.abs(w[j] - old));
                    wMax = Math.max(wMax, Math.abs(w[j]));
                }
                if (wMax == 0 || dwMax / wMax <= TOL || sweep == MAX_ITER - 1) {
                    gap = dualityGap();
                    if (gap <= tol) {
                        return sweep + 1; // the sweep that ends the loop counts
                    }
                    screen(gap);
                }
            }
            throw new SolverException("Lasso: coordinate descent did not converge in " + MAX_ITER
                    + " sweeps (duality gap " + gap + ", tolerance " + tol + ")");
        }

        /**
         * Primal minus dual objective at w, with the residual scaled into the dual feasible set;
         * also leaves Xᵀr in {@code xtr} and its largest magnitude in {@code dualNorm}.
         */
        private double dualityGap() {
            dualNorm = 0;
            for (int j = 0; j < p; j++) {
                xtr[j] = dot(columns[j], residual);
                dualNorm = Math.max(dualNorm, Math.abs(xtr[j]));
            }
            double rNorm2 = dot(residual, residual);
            double scale;
            double gap;
            if (dualNorm > alpha) {
                scale = alpha / dualNorm;
                gap = 0.5 * (rNorm2 + rNorm2 * scale * scale);
            } else {
                scale = 1;
                gap = rNorm2;
            }
            double l1 = 0;
            for (double v : w) {
                l1 += Math.abs(v);
            }
            return gap + alpha * l1 - scale * dot(residual, y);
        }

        /** Gap safe rule: a feature whose dual constraint is slack by more than the gap allows is zero. */
        private void screen(double gap) {
            int[] kept = new int[p];
            int count = 0;
            double radius = Math.sqrt(2 * gap) / alpha;
            double bound = Math.max(alpha, dualNorm);
            for (int j = 0; j < p; j++) {
                if (excluded[j]) {
                    continue;
                }
                if (squaredNorms[j] == 0) {
                    w[j] = 0;
                    excluded[j] = true;
                    continue;
                }
                double slack = (1 - Math.abs(xtr[j] / bound)) / Math.sqrt(squaredNorms[j]);
                if (slack <= radius) {
                    kept[count++] = j;
                } else {
                    axpy(w[j], columns[j], residual);
                    w[j] = 0;
                    excluded[j] = true;
                }
            }
            activeSet = Arrays.copyOf(kept, count);
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** b += a·x. */
    private static void axpy(double a, double[] x, double[] b) {
        for (int i = 0; i < b.length; i++) {
            b[i] += a * x[i];
        }
    }
}
