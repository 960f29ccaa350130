package dev.prism.explain.shap;

import dev.prism.linalg.Cancellation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * A regression adjustment for paired KernelSHAP by third-order interactions. Paired sampling makes
 * KernelSHAP exact for games whose interactions have order ≤ 2, so what is left of its error comes
 * from the odd part of higher orders. This finds a few triples T whose parity terms
 * χ_T(z) = Π_{i∈T}(2z_i − 1) explain that remainder, and fits
 * y(z) ≈ Σ_i β_i z_i + Σ_T c_T (χ_T(z) + 1) with the design's kernel weights and the efficiency
 * constraint Σβ + 2Σc = Δ. The term c_T(χ_T + 1) is a game whose Shapley values are known exactly
 * (2c_T/3 to each member of T), so the estimate is those plus KernelSHAP on y minus the terms,
 * which is the joint fit's β.
 *
 * <p>Triples are chosen by orthogonal matching pursuit: each step adds the candidate that most
 * reduces the weighted residual after the current columns, and the search stops when generalised
 * cross-validation, RSS/(1 − p/n)², stops falling, so a smooth game with little third-order
 * structure keeps (nearly) plain KernelSHAP, and at {@link #MAX_TRIPLES}. Candidates are the triples among the
 * {@link #MAX_CANDIDATE_FEATURES} features with the largest plain estimates, pre-screened to the
 * {@link #POOL} best. A large design is searched and fitted on {@link #MAX_SCREENED} of its
 * coalitions, spread over it (the estimate of what the triples leave takes all). The search itself runs on the pool's Gram matrix rather than on n-long
 * columns: the passes over the coalitions are the screening's C(L,3) and the pool's pool²/2 + pool·(M+1)
 * dot products, O(n·pool) memory.
 */
final class TripleAdjustment {
    /** Designs with more coalitions than this are left unadjusted (memory: n × pool doubles). */
    static final int MAX_COALITIONS = 8_192;
    static final int MAX_CANDIDATE_FEATURES = 24;
    static final int POOL = 64;
    /** Triples kept at most: the bench games never select more, and the joint fit grows with their square. */
    static final int MAX_TRIPLES = 16;
    /** Coalitions the search and the triples' fit look at, at most. */
    static final int MAX_SCREENED = 1024;
    /** How close to a multiple of another output's observations an output must be to reuse its fit. */
    static final double MULTIPLE_TOLERANCE = 1e-6;
    private static final double TINY = 1e-12;

    /** The selected triples (indices over the players) and their coefficients c_T. */
    final int[][] triples;
    final double[] coefficients;

    private TripleAdjustment(int[][] triples, double[] coefficients) {
        this.triples = triples;
        this.coefficients = coefficients;
    }

    /** True when the adjustment is worth its cost for this design. */
    static boolean applies(int m, int coalitions) {
        return m >= 3 && coalitions <= MAX_COALITIONS && coalitions > m + 1;
    }

    /** The surrogate's value c_T Σ(χ_T(z) + 1) at z. */
    double value(boolean[] z) {
        double g = 0;
        for (int t = 0; t < triples.length; t++) {
            g += coefficients[t] * (parity(z, triples[t]) + 1);
        }
        return g;
    }

    /** g(full) − g(empty) = 2Σc: the part of Δ the surrogate takes. */
    double total() {
        double s = 0;
        for (double c : coefficients) {
            s += 2 * c;
        }
        return s;
    }

    /** The surrogate's exact Shapley values over m players. */
    double[] shapley(int m) {
        double[] phi = new double[m];
        for (int t = 0; t < triples.length; t++) {
            for (int i : triples[t]) {
                phi[i] += 2 * coefficients[t] / 3;
            }
        }
        return phi;
    }

    boolean isEmpty() {
        return triples.length == 0;
    }

    /** The adjustment of a game {@code scale} times this one's: the same triples, scaled coefficients. */
    TripleAdjustment scaled(double scale) {
        double[] c = coefficients.clone();
        for (int t = 0; t < c.length; t++) {
            c[t] *= scale;
        }
        return new TripleAdjustment(triples, c);
    }

    /**
     * The s with b = s·a in every element, to within {@link #MULTIPLE_TOLERANCE} of b's size (a float
     * model's two class probabilities sum to 1 only to float rounding), or NaN when there
     * is none. For the observations and Δ of two outputs, a fit on a then serves b scaled: the
     * search is invariant to the scale of y and Δ, and the fit is linear in them.
     */
    static double multiple(double[] a, double[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int j = 0; j < a.length; j++) {
            ab += a[j] * b[j];
            aa += a[j] * a[j];
            bb += b[j] * b[j];
        }
        if (!(aa > 0)) {
            return Double.NaN;
        }
        double s = ab / aa;
        double scale = Math.sqrt(bb / a.length);
        for (int j = 0; j < a.length; j++) {
            if (Math.abs(b[j] - s * a[j]) > MULTIPLE_TOLERANCE * Math.max(scale, Double.MIN_NORMAL)) {
                return Double.NaN;
            }
        }
        return s;
    }

    /**
     * Selects triples and fits them.
     *
     * @param masks   the coalitions over m players
     * @param weights their kernel weights in the final estimate
     * @param y       v(z) − v(∅) for each coalition
     * @param delta   v(full) − v(∅)
     * @param plain   plain KernelSHAP estimate, which ranks the candidate features
     * @param cancellation looked at once per column built and per candidate pass, each of which costs
     *                     a pass over the coalitions
     */
    static TripleAdjustment fit(List<boolean[]> masks, double[] weights, double[] y, double delta, double[] plain,
                                Cancellation cancellation) {
        if (masks.size() > MAX_SCREENED) {
            // Every k-th coalition (the design's order mixes sizes and draws) for the search and the
            // triples' coefficients; KernelSHAP of what they leave still takes every coalition.
            int step = (masks.size() + MAX_SCREENED - 1) / MAX_SCREENED;
            List<boolean[]> some = new ArrayList<>();
            double[] someWeights = new double[(masks.size() + step - 1) / step];
            double[] someY = new double[someWeights.length];
            for (int j = 0, k = 0; j < masks.size(); j += step, k++) {
                some.add(masks.get(j));
                someWeights[k] = weights[j];
                someY[k] = y[j];
            }
            return fit(some, someWeights, someY, delta, plain, cancellation);
        }
        int[][] triples = select(masks, weights, y, plain, cancellation);
        if (triples.length == 0) {
            return new TripleAdjustment(triples, new double[0]);
        }
        return new TripleAdjustment(triples, jointFit(masks, weights, y, delta, plain.length, triples));
    }

    /** The triples the search keeps, in the order it chose them. */
    private static int[][] select(List<boolean[]> masks, double[] weights, double[] y, double[] plain,
                                  Cancellation cancellation) {
        int n = masks.size();
        int m = plain.length;
        double[] sw = new double[n];
        for (int j = 0; j < n; j++) {
            sw[j] = Math.sqrt(weights[j]);
        }
        // Orthonormal basis of the weighted linear columns; r is y's residual after them.
        // The intercept takes the even part's level, so screening sees the odd part that matters.
        List<double[]> basis = new ArrayList<>();
        orthonormalise(sw.clone(), basis);
        for (int i = 0; i < m; i++) {
            cancellation.throwIfCancelled();
            double[] col = new double[n];
            for (int j = 0; j < n; j++) {
                col[j] = masks.get(j)[i] ? sw[j] : 0;
            }
            orthonormalise(col, basis);
        }
        double[] r = new double[n];
        for (int j = 0; j < n; j++) {
            r[j] = y[j] * sw[j];
        }
        project(r, basis);

        int[][] candidates = pool(masks, sw, r, candidateFeatures(plain));
        int c = candidates.length;
        // The candidates' weighted columns, and in their span everything the search needs: their
        // Gram matrix projected off the linear columns, G − PᵀP with P = Qᵀ·cols, and their
        // correlations with r, which is orthogonal to Q already.
        double[][] cols = new double[c][];
        for (int t = 0; t < c; t++) {
            cancellation.throwIfCancelled();
            cols[t] = weightedColumn(masks, sw, candidates[t]);
        }
        double[][] p = new double[basis.size()][c];
        for (int q = 0; q < basis.size(); q++) {
            cancellation.throwIfCancelled();
            for (int t = 0; t < c; t++) {
                p[q][t] = dot(basis.get(q), cols[t]);
            }
        }
        double[][] gram = new double[c][c];
        double[] corr = new double[c];
        // A column whose part outside the current span is below this share of its length lies in
        // the span: its score would be rounding (as the Gram form subtracts, not projects).
        double[] negligible = new double[c];
        for (int t = 0; t < c; t++) {
            cancellation.throwIfCancelled();
            corr[t] = dot(cols[t], r);
            for (int u = 0; u <= t; u++) {
                double g = dot(cols[t], cols[u]);
                if (u == t) {
                    negligible[t] = Math.max(TINY, 1e-9 * g);
                }
                for (double[] pq : p) {
                    g -= pq[t] * pq[u];
                }
                gram[t][u] = g;
                gram[u][t] = g;
            }
        }
        double rss = dot(r, r);
        double scaleY = 0;
        for (int j = 0; j < n; j++) {
            scaleY += weights[j] * y[j] * y[j];
        }
        // below this the residual is rounding: nothing left to explain
        double floor = 1e-24 * scaleY;
        int params = m;
        double best = gcv(rss, params, n);
        List<int[]> chosen = new ArrayList<>();
        boolean[] used = new boolean[c];
        // Greedy orthogonal matching pursuit in the candidates' span: after k picks, v[t] holds
        // candidate t's coordinates on the k orthonormalised picks, so its residual norm is
        // gram[t][t] − |v[t]|² and its residual correlation corr[t] − v[t]·a, a being r's coordinates.
        double[][] v = new double[c][0];
        double[] a = new double[0];
        while (params + 1 < n && rss > floor && chosen.size() < MAX_TRIPLES) {
            cancellation.throwIfCancelled();
            int pick = -1;
            double top = 0;
            double pickNorm = 0;
            for (int t = 0; t < c; t++) {
                if (used[t]) {
                    continue;
                }
                double norm = gram[t][t] - dot(v[t], v[t]);
                if (norm < negligible[t]) {
                    continue;
                }
                double rho = corr[t] - dot(v[t], a);
                double score = rho * rho / norm;
                if (score > top) {
                    top = score;
                    pick = t;
                    pickNorm = norm;
                }
            }
            if (pick < 0) {
                break;
            }
            double score = gcv(rss - top, params + 1, n);
            if (!(score < best)) {
                break;
            }
            best = score;
            params++;
            rss -= top;
            used[pick] = true;
            chosen.add(candidates[pick]);
            // The pick, orthonormalised against the earlier picks, as a new coordinate for everyone.
            double length = Math.sqrt(pickNorm);
            double[] vp = v[pick];
            int k = a.length;
            a = Arrays.copyOf(a, k + 1);
            a[k] = (corr[pick] - dot(vp, Arrays.copyOf(a, k))) / length;
            for (int t = 0; t < c; t++) {
                if (!used[t]) {
                    double coordinate = (gram[t][pick] - dot(v[t], vp)) / length;
                    v[t] = Arrays.copyOf(v[t], k + 1);
                    v[t][k] = coordinate;
                }
            }
        }
        return chosen.toArray(new int[0][]);
    }

    /** The c of min Σ w (Σβz + Σc(χ+1) − y)² with Σβ + 2Σc = Δ, β_last eliminated. */
    private static double[] jointFit(List<boolean[]> masks, double[] weights, double[] y, double delta,
                                     int m, int[][] triples) {
        int k = triples.length;
        int p = m - 1 + k;
        int n = masks.size();
        // The weighted design √w·a and target √w·(y − z_last·Δ); the normal equations come from
        // one AᵀA product.
        DMatrixRMaj design = new DMatrixRMaj(n, p);
        DMatrixRMaj target = new DMatrixRMaj(n, 1);
        for (int j = 0; j < n; j++) {
            double sw = Math.sqrt(weights[j]);
            if (sw == 0) {
                continue;
            }
            boolean[] z = masks.get(j);
            double zl = z[m - 1] ? 1 : 0;
            int row = j * p;
            for (int i = 0; i < m - 1; i++) {
                design.data[row + i] = sw * ((z[i] ? 1 : 0) - zl);
            }
            for (int t = 0; t < k; t++) {
                design.data[row + m - 1 + t] = sw * (parity(z, triples[t]) + 1 - 2 * zl);
            }
            target.data[j] = sw * (y[j] - zl * delta);
        }
        DMatrixRMaj normal = new DMatrixRMaj(p, p);
        CommonOps_DDRM.multInner(design, normal);
        DMatrixRMaj rhs = new DMatrixRMaj(p, 1);
        CommonOps_DDRM.multTransA(design, target, rhs);
        DMatrixRMaj x = new DMatrixRMaj(p, 1);
        LinearSolverDense<DMatrixRMaj> chol = LinearSolverFactory_DDRM.chol(p);
        if (!(chol.setA(normal.copy()) && chol.quality() > 1e-12)) {
            chol = LinearSolverFactory_DDRM.pseudoInverse(true);
            chol.setA(normal.copy());
        }
        chol.solve(rhs, x);
        double[] c = new double[k];
        for (int t = 0; t < k; t++) {
            c[t] = x.get(m - 1 + t, 0);
        }
        return c;
    }

    /** The features with the largest |plain estimate|, at most MAX_CANDIDATE_FEATURES, ascending. */
    private static int[] candidateFeatures(double[] plain) {
        int m = plain.length;
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (u, v) -> Double.compare(Math.abs(plain[v]), Math.abs(plain[u])));
        int l = Math.min(m, MAX_CANDIDATE_FEATURES);
        int[] f = new int[l];
        for (int i = 0; i < l; i++) {
            f[i] = order[i];
        }
        Arrays.sort(f);
        return f;
    }

    /**
     * Every triple over the features, or the POOL that explain most of r. Screening ranks a triple
     * by (col·r)² / |col|² without projecting col off the linear columns (r is orthogonal to them
     * already, so the numerator is exact): with ±1 signs s, col·r = Σ_j u_j s_ja s_jb s_jc and
     * |col|² = 2Σω + 2Σ_j ω_j s_ja s_jb s_jc, so one pass per pair serves every third feature.
     */
    private static int[][] pool(List<boolean[]> masks, double[] sw, double[] r, int[] f) {
        int n = sw.length;
        int l = f.length;
        int total = l * (l - 1) * (l - 2) / 6;
        int[][] all = new int[total][];
        if (total <= POOL) {
            int t = 0;
            for (int a = 0; a < l; a++) {
                for (int b = a + 1; b < l; b++) {
                    for (int c = b + 1; c < l; c++) {
                        all[t++] = new int[] {f[a], f[b], f[c]};
                    }
                }
            }
            return all;
        }
        double[][] sign = new double[l][n];
        for (int a = 0; a < l; a++) {
            for (int j = 0; j < n; j++) {
                sign[a][j] = masks.get(j)[f[a]] ? 1 : -1;
            }
        }
        double sumW = 0;
        for (int j = 0; j < n; j++) {
            sumW += sw[j] * sw[j];
        }
        double[] score = new double[total];
        double[] pu = new double[n];
        double[] pw = new double[n];
        int t = 0;
        for (int a = 0; a < l; a++) {
            for (int b = a + 1; b < l; b++) {
                for (int j = 0; j < n; j++) {
                    double pair = sign[a][j] * sign[b][j];
                    pu[j] = pair * sw[j] * r[j];
                    pw[j] = pair * sw[j] * sw[j];
                }
                for (int c = b + 1; c < l; c++) {
                    double[] sc = sign[c];
                    // two running sums each, which lets the loop pipeline
                    double num0 = 0;
                    double num1 = 0;
                    double odd0 = 0;
                    double odd1 = 0;
                    int j = 0;
                    for (; j + 1 < n; j += 2) {
                        num0 += pu[j] * sc[j];
                        odd0 += pw[j] * sc[j];
                        num1 += pu[j + 1] * sc[j + 1];
                        odd1 += pw[j + 1] * sc[j + 1];
                    }
                    if (j < n) {
                        num0 += pu[j] * sc[j];
                        odd0 += pw[j] * sc[j];
                    }
                    double num = num0 + num1;
                    double odd = odd0 + odd1;
                    double norm = 2 * sumW + 2 * odd;
                    all[t] = new int[] {f[a], f[b], f[c]};
                    score[t] = norm < TINY ? 0 : num * num / norm;
                    t++;
                }
            }
        }
        Integer[] order = new Integer[total];
        for (int i = 0; i < total; i++) {
            order[i] = i;
        }
        // ties broken by index, so the pool is deterministic
        Arrays.sort(order, (u, v) -> score[u] != score[v] ? Double.compare(score[v], score[u]) : Integer.compare(u, v));
        int[][] out = new int[POOL][];
        for (int i = 0; i < POOL; i++) {
            out[i] = all[order[i]];
        }
        return out;
    }

    private static double gcv(double rss, int p, int n) {
        double d = 1 - (double) p / n;
        return d <= 0 ? Double.POSITIVE_INFINITY : Math.max(rss, 0) / (d * d);
    }

    private static double parity(boolean[] z, int[] t) {
        double s = 1;
        for (int i : t) {
            if (!z[i]) {
                s = -s;
            }
        }
        return s;
    }

    private static double[] weightedColumn(List<boolean[]> masks, double[] sw, int[] t) {
        double[] col = new double[sw.length];
        for (int j = 0; j < col.length; j++) {
            col[j] = (parity(masks.get(j), t) + 1) * sw[j];
        }
        return col;
    }

    /** Removes v's components along the (orthonormal) basis, twice for stability. */
    private static void project(double[] v, List<double[]> basis) {
        project(v, basis, 2);
    }

    private static void project(double[] v, List<double[]> basis, int passes) {
        for (int pass = 0; pass < passes; pass++) {
            for (double[] q : basis) {
                double a = dot(q, v);
                for (int j = 0; j < v.length; j++) {
                    v[j] -= a * q[j];
                }
            }
        }
    }

    private static void orthonormalise(double[] col, List<double[]> basis) {
        double before = Math.sqrt(dot(col, col));
        project(col, basis);
        double after = Math.sqrt(dot(col, col));
        if (after > 1e-9 * Math.max(before, 1e-300) && after > 0) {
            scale(col, 1 / after);
            basis.add(col);
        }
    }

    /** a·b with four running sums, which lets the loop pipeline (the order of the sum is fixed). */
    private static double dot(double[] a, double[] b) {
        int n = a.length;
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 3 < n; j += 4) {
            s0 += a[j] * b[j];
            s1 += a[j + 1] * b[j + 1];
            s2 += a[j + 2] * b[j + 2];
            s3 += a[j + 3] * b[j + 3];
        }
        for (; j < n; j++) {
            s0 += a[j] * b[j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private static void scale(double[] a, double s) {
        for (int j = 0; j < a.length; j++) {
            a[j] *= s;
        }
    }
}
