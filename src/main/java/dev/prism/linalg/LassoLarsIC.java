package dev.prism.linalg;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * The lasso with its penalty chosen by an information criterion, as scikit-learn's
 * {@code LassoLarsIC}: X and y are centred (an intercept is fitted), the whole lasso path is
 * computed by LARS, and the point minimising
 * n·log(2πσ²) + RSS/σ² + c·df is kept, where df counts the non-zero coefficients, c is 2 (AIC)
 * or log n (BIC), and σ² is the residual variance of the ordinary least-squares fit with
 * n − p − 1 degrees of freedom. A noise variance that is not finite, like non-finite data, is a
 * {@link SolverException}: the criterion would be NaN at every point.
 */
public final class LassoLarsIC {
    /** The information criterion. */
    public enum Criterion { AIC, BIC }

    private static final int MAX_ITER = 500;
    private static final double EPS = Math.ulp(1.0);

    private final double[] coef;
    private final double intercept;
    private final double alpha;
    private final double noiseVariance;
    private final double[] criterionValues;

    private LassoLarsIC(double[] coef, double intercept, double alpha, double noiseVariance,
                        double[] criterionValues) {
        this.coef = coef;
        this.intercept = intercept;
        this.alpha = alpha;
        this.noiseVariance = noiseVariance;
        this.criterionValues = criterionValues;
    }

    /**
     * Fits the model.
     *
     * @param x rows of the design, [sample][feature]; needs more than features + 1 rows, since
     *          the noise variance is estimated from the least-squares residuals
     * @param y the targets, one per row
     * @throws SolverException when x or y holds a NaN or an infinity, or the fit overflows
     */
    public static LassoLarsIC fit(double[][] x, double[] y, Criterion criterion, Cancellation cancellation) {
        int n = x.length;
        int p = n == 0 ? 0 : x[0].length;
        if (y.length != n) {
            throw new IllegalArgumentException(n + " rows but " + y.length + " targets");
        }
        if (n <= p + 1) {
            throw new IllegalArgumentException("the noise variance needs more than " + (p + 1)
                    + " rows, got " + n);
        }
        double[] xMean = Dense.columnMeans(x);
        double yMean = Dense.mean(y);
        double[][] xc = Dense.centred(x, xMean);
        double[] yc = Dense.shifted(y, yMean);
        LarsPath path = LarsPath.compute(LarsPath.Method.LASSO, Dense.gram(xc), Dense.transposeTimes(xc, yc), n,
                MAX_ITER, cancellation);
        double[][] coefs = path.coefs();
        double[] alphas = path.alphas();

        double sigma2 = leastSquaresResidual(xc, yc) / (n - p - 1);
        if (!Double.isFinite(sigma2)) {
            throw new SolverException("LassoLarsIC: the noise variance of the least-squares fit is " + sigma2);
        }
        double factor = criterion == Criterion.AIC ? 2 : Math.log(n);
        double[] values = new double[coefs.length];
        int best = 0;
        for (int k = 0; k < coefs.length; k++) {
            cancellation.throwIfCancelled();
            int df = 0;
            for (double c : coefs[k]) {
                if (Math.abs(c) > EPS) {
                    df++;
                }
            }
            values[k] = n * Math.log(2 * Math.PI * sigma2) + residualSumOfSquares(xc, yc, coefs[k]) / sigma2
                    + factor * df;
            // First minimum; a NaN wins, as numpy's argmin reports the first NaN.
            if (!Double.isNaN(values[best]) && (Double.isNaN(values[k]) || values[k] < values[best])) {
                best = k;
            }
        }
        double[] chosen = coefs[best];
        double intercept = yMean;
        for (int i = 0; i < p; i++) {
            intercept -= xMean[i] * chosen[i];
        }
        return new LassoLarsIC(chosen, intercept, alphas[best], sigma2, values);
    }

    /**
     * Each column divided by its standard deviation (population, ddof 0), without centring, as
     * scikit-learn's {@code StandardScaler(with_mean=False)}; a column whose variance is zero up to
     * rounding is left as it is.
     */
    public static double[][] scaledToUnitVariance(double[][] x) {
        int n = x.length;
        int p = x[0].length;
        double[] mean = Dense.columnMeans(x);
        double[] scale = new double[p];
        for (int i = 0; i < p; i++) {
            // Two-pass variance with the rounding correction of Chan, Golub and LeVeque.
            double sum = 0;
            double squares = 0;
            for (double[] row : x) {
                double d = row[i] - mean[i];
                sum += d;
                squares += d * d;
            }
            double variance = (squares - sum * sum / n) / n;
            double roundingBound = n * EPS * variance + Math.pow(n * mean[i] * EPS, 2);
            scale[i] = variance <= roundingBound ? 1 : Math.sqrt(variance);
        }
        double[][] out = new double[n][p];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < p; i++) {
                out[r][i] = x[r][i] / scale[i];
            }
        }
        return out;
    }

    /** The coefficients at the chosen point of the path. */
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

    /** The penalty at the chosen point. */
    public double alpha() {
        return alpha;
    }

    /** The estimated noise variance σ². */
    public double noiseVariance() {
        return noiseVariance;
    }

    /** The criterion at every point of the path. */
    public double[] criterionValues() {
        return criterionValues.clone();
    }

    private static double residualSumOfSquares(double[][] x, double[] y, double[] coef) {
        int[] nonZero = Dense.nonZero(coef);
        double rss = 0;
        for (int r = 0; r < x.length; r++) {
            double fit = 0;
            for (int i : nonZero) {
                fit += x[r][i] * coef[i];
            }
            double e = y[r] - fit;
            rss += e * e;
        }
        return rss;
    }

    /** RSS of the least-squares fit without intercept; pivoted QR copes with dependent columns. */
    private static double leastSquaresResidual(double[][] x, double[] y) {
        int n = x.length;
        int p = x[0].length;
        DMatrixRMaj a = new DMatrixRMaj(n, p);
        for (int r = 0; r < n; r++) {
            System.arraycopy(x[r], 0, a.data, r * p, p);
        }
        DMatrixRMaj b = new DMatrixRMaj(n, 1, true, y);
        DMatrixRMaj w = new DMatrixRMaj(p, 1);
        LinearSolverDense<DMatrixRMaj> solver = LinearSolverFactory_DDRM.leastSquaresQrPivot(true, false);
        if (!solver.setA(a)) {
            throw new IllegalStateException("least-squares decomposition failed");
        }
        solver.solve(b, w);
        return residualSumOfSquares(x, y, w.data);
    }
}
