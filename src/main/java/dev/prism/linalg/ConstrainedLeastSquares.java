package dev.prism.linalg;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * Weighted least squares over binary design rows with an equality constraint on the sum of the
 * coefficients: minimise Σ_j w_j (z_j·φ − y_j)² subject to Σ_i φ_i = total. The constraint is
 * eliminated by substituting the last coefficient, which leaves an unconstrained problem in M−1
 * unknowns whose normal equations are accumulated directly (O(rows·M²)) and solved once for every
 * right-hand side. Problems over disjoint observation sets can be added with weights, so estimates
 * from sub-samples cost one (M−1)² solve each. A rank-deficient system falls back to the
 * minimum-norm solution.
 */
public final class ConstrainedLeastSquares {
    private static final double MIN_QUALITY = 1e-12;

    private final int m;
    private final int outputs;
    private final DMatrixRMaj normal;
    private final DMatrixRMaj rhs;
    private final double[] totals;

    /**
     * @param features number of coefficients M (at least 2)
     * @param totals   the required coefficient sum, one per right-hand side
     */
    public ConstrainedLeastSquares(int features, double[] totals) {
        if (features < 2) {
            throw new IllegalArgumentException("need at least two features, got " + features);
        }
        this.m = features;
        this.outputs = totals.length;
        this.totals = totals.clone();
        this.normal = new DMatrixRMaj(m - 1, m - 1);
        this.rhs = new DMatrixRMaj(m - 1, outputs);
    }

    /**
     * Adds one observation.
     *
     * @param z      the design row, z[i] = true where feature i is present
     * @param weight its weight (>= 0)
     * @param y      its targets, one per right-hand side
     */
    public void add(boolean[] z, double weight, double[] y) {
        if (weight == 0) {
            return;
        }
        int last = m - 1;
        double zLast = z[last] ? 1 : 0;
        // Row of the reduced design: a_i = z_i − z_last.
        double[] a = new double[last];
        for (int i = 0; i < last; i++) {
            a[i] = (z[i] ? 1 : 0) - zLast;
        }
        double[] nd = normal.data;
        for (int i = 0; i < last; i++) {
            if (a[i] == 0) {
                continue;
            }
            double wa = weight * a[i];
            int row = i * last;
            for (int k = 0; k < last; k++) {
                nd[row + k] += wa * a[k];
            }
            for (int d = 0; d < outputs; d++) {
                rhs.data[i * outputs + d] += wa * (y[d] - zLast * totals[d]);
            }
        }
    }

    /** Adds scale × other's observations (same features and totals) to this problem. */
    public void addScaled(ConstrainedLeastSquares other, double scale) {
        if (other.m != m || other.outputs != outputs) {
            throw new IllegalArgumentException("problems of different sizes");
        }
        for (int i = 0; i < normal.data.length; i++) {
            normal.data[i] += scale * other.normal.data[i];
        }
        for (int i = 0; i < rhs.data.length; i++) {
            rhs.data[i] += scale * other.rhs.data[i];
        }
    }

    /** An empty problem with the same features and totals. */
    public ConstrainedLeastSquares emptyCopy() {
        return new ConstrainedLeastSquares(m, totals);
    }

    /** The coefficients, [output][feature]; each row sums to its total exactly up to rounding. */
    public double[][] solve() {
        int last = m - 1;
        DMatrixRMaj x = new DMatrixRMaj(last, outputs);
        LinearSolverDense<DMatrixRMaj> chol = LinearSolverFactory_DDRM.chol(last);
        if (chol.setA(normal.copy()) && chol.quality() > MIN_QUALITY) {
            chol.solve(rhs, x);
        } else {
            LinearSolverDense<DMatrixRMaj> pinv = LinearSolverFactory_DDRM.pseudoInverse(true);
            if (!pinv.setA(normal.copy())) {
                throw new SolverException("constrained least squares: the singular value decomposition of the"
                        + " normal equations failed");
            }
            pinv.solve(rhs, x);
        }
        double[][] phi = new double[outputs][m];
        for (int d = 0; d < outputs; d++) {
            double sum = 0;
            for (int i = 0; i < last; i++) {
                phi[d][i] = x.get(i, d);
                sum += phi[d][i];
            }
            phi[d][last] = totals[d] - sum;
        }
        return phi;
    }
}
