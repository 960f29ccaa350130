package dev.prism.linalg;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * Weighted linear regression with an unpenalised intercept, as scikit-learn's {@code Ridge} with
 * {@code sample_weight}: minimise Σ_i w_i (y_i − β₀ − x_i·β)² + α‖β‖² on any subset of the columns,
 * for several targets that share the rows and weights. Rows are folded into weighted sums of the
 * rows shifted by an origin (first and second moments, cross products with the targets), so every
 * fit and every step of a forward selection works on those sums alone, without another pass over
 * the rows. An origin near the data, such as one of its rows, keeps the centring that turns the
 * sums into the weighted-mean-centred Gram matrix accurate. Sums that overflowed are a
 * {@link SolverException} at the first fit, not coefficients of NaN.
 */
public final class WeightedRidge {
    /**
     * A candidate whose column, after centring and projecting out the chosen ones, keeps less than
     * this fraction of its second moment about the origin adds nothing: what is left is rounding.
     */
    private static final double COLLINEAR = 1e-12;

    private final int columns;
    private final int targets;
    private final double[] xOrigin;
    private final double[] yOrigin;
    private final DMatrixRMaj xx;
    private final DMatrixRMaj xy;
    private final double[] sumX;
    private final double[] sumY;
    private final double[] sumYY;
    private double sumW;
    private Centred centred;

    /**
     * @param xOrigin the point the rows are shifted by (one value per column)
     * @param yOrigin the point the targets are shifted by (one value per target)
     */
    public WeightedRidge(double[] xOrigin, double[] yOrigin) {
        this.columns = xOrigin.length;
        this.targets = yOrigin.length;
        this.xOrigin = xOrigin.clone();
        this.yOrigin = yOrigin.clone();
        this.xx = new DMatrixRMaj(columns, columns);
        this.xy = new DMatrixRMaj(columns, targets);
        this.sumX = new double[columns];
        this.sumY = new double[targets];
        this.sumYY = new double[targets];
    }

    public int columns() {
        return columns;
    }

    /**
     * Adds rows.
     *
     * @param x       count × columns, row-major
     * @param weights one per row, each >= 0
     * @param y       count × targets, row-major
     */
    public void add(double[] x, int count, double[] weights, double[] y) {
        // Rows scaled by √w, so that the Gram matrix of the block is Σ w (x − o)(x − o)ᵀ.
        DMatrixRMaj a = new DMatrixRMaj(count, columns);
        DMatrixRMaj b = new DMatrixRMaj(count, targets);
        for (int i = 0; i < count; i++) {
            double w = weights[i];
            if (!(w >= 0) || Double.isInfinite(w)) {
                throw new IllegalArgumentException("weight " + w + " of row " + i + " is not finite and >= 0");
            }
            double root = Math.sqrt(w);
            sumW += w;
            for (int j = 0; j < columns; j++) {
                double d = x[i * columns + j] - xOrigin[j];
                a.data[i * columns + j] = root * d;
                sumX[j] += w * d;
            }
            for (int t = 0; t < targets; t++) {
                double d = y[i * targets + t] - yOrigin[t];
                b.data[i * targets + t] = root * d;
                sumY[t] += w * d;
                sumYY[t] += w * d * d;
            }
        }
        CommonOps_DDRM.addEquals(xx, CommonOps_DDRM.multInner(a, null));
        CommonOps_DDRM.multAddTransA(a, b, xy);
        centred = null;
    }

    /** A fit of one target on some columns. */
    public record Fit(int[] columns, double[] coefficients, double intercept, double score) {
        /** The fit's prediction at a full row (one value per column of the problem). */
        public double predict(double[] row) {
            double y = intercept;
            for (int i = 0; i < columns.length; i++) {
                y += coefficients[i] * row[columns[i]];
            }
            return y;
        }
    }

    /**
     * The ridge fit of one target on the given columns, with its weighted R² on the rows.
     *
     * @param alpha the penalty on the coefficients (not the intercept), > 0
     */
    public Fit fit(int[] columns, int target, double alpha) {
        if (!(alpha > 0)) {
            throw new IllegalArgumentException("alpha must be > 0, got " + alpha);
        }
        Centred c = centred();
        int k = columns.length;
        DMatrixRMaj a = new DMatrixRMaj(k, k);
        DMatrixRMaj b = new DMatrixRMaj(k, 1);
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                a.set(i, j, c.gram.get(columns[i], columns[j]));
            }
            a.add(i, i, alpha);
            b.set(i, 0, c.cross.get(columns[i], target));
        }
        DMatrixRMaj beta = new DMatrixRMaj(k, 1);
        LinearSolverDense<DMatrixRMaj> chol = LinearSolverFactory_DDRM.symmPosDef(k);
        if (chol.setA(a.copy())) {
            chol.solve(b, beta);
        } else {
            // Only when alpha is negligible next to the Gram matrix: its minimum-norm solution.
            LinearSolverDense<DMatrixRMaj> pinv = LinearSolverFactory_DDRM.pseudoInverse(true);
            if (!pinv.setA(a.copy())) {
                throw new SolverException("ridge: the singular value decomposition of the Gram matrix failed");
            }
            pinv.solve(b, beta);
        }
        double[] coef = beta.data.clone();
        // Residual sum of squares of the centred problem: Syy − 2βᵀb + βᵀGβ.
        double sse = c.total[target];
        double intercept = yOrigin[target] + c.yMean[target];
        for (int i = 0; i < k; i++) {
            double gb = 0;
            for (int j = 0; j < k; j++) {
                gb += c.gram.get(columns[i], columns[j]) * coef[j];
            }
            sse += coef[i] * (gb - 2 * b.get(i, 0));
            intercept -= coef[i] * (xOrigin[columns[i]] + c.xMean[columns[i]]);
        }
        return new Fit(columns.clone(), coef, intercept, r2(sse, c.total[target]));
    }

    /**
     * Greedy forward selection by unregularised weighted least squares with an intercept: each
     * step adds the column whose addition gives the highest weighted R², the lowest index on ties.
     * A column in the span of those already chosen (a constant one, say) adds nothing to the fit.
     *
     * @return min(count, columns) columns in the order chosen
     */
    public int[] forwardSelection(int target, int count, Cancellation cancellation) {
        Centred c = centred();
        int steps = Math.min(count, columns);
        int[] chosen = new int[steps];
        boolean[] used = new boolean[columns];
        // Cholesky factor of the Gram matrix of the chosen columns that widen the span, and
        // L⁻¹ times their cross products with the target: the fit on them without solving anew.
        int[] basis = new int[steps];
        double[][] factor = new double[steps][];
        double[] projected = new double[steps];
        int rank = 0;
        double sse = c.total[target];
        for (int step = 0; step < steps; step++) {
            cancellation.throwIfCancelled();
            int best = -1;
            double bestScore = Double.NEGATIVE_INFINITY;
            double[] bestRow = null;
            double bestGain = 0;
            double bestResidual = 0;
            for (int j = 0; j < columns; j++) {
                if (used[j]) {
                    continue;
                }
                double[] row = new double[rank + 1];
                double residual = c.gram.get(j, j);
                double along = c.cross.get(j, target);
                for (int p = 0; p < rank; p++) {
                    double v = c.gram.get(basis[p], j);
                    for (int q = 0; q < p; q++) {
                        v -= factor[p][q] * row[q];
                    }
                    v /= factor[p][p];
                    row[p] = v;
                    residual -= v * v;
                    along -= v * projected[p];
                }
                boolean widens = residual > COLLINEAR * xx.get(j, j);
                double gain = widens ? along * along / residual : 0;
                double score = r2(sse - gain, c.total[target]);
                if (score > bestScore) {
                    best = j;
                    bestScore = score;
                    bestGain = gain;
                    bestResidual = widens ? residual : 0;
                    bestRow = row;
                }
            }
            if (best < 0) {
                throw new SolverException("forward selection: the fit of every candidate is NaN at step " + step);
            }
            chosen[step] = best;
            used[best] = true;
            if (bestResidual > 0) {
                double root = Math.sqrt(bestResidual);
                bestRow[rank] = root;
                double along = c.cross.get(best, target);
                for (int p = 0; p < rank; p++) {
                    along -= bestRow[p] * projected[p];
                }
                projected[rank] = along / root;
                factor[rank] = bestRow;
                basis[rank] = best;
                rank++;
                sse -= bestGain;
            }
        }
        return chosen;
    }

    /** scikit-learn's r2_score: 1 − SSE/SST, and 1 or 0 for constant targets as the fit is exact or not. */
    private static double r2(double sse, double sst) {
        if (sst == 0) {
            return sse == 0 ? 1 : 0;
        }
        return 1 - sse / sst;
    }

    private Centred centred() {
        if (centred == null) {
            centred = new Centred();
        }
        return centred;
    }

    /** The sums centred on the weighted means: the Gram matrix scikit-learn builds from centred rows. */
    private final class Centred {
        final double[] xMean = new double[columns];
        final double[] yMean = new double[targets];
        final DMatrixRMaj gram = new DMatrixRMaj(columns, columns);
        final DMatrixRMaj cross = new DMatrixRMaj(columns, targets);
        final double[] total = new double[targets];

        Centred() {
            if (!(sumW > 0)) {
                throw new IllegalStateException("no rows with positive weight");
            }
            for (int j = 0; j < columns; j++) {
                xMean[j] = sumX[j] / sumW;
            }
            for (int t = 0; t < targets; t++) {
                yMean[t] = sumY[t] / sumW;
                total[t] = sumYY[t] - sumW * yMean[t] * yMean[t];
            }
            for (int i = 0; i < columns; i++) {
                for (int j = 0; j < columns; j++) {
                    gram.set(i, j, xx.get(i, j) - sumW * xMean[i] * xMean[j]);
                }
                for (int t = 0; t < targets; t++) {
                    cross.set(i, t, xy.get(i, t) - sumW * xMean[i] * yMean[t]);
                }
            }
            Dense.requireFinite(gram.data, "ridge: the weighted Gram matrix of the rows");
            Dense.requireFinite(cross.data, "ridge: the weighted cross-product matrix of rows and targets");
            Dense.requireFinite(total, "ridge: the weighted total sum of squares of the targets");
        }
    }
}
