package dev.prism.linalg;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The least angle regression path (Efron, Hastie, Johnstone and Tibshirani 2004) with the semantics
 * of scikit-learn's {@code lars_path}: no intercept and no normalisation, the path starts at zero
 * coefficients and adds the feature most correlated with the residual at each step. The LAR variant
 * moves along the equiangular direction until another feature is as correlated; the lasso variant
 * additionally drops a feature whose coefficient crosses zero, which makes the path the exact lasso
 * solution path.
 *
 * <p>Everything is computed from the Gram matrix XᵀX and Xᵀy. The quirks that decide which features
 * enter are reproduced on purpose, because KernelSHAP's {@code num_features(r)} selection is the
 * entry order: ties go to the lowest position in scikit-learn's running permutation of the
 * features, the covariance of the equiangular direction is rounded to 15 decimals, a feature
 * whose Cholesky pivot falls below 1e-7 is refused, and after a sign change the LAR variant skips
 * adding a feature for one step.
 *
 * <p>Non-finite data, or arithmetic that overflows on the way, end the computation with a
 * {@link SolverException} rather than a path of NaN: every loop is bounded, and the caller's
 * {@link Cancellation} is asked at every step.
 */
public final class LarsPath {
    /** The variant: plain least angle regression or the lasso path. */
    public enum Method { LAR, LASSO }

    private static final double EPS = Math.ulp(1.0);
    private static final double EPS32 = Math.ulp(1.0f);
    private static final double TINY32 = Float.MIN_NORMAL;
    private static final double DEGENERATE_PIVOT = 1e-7;
    private static final double ROUNDING = 1e15;
    /** ε·2^i is finite up to this i: the regularisation of an ill-conditioned factor can grow no further. */
    private static final int MAX_REGULARISATION_DOUBLINGS = Double.MAX_EXPONENT - Math.getExponent(EPS);

    private final int[] active;
    private final double[] alphas;
    private final double[][] coefs;

    private LarsPath(int[] active, double[] alphas, double[][] coefs) {
        this.active = active;
        this.alphas = alphas;
        this.coefs = coefs;
    }

    /**
     * LAR on a design: scikit-learn's {@code lars_path(x, y, max_iter=maxIter)}.
     *
     * @param x       rows of the design, [sample][feature]
     * @param y       the targets, one per row
     * @param maxIter the most steps; each step adds at most one feature
     * @throws SolverException when the products of the design are not finite
     */
    public static LarsPath lar(double[][] x, double[] y, int maxIter, Cancellation cancellation) {
        return compute(Method.LAR, Dense.gram(x), Dense.transposeTimes(x, y), y.length, maxIter, cancellation);
    }

    /**
     * The path from precomputed products.
     *
     * @param gram    XᵀX, [feature][feature]
     * @param xy      Xᵀy
     * @param samples number of rows of X: alphas are the largest covariance divided by it
     * @param maxIter the most steps
     * @throws SolverException when gram or xy has a NaN or an infinity, or the path overflows
     */
    public static LarsPath compute(Method method, double[][] gram, double[] xy, int samples, int maxIter,
                                   Cancellation cancellation) {
        if (maxIter < 0) {
            throw new IllegalArgumentException("maxIter must be >= 0, got " + maxIter);
        }
        Dense.requireFinite(gram, "LARS: the Gram matrix XᵀX");
        Dense.requireFinite(xy, "LARS: Xᵀy");
        return new Solver(method, gram, xy, samples, maxIter, cancellation).run();
    }

    /** Features active at the end of the path, in the order they entered (for LAR: never dropped). */
    public int[] active() {
        return active.clone();
    }

    /** The largest absolute covariance over the number of samples at each point of the path. */
    public double[] alphas() {
        return alphas.clone();
    }

    /** Coefficients at each point of the path, [point][feature]; point 0 is all zeros. */
    public double[][] coefs() {
        double[][] out = new double[coefs.length][];
        for (int i = 0; i < coefs.length; i++) {
            out[i] = coefs[i].clone();
        }
        return out;
    }

    /** One run of the algorithm; the features are kept in a permutation whose first entries are active. */
    private static final class Solver {
        private final Method method;
        private final double[][] gram;
        private final double[] xy;
        private final int samples;
        private final int maxIter;
        private final Cancellation cancellation;
        private final int p;
        /** order[pos] is the feature at position pos; positions below nActive are the active set. */
        private final int[] order;
        /** Covariance with the residual of the feature at each inactive position. */
        private final double[] cov;
        /** Lower Cholesky factor of the Gram matrix of the active set, in position order. */
        private final double[][] chol;
        private final double[] sign;
        private final List<Integer> activeFeatures = new ArrayList<>();
        private final List<Double> alphaPath = new ArrayList<>();
        private final List<double[]> coefPath = new ArrayList<>();
        private int nActive;

        Solver(Method method, double[][] gram, double[] xy, int samples, int maxIter, Cancellation cancellation) {
            this.method = method;
            this.gram = gram;
            this.xy = xy;
            this.samples = samples;
            this.maxIter = maxIter;
            this.cancellation = cancellation;
            this.p = xy.length;
            this.order = new int[p];
            for (int i = 0; i < p; i++) {
                order[i] = i;
            }
            this.cov = xy.clone();
            int maxFeatures = Math.min(maxIter, p);
            this.chol = new double[maxFeatures][maxFeatures];
            this.sign = new double[maxFeatures];
        }

        LarsPath run() {
            double[] coef = new double[p];
            coefPath.add(coef);
            int nIter = 0;
            // Each refusal zeroes one inactive covariance, so a step can refuse at most p features.
            int refusals = 0;
            boolean skipAdd = false;
            while (true) {
                cancellation.throwIfCancelled();
                int best = -1;
                double c = 0;
                for (int pos = nActive; pos < p; pos++) {
                    if (!Double.isFinite(cov[pos])) {
                        throw new SolverException("LARS: the correlation of feature " + order[pos]
                                + " with the residual overflowed at step " + nIter);
                    }
                    if (best < 0 || Math.abs(cov[pos]) > c) {
                        best = pos;
                        c = Math.abs(cov[pos]);
                    }
                }
                double alpha = c / samples;
                setAlpha(nIter, alpha);
                if (alpha <= EPS32 || nIter >= maxIter || nActive >= p) {
                    break;
                }
                if (!skipAdd) {
                    if (!addFeature(best)) {
                        if (++refusals > p) {
                            throw new SolverException("LARS: every feature was refused as degenerate at step "
                                    + nIter);
                        }
                        continue; // refused as degenerate: pick again at the same step
                    }
                }
                refusals = 0;
                if (method == Method.LASSO && nIter > 0 && alphaPath.get(nIter - 1) < alpha) {
                    break; // rounding now dominates the remaining correlation
                }
                double[] direction = equiangular();
                double aa = direction[nActive];
                double[] corr = new double[p];
                for (int pos = nActive; pos < p; pos++) {
                    double[] g = gram[order[pos]];
                    double s = 0;
                    for (int k = 0; k < nActive; k++) {
                        s += g[order[k]] * direction[k];
                    }
                    // Rounded as scikit-learn does, so that near-ties between features resolve alike.
                    corr[pos] = Math.rint(s * ROUNDING) / ROUNDING;
                }
                double gamma = c / aa;
                for (int pos = nActive; pos < p; pos++) {
                    gamma = Math.min(gamma, positiveOrMax((c - cov[pos]) / (aa - corr[pos] + TINY32)));
                    gamma = Math.min(gamma, positiveOrMax((c + cov[pos]) / (aa + corr[pos] + TINY32)));
                }
                double crossing = Double.MAX_VALUE;
                double[] z = new double[nActive];
                for (int k = 0; k < nActive; k++) {
                    z[k] = -coef[order[k]] / (direction[k] + TINY32);
                    crossing = Math.min(crossing, positiveOrMax(z[k]));
                }
                List<Integer> crossed = new ArrayList<>();
                skipAdd = false;
                if (crossing < gamma) {
                    for (int k = nActive - 1; k >= 0; k--) {
                        if (z[k] == crossing) {
                            crossed.add(k);
                            sign[k] = -sign[k];
                        }
                    }
                    if (method == Method.LASSO) {
                        gamma = crossing;
                    }
                    skipAdd = true;
                }
                nIter++;
                double[] next = new double[p];
                for (int k = 0; k < nActive; k++) {
                    int f = order[k];
                    next[f] = coef[f] + gamma * direction[k];
                    if (!Double.isFinite(next[f])) {
                        throw new SolverException("LARS: the coefficient of feature " + f + " overflowed at step "
                                + nIter);
                    }
                }
                coef = next;
                coefPath.add(coef);
                for (int pos = nActive; pos < p; pos++) {
                    cov[pos] -= gamma * corr[pos];
                }
                if (skipAdd && method == Method.LASSO) {
                    dropFeatures(crossed, coef);
                }
            }
            double[] alphas = new double[alphaPath.size()];
            for (int i = 0; i < alphas.length; i++) {
                alphas[i] = alphaPath.get(i);
            }
            return new LarsPath(activeFeatures.stream().mapToInt(Integer::intValue).toArray(), alphas,
                    coefPath.toArray(new double[0][]));
        }

        private void setAlpha(int step, double alpha) {
            if (alphaPath.size() == step) {
                alphaPath.add(alpha);
            } else {
                alphaPath.set(step, alpha);
            }
        }

        /** Moves the feature at position {@code pos} into the active set; false when it is degenerate. */
        private boolean addFeature(int pos) {
            double covariance = cov[pos];
            swap(cov, pos, nActive);
            swap(order, pos, nActive);
            int f = order[nActive];
            double[] row = chol[nActive];
            double v = 0;
            for (int k = 0; k < nActive; k++) {
                double s = gram[f][order[k]];
                for (int j = 0; j < k; j++) {
                    s -= chol[k][j] * row[j];
                }
                row[k] = s / chol[k][k];
                v += row[k] * row[k];
            }
            double pivot = Math.max(Math.sqrt(Math.abs(gram[f][f] - v)), EPS);
            row[nActive] = pivot;
            if (pivot < DEGENERATE_PIVOT) {
                // scikit-learn zeroes the covariance and swaps it back but keeps the permutation;
                // mirrored because it decides what is picked next.
                cov[nActive] = 0;
                swap(cov, pos, nActive);
                return false;
            }
            sign[nActive] = Math.signum(covariance);
            activeFeatures.add(f);
            nActive++;
            return true;
        }

        /**
         * The unit equiangular direction of the active set in position order, with its normaliser
         * A appended: solves (XₐᵀXₐ) w = sign and scales w by A = (signᵀw)^(-1/2).
         */
        private double[] equiangular() {
            double[] w = choleskySolve(chol, nActive, sign);
            double aa;
            if (nActive == 1 && w[0] == 0) {
                w[0] = 1;
                aa = 1;
            } else {
                aa = 1 / Math.sqrt(dot(w, sign, nActive));
                // An ill-conditioned factor: add growing multiples of eps to its diagonal until finite.
                double[][] regularised = null;
                for (int i = 0; !Double.isFinite(aa); i++) {
                    if (i > MAX_REGULARISATION_DOUBLINGS) {
                        throw new SolverException("LARS: the equiangular direction of " + nActive
                                + " active features stays non-finite however much the Cholesky factor is regularised");
                    }
                    cancellation.throwIfCancelled();
                    if (regularised == null) {
                        regularised = new double[nActive][];
                        for (int k = 0; k < nActive; k++) {
                            regularised[k] = Arrays.copyOf(chol[k], nActive);
                        }
                    }
                    for (int k = 0; k < nActive; k++) {
                        regularised[k][k] += Math.scalb(EPS, i);
                    }
                    w = choleskySolve(regularised, nActive, sign);
                    aa = 1 / Math.sqrt(Math.max(dot(w, sign, nActive), EPS));
                }
                for (int k = 0; k < nActive; k++) {
                    w[k] *= aa;
                }
            }
            double[] out = Arrays.copyOf(w, nActive + 1);
            out[nActive] = aa;
            return out;
        }

        /** Lasso only: removes the active features at the given positions (descending) from the set. */
        private void dropFeatures(List<Integer> positions, double[] coef) {
            for (int k : positions) {
                int f = order[k];
                for (int j = k; j < nActive - 1; j++) {
                    order[j] = order[j + 1];
                    sign[j] = sign[j + 1];
                }
                nActive--;
                order[nActive] = f;
                sign[nActive] = 0;
                activeFeatures.remove(k);
            }
            refactor();
            // The dropped features now sit just after the active block; their covariances are fresh.
            for (int pos = nActive; pos < nActive + positions.size(); pos++) {
                int f = order[pos];
                double s = xy[f];
                for (int j = 0; j < p; j++) {
                    s -= gram[f][j] * coef[j];
                }
                cov[pos] = s;
            }
        }

        /** Cholesky factor of the active Gram matrix from scratch, after features left the set. */
        private void refactor() {
            for (int i = 0; i < nActive; i++) {
                int f = order[i];
                double v = 0;
                for (int k = 0; k < i; k++) {
                    double s = gram[f][order[k]];
                    for (int j = 0; j < k; j++) {
                        s -= chol[k][j] * chol[i][j];
                    }
                    chol[i][k] = s / chol[k][k];
                    v += chol[i][k] * chol[i][k];
                }
                chol[i][i] = Math.max(Math.sqrt(Math.abs(gram[f][f] - v)), EPS);
            }
        }
    }

    /** Solves L Lᵀ x = b for the leading n×n block of a lower-triangular L. */
    private static double[] choleskySolve(double[][] l, int n, double[] b) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            double s = b[i];
            for (int j = 0; j < i; j++) {
                s -= l[i][j] * x[j];
            }
            x[i] = s / l[i][i];
        }
        for (int i = n - 1; i >= 0; i--) {
            double s = x[i];
            for (int j = i + 1; j < n; j++) {
                s -= l[j][i] * x[j];
            }
            x[i] = s / l[i][i];
        }
        return x;
    }

    private static double positiveOrMax(double v) {
        return v > 0 ? v : Double.MAX_VALUE;
    }

    private static double dot(double[] a, double[] b, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void swap(double[] a, int i, int j) {
        double t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
