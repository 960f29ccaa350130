package dev.prism.explain.shap;

import dev.prism.linalg.Cancellation;
import dev.prism.linalg.SemidefiniteCholesky;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
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
 * structure keeps (nearly) plain KernelSHAP, and at {@link #MAX_TRIPLES}. Candidates are the
 * triples among the {@link #MAX_CANDIDATE_FEATURES} features with the largest plain estimates,
 * pre-screened to the {@link #POOL} best. A large design is searched and fitted on
 * {@link #MAX_SCREENED} of its coalitions, spread over it (the estimate of what the triples leave
 * takes all). The search and the fit work on weighted sums (the linear columns', the pool's and
 * their cross products), so the passes over the coalitions are the screening's one per candidate
 * pair and two that build the sums.
 */
final class TripleAdjustment {
    /** Designs with more coalitions than this are left unadjusted. */
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
     * @param cancellation looked at once per pass over the coalitions
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
        Sums sums = new Sums(masks, weights, y, plain.length, cancellation);
        int[][] candidates = pool(masks, weights, sums.linearResidual(), candidateFeatures(plain), cancellation);
        sums.addCandidates(candidates, cancellation);
        int[] picked = select(sums, masks.size(), plain.length, cancellation);
        if (picked.length == 0) {
            return new TripleAdjustment(new int[0][], new double[0]);
        }
        int[][] triples = new int[picked.length][];
        for (int t = 0; t < picked.length; t++) {
            triples[t] = candidates[picked[t]];
        }
        return new TripleAdjustment(triples, jointFit(sums, delta, plain.length, picked));
    }

    /**
     * The weighted sums the search and the fit need, one pass over the coalitions for each group:
     * over x = (1, z_1 … z_m) and y, then with the candidates' columns h_T = χ_T + 1 ∈ {0, 2}.
     * Working with sums instead of n-long columns makes the search's cost independent of n.
     */
    private static final class Sums {
        final int q;
        final int n;
        final List<boolean[]> masks;
        final double[] weights;
        final double[] y;
        /** Each coalition's present players. */
        final int[][] present;
        /** Σ w x xᵀ (row-major q × q), Σ w x y, Σ w y². */
        final double[] xx;
        final double[] xy;
        final double yy;
        final SemidefiniteCholesky linear;
        /** Candidates' sums: Σ w x h_Tᵀ (q × c), Σ w h hᵀ (c × c), Σ w h y. */
        double[] xh;
        double[] hh;
        double[] hy;
        int c;

        Sums(List<boolean[]> masks, double[] weights, double[] y, int m, Cancellation cancellation) {
            this.q = m + 1;
            this.n = masks.size();
            this.masks = masks;
            this.weights = weights;
            this.y = y;
            this.present = new int[n][];
            this.xx = new double[q * q];
            this.xy = new double[q];
            double sumYy = 0;
            int[] scratch = new int[m];
            for (int j = 0; j < n; j++) {
                if (j % LeverageDesign.CANCELLATION_STRIDE == 0) {
                    cancellation.throwIfCancelled();
                }
                boolean[] z = masks.get(j);
                int size = 0;
                for (int i = 0; i < m; i++) {
                    if (z[i]) {
                        scratch[size++] = i + 1;
                    }
                }
                int[] in = Arrays.copyOf(scratch, size);
                present[j] = in;
                double w = weights[j];
                double wy = w * y[j];
                xx[0] += w;
                xy[0] += wy;
                sumYy += wy * y[j];
                for (int a = 0; a < size; a++) {
                    int row = in[a] * q;
                    xx[in[a]] += w;
                    xy[in[a]] += wy;
                    for (int b = a; b < size; b++) {
                        xx[row + in[b]] += w;
                    }
                }
            }
            this.yy = sumYy;
            // Exact dependencies (a player always present, say) are dropped; genuine columns of a
            // binary design keep far more than this share of their length.
            this.linear = new SemidefiniteCholesky(xx, q, 1e-9);
        }

        /** w·(y − x·b), y's residual after the weighted least-squares fit on x, times w. */
        double[] linearResidual() {
            double[] b = linear.backward(linear.forward(xy));
            double[] r = new double[n];
            for (int j = 0; j < n; j++) {
                double fit = b[0];
                for (int i : present[j]) {
                    fit += b[i];
                }
                r[j] = weights[j] * (y[j] - fit);
            }
            return r;
        }

        void addCandidates(int[][] candidates, Cancellation cancellation) {
            c = candidates.length;
            xh = new double[q * c];
            hh = new double[c * c];
            hy = new double[c];
            // The candidates' features as bits (at most MAX_CANDIDATE_FEATURES of them): χ_T = 1
            // when an even number of T's members is absent.
            int[] features = Arrays.stream(candidates).flatMapToInt(Arrays::stream).distinct().sorted().toArray();
            int[] bitOf = new int[q];
            for (int b = 0; b < features.length; b++) {
                bitOf[features[b]] = 1 << b;
            }
            int[] members = new int[c];
            for (int t = 0; t < c; t++) {
                for (int i : candidates[t]) {
                    members[t] |= bitOf[i];
                }
            }
            double[] h = new double[c];
            int[] on = new int[c];
            for (int j = 0; j < n; j++) {
                if (j % LeverageDesign.CANCELLATION_STRIDE == 0) {
                    cancellation.throwIfCancelled();
                }
                boolean[] z = masks.get(j);
                int absent = 0;
                for (int b = 0; b < features.length; b++) {
                    if (!z[features[b]]) {
                        absent |= 1 << b;
                    }
                }
                double w = weights[j];
                int count = 0;
                for (int t = 0; t < c; t++) {
                    if ((Integer.bitCount(absent & members[t]) & 1) == 0) {
                        h[t] = 2 * w;
                        on[count++] = t;
                    } else {
                        h[t] = 0;
                    }
                }
                // h_T ∈ {0, 2}: each sum gains 2·(the other factor) where h_T = 2.
                accumulate(xh, 0, h);
                for (int i : present[j]) {
                    accumulate(xh, i * c, h);
                }
                for (int a = 0; a < count; a++) {
                    int t = on[a];
                    hy[t] += h[t] * y[j];
                    int row = t * c;
                    for (int b = a; b < count; b++) {
                        hh[row + on[b]] += 2 * h[on[b]];
                    }
                }
            }
            for (int t = 0; t < c; t++) {
                for (int u = 0; u < t; u++) {
                    hh[t * c + u] = hh[u * c + t];
                }
            }
        }

        private static void accumulate(double[] into, int offset, double[] h) {
            for (int t = 0; t < h.length; t++) {
                into[offset + t] += h[t];
            }
        }
    }

    /**
     * The candidates the search keeps, in the order it chose them, by orthogonal matching pursuit
     * in the candidates' span after the linear columns: P = R⁻ᵀ·Σ w x hᵀ are the candidates'
     * coordinates on the orthonormalised linear columns, so G = Σ w h hᵀ − PᵀP is their Gram matrix
     * projected off them, and r's correlations are Σ w h y − Pᵀa, a being y's coordinates.
     */
    private static int[] select(Sums s, int n, int m, Cancellation cancellation) {
        int q = s.q;
        int c = s.c;
        double[][] p = new double[c][];
        double[] column = new double[q];
        for (int t = 0; t < c; t++) {
            for (int i = 0; i < q; i++) {
                column[i] = s.xh[i * c + t];
            }
            p[t] = s.linear.forward(column);
        }
        double[] ay = s.linear.forward(s.xy);
        double[][] gram = new double[c][c];
        double[] corr = new double[c];
        // A column whose part outside the current span is below this share of its length lies in
        // the span: its score would be rounding (as the Gram form subtracts, not projects).
        double[] negligible = new double[c];
        for (int t = 0; t < c; t++) {
            cancellation.throwIfCancelled();
            corr[t] = s.hy[t] - dot(p[t], ay);
            for (int u = 0; u <= t; u++) {
                double g = s.hh[t * c + u];
                if (u == t) {
                    negligible[t] = Math.max(TINY, 1e-9 * g);
                }
                g -= dot(p[t], p[u]);
                gram[t][u] = g;
                gram[u][t] = g;
            }
        }
        double rss = s.yy - dot(ay, ay);
        // Below this the residual is rounding of the sums: nothing left to explain.
        double floor = 1e-12 * s.yy;
        int params = m;
        double best = gcv(rss, params, n);
        List<Integer> chosen = new ArrayList<>();
        boolean[] used = new boolean[c];
        // After k picks, v[t] holds candidate t's coordinates on the k orthonormalised picks, so its
        // residual norm is gram[t][t] − |v[t]|² and its residual correlation corr[t] − v[t]·a, a
        // being r's coordinates.
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
            chosen.add(pick);
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
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The c of min Σ w (Σβz + Σc h − y)² with Σβ + 2Σc = Δ, from the sums: β_last eliminated, the
     * reduced columns are z_i − z_last and h_T − 2z_last, whose normal equations are combinations
     * of the raw ones.
     */
    private static double[] jointFit(Sums s, double delta, int m, int[] picked) {
        int k = picked.length;
        int p = m - 1 + k;
        int q = s.q;
        int c = s.c;
        int last = m;
        // Raw column r of the reduced column i (its x index, or −1 − candidate), and its z_last coefficient.
        int[] raw = new int[p];
        double[] lastCoefficient = new double[p];
        for (int i = 0; i < m - 1; i++) {
            raw[i] = i + 1;
            lastCoefficient[i] = 1;
        }
        for (int t = 0; t < k; t++) {
            raw[m - 1 + t] = -1 - picked[t];
            lastCoefficient[m - 1 + t] = 2;
        }
        DMatrixRMaj normal = new DMatrixRMaj(p, p);
        DMatrixRMaj rhs = new DMatrixRMaj(p, 1);
        double ll = s.xx[last * q + last];
        for (int a = 0; a < p; a++) {
            double aLast = rawSum(s, raw[a], last);
            double aY = raw[a] >= 0 ? s.xy[raw[a]] : s.hy[-1 - raw[a]];
            // Σ w a_col (y − z_last·Δ)
            rhs.data[a] = aY - lastCoefficient[a] * s.xy[last] - delta * (aLast - lastCoefficient[a] * ll);
            for (int b = 0; b <= a; b++) {
                double g = rawSum(s, raw[a], raw[b]) - lastCoefficient[b] * aLast
                        - lastCoefficient[a] * rawSum(s, raw[b], last) + lastCoefficient[a] * lastCoefficient[b] * ll;
                normal.data[a * p + b] = g;
                normal.data[b * p + a] = g;
            }
        }
        DMatrixRMaj x = new DMatrixRMaj(p, 1);
        LinearSolverDense<DMatrixRMaj> chol = LinearSolverFactory_DDRM.chol(p);
        if (!(chol.setA(normal.copy()) && chol.quality() > 1e-12)) {
            chol = LinearSolverFactory_DDRM.pseudoInverse(true);
            chol.setA(normal.copy());
        }
        chol.solve(rhs, x);
        double[] coefficients = new double[k];
        for (int t = 0; t < k; t++) {
            coefficients[t] = x.get(m - 1 + t, 0);
        }
        return coefficients;
    }

    /** Σ w u v of two raw columns, each an x index (≥ 0) or −1 − a candidate. */
    private static double rawSum(Sums s, int u, int v) {
        if (u >= 0 && v >= 0) {
            return s.xx[Math.min(u, v) * s.q + Math.max(u, v)];
        }
        if (u >= 0) {
            return s.xh[u * s.c + (-1 - v)];
        }
        if (v >= 0) {
            return s.xh[v * s.c + (-1 - u)];
        }
        return s.hh[(-1 - u) * s.c + (-1 - v)];
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
     * Every triple over the features, or the POOL that explain most of the residual r after the
     * linear columns. Screening ranks a triple by (h·r)² / |h|² in the weighted inner product
     * without projecting h off the linear columns (r is orthogonal to them already, so the numerator
     * is exact): with ±1 signs s and u = w·r, h·r = Σ_j u_j s_ja s_jb s_jc (Σu = 0 by the intercept)
     * and |h|² = 2Σw + 2Σ_j w_j s_ja s_jb s_jc, so one pass per pair serves every third feature.
     */
    private static int[][] pool(List<boolean[]> masks, double[] weights, double[] u, int[] f,
                                Cancellation cancellation) {
        int n = weights.length;
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
        for (double w : weights) {
            sumW += w;
        }
        double[] score = new double[total];
        double[] pu = new double[n];
        double[] pw = new double[n];
        int t = 0;
        for (int a = 0; a < l; a++) {
            for (int b = a + 1; b < l; b++) {
                cancellation.throwIfCancelled();
                for (int j = 0; j < n; j++) {
                    double pair = sign[a][j] * sign[b][j];
                    pu[j] = pair * u[j];
                    pw[j] = pair * weights[j];
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
        Arrays.sort(order, (i, k) -> score[i] != score[k] ? Double.compare(score[k], score[i]) : Integer.compare(i, k));
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
}
