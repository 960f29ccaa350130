package dev.prism.explain.shap;

import dev.prism.linalg.Cancellation;
import dev.prism.linalg.SemidefiniteCholesky;
import java.util.Arrays;
import java.util.List;

/**
 * Standard errors of the constrained Shapley regression on a Leverage SHAP design, by
 * linearisation: the estimate's error is about G⁻¹ Σ_p u_p, where G is the weighted normal matrix
 * and u_p the score of sampled pair p, Σ_{z∈p} w_z a_z r̃_z (a the reduced columns, r̃ the
 * residuals corrected for the pair's leverage, see {@link #leaveOut}). Pairs are drawn without
 * replacement within their size class, so Var Σ u = Σ_h (1 − n_h/N_h)·n_h/(n_h − 1)·
 * Σ_{p∈h} (u_p − ū_h)(u_p − ū_h)ᵀ over the classes h of n_h drawn pairs out of N_h, and the
 * estimate's covariance is G⁻¹ V G⁻¹. Enumerated classes have no sampling error. The fit holds
 * about 4·M² numbers and the coalitions as bits ({@link #workingBytes}).
 *
 * <p>This needs two pairs per sampled class, where the draw groups' spread needs M pairs a group:
 * it gives standard errors at budgets too small for several groups, from about 4·M coalitions.
 */
final class StratifiedSandwich {
    private StratifiedSandwich() {
    }

    /** A bound on the memory a fit over m players and n coalitions holds: its sums, and the coalitions as bits. */
    static long workingBytes(int m, int n) {
        long p = m;
        return (3 * p * p + m * (long) m + 3 * (m / 2 + 1L) * m + 8 * p) * Double.BYTES
                + CoalitionBits.workingBytes(n, m, 0);
    }

    /**
     * The standard error of each player's estimate, or null when the design has no class with two
     * sampled pairs or the normal matrix is singular.
     *
     * @param masks    the design's coalitions over m players: enumerated ones first, then sampled
     *                 ones, each next to its complement
     * @param sampled  the index of the first sampled coalition
     * @param weights  each coalition's weight in the estimate
     * @param y        v(z) − v(∅) for each coalition
     * @param delta    v(full) − v(∅)
     * @param beta     the regression's estimate for each player
     */
    static double[] standardErrors(List<boolean[]> masks, int sampled, double[] weights, double[] y, double delta,
                                   double[] beta, Cancellation cancellation) {
        int m = beta.length;
        int p = m - 1;
        int n = masks.size();
        // β_last is eliminated by Σβ = Δ: a coalition's reduced columns are z_i − z_last, its target
        // y − Δ·z_last.
        double[] x = Arrays.copyOf(beta, p);
        // The reduced columns' normal matrix from the raw one, S = Σ w z zᵀ by popcounts:
        // Σ w (z_u − z_l)(z_v − z_l) = S_uv − S_ul − S_vl + S_ll.
        CoalitionBits bits = CoalitionBits.of(masks, m, weights, cancellation);
        double[] raw = new double[m * m];
        for (int u = 0; u < m; u++) {
            raw[u * m + u] = bits.sum(bits.player(u));
            for (int v = u + 1; v < m; v++) {
                raw[u * m + v] = bits.sum(bits.player(u), bits.player(v));
                raw[v * m + u] = raw[u * m + v];
            }
        }
        int last = m - 1;
        double ll = raw[last * m + last];
        double[] normal = new double[p * p];
        for (int u = 0; u < p; u++) {
            for (int v = 0; v < p; v++) {
                normal[u * p + v] = raw[u * m + v] - raw[u * m + last] - raw[v * m + last] + ll;
            }
        }
        SemidefiniteCholesky chol = new SemidefiniteCholesky(normal, p, 1e-10);
        if (chol.rank() < p) {
            return null;
        }
        // φ = L·x + constant, so φ_i's error is g_i·Σ_p u_p with g_i = G⁻¹ l_i (l_i row i of L): the
        // variance needs only each pair's projections t_p,i = g_i·u_p, summed and squared by class.
        double[][] g = new double[m][];
        double[] l = new double[p];
        for (int i = 0; i < m; i++) {
            if (i % 16 == 0) {
                cancellation.throwIfCancelled();
            }
            Arrays.fill(l, i < m - 1 ? 0 : -1);
            if (i < m - 1) {
                l[i] = 1;
            }
            g[i] = chol.backward(chol.forward(l));
        }
        int classes = m / 2 + 1;
        double[][] classSum = new double[classes][m];
        double[][] classSquares = new double[classes][m];
        int[] classPairs = new int[classes];
        double[][] b = new double[2][p];
        double[] e = new double[2];
        double[] score = new double[p];
        int j = sampled;
        while (j < n) {
            if (j % LeverageDesign.CANCELLATION_STRIDE < 2) {
                cancellation.throwIfCancelled();
            }
            boolean[] z = masks.get(j);
            // a coalition without its complement next to it is a unit of its own
            int members = j + 1 < n && LeverageDesign.complementary(z, masks.get(j + 1)) ? 2 : 1;
            for (int t = 0; t < members; t++) {
                double root = Math.sqrt(weights[j + t]);
                double r = columns(masks.get(j + t), b[t], y[j + t], delta);
                for (int u = 0; u < p; u++) {
                    r -= b[t][u] * x[u];
                    b[t][u] *= root;
                }
                e[t] = root * r;
            }
            leaveOut(chol, b, e, members);
            Arrays.fill(score, 0);
            for (int t = 0; t < members; t++) {
                for (int u = 0; u < p; u++) {
                    score[u] += b[t][u] * e[t];
                }
            }
            j += members;
            int size = 0;
            for (boolean present : z) {
                size += present ? 1 : 0;
            }
            int h = Math.min(size, m - size);
            classPairs[h]++;
            for (int i = 0; i < m; i++) {
                double t = dot(g[i], score);
                classSum[h][i] += t;
                classSquares[h][i] += t * t;
            }
        }
        double[] variance = new double[m];
        boolean any = false;
        for (int h = 1; h < classes; h++) {
            int nh = classPairs[h];
            if (nh < 2) {
                continue;
            }
            double population = 2 * h == m ? binomial(m, h) / 2 : binomial(m, h);
            double fpc = Math.max(0, 1 - nh / population);
            double factor = fpc * nh / (nh - 1.0);
            for (int i = 0; i < m; i++) {
                variance[i] += factor * (classSquares[h][i] - classSum[h][i] * classSum[h][i] / nh);
            }
            any = true;
        }
        if (!any) {
            return null;
        }
        double[] se = new double[m];
        for (int i = 0; i < m; i++) {
            se[i] = Math.sqrt(Math.max(variance[i], 0));
        }
        return se;
    }

    /**
     * Replaces a unit's weighted residuals e by (I − H)^−½ e, H = B G⁻¹ Bᵀ its leverage block (B
     * its weighted columns): a fitted residual's variance is (I − H) times the error's, so this
     * undoes the shrinkage a unit's own weight in the fit causes (HC2; the full (I − H)⁻¹ of a
     * delete-one-pair jackknife made the standard errors 1.2–1.6 times the actual error on the
     * bench's games at 4·M and 8·M, this 0.85–1.3). Plain residuals understate the error on designs
     * of few pairs per player (by a third at 4·M coalitions on a test game).
     */
    private static void leaveOut(SemidefiniteCholesky chol, double[][] b, double[] e, int members) {
        // b G⁻¹ b'ᵀ = c·c' with c = L⁻¹ b, G = L Lᵀ
        double[][] c = new double[members][];
        for (int t = 0; t < members; t++) {
            c[t] = chol.forward(b[t]);
        }
        double k00 = 1 - dot(c[0], c[0]);
        if (members == 1) {
            e[0] = k00 > 1e-12 ? e[0] / Math.sqrt(k00) : e[0];
            return;
        }
        double k01 = -dot(c[0], c[1]);
        double k11 = 1 - dot(c[1], c[1]);
        double det = k00 * k11 - k01 * k01;
        if (!(det > 1e-12)) {
            return;
        }
        // K^½ = (K + √det·I)/√(tr K + 2√det) for a 2×2 positive definite K, whose determinant is √det
        double root = Math.sqrt(det);
        double scale = Math.sqrt(k00 + k11 + 2 * root) * root;
        double e0 = ((k11 + root) * e[0] - k01 * e[1]) / scale;
        double e1 = ((k00 + root) * e[1] - k01 * e[0]) / scale;
        e[0] = e0;
        e[1] = e1;
    }

    private static double dot(double[] u, double[] v) {
        double s = 0;
        for (int i = 0; i < u.length; i++) {
            s += u[i] * v[i];
        }
        return s;
    }

    /** Fills a with z's reduced columns; returns its target y − Δ·z_last. */
    private static double columns(boolean[] z, double[] a, double y, double delta) {
        int m = z.length;
        double last = z[m - 1] ? 1 : 0;
        for (int i = 0; i < m - 1; i++) {
            a[i] = (z[i] ? 1 : 0) - last;
        }
        return y - delta * last;
    }


    private static double binomial(int n, int k) {
        double r = 1;
        for (int i = 1; i <= k; i++) {
            r = r * (n - k + i) / i;
        }
        return r;
    }
}
