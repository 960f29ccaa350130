package dev.prism.explain.shap;

import dev.prism.linalg.Cancellation;
import dev.prism.linalg.SemidefiniteCholesky;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * A regression adjustment for paired KernelSHAP by odd interaction terms. Paired sampling makes
 * KernelSHAP exact for games whose interactions have order ≤ 2, so what is left of its error comes
 * from the odd part of higher orders. This finds a few odd sets T (three players or more) whose
 * parity terms χ_T(z) = Π_{i∈T}(2z_i − 1) explain that remainder, and fits
 * y(z) ≈ Σ_i β_i z_i + Σ_T c_T (χ_T(z) + 1) with the design's kernel weights and the efficiency
 * constraint Σβ + 2Σc = Δ. The term c_T(χ_T + 1) is a game whose Shapley values are known exactly
 * (2c_T/|T| to each member of T), so the estimate is those plus KernelSHAP on y minus the terms,
 * which is the joint fit's β.
 *
 * <p>Candidates are the triples among the {@link #MAX_CANDIDATE_FEATURES} features with the
 * largest plain estimates, pre-screened to the {@link #POOL} best. From
 * {@link #PROXY_COALITIONS_PER_FEATURE}·M coalitions on, the largest odd terms of a {@link BoostedTreeProxy}
 * of the residual join them ({@link #PROXY_TERMS}, of any order: tree ensembles and deep networks
 * have odd structure of order five and more that triples miss; on the bench's forest the proxy's
 * terms cut the error at 32·M and 64·M coalitions by 3 to 5 times), and the triples come from the
 * {@link #PROXIED_TRIPLE_FEATURES} largest features.
 *
 * <p>Terms are chosen by orthogonal matching pursuit: each step adds the candidate that most
 * reduces the weighted residual after the current columns. On a budget of fewer than
 * {@link #COUNTED_FROM}·M coalitions (∅ and the full one counted) a term enters only if it passes
 * an entry test that knows it is the best of many candidates (at most {@link #MAX_TESTED_TERMS}),
 * so a game with little odd structure, or a budget too small to find it, keeps plain KernelSHAP.
 * From there on the search takes one term per {@link #COALITIONS_PER_TERM} coalitions, at most
 * {@link #MAX_TERMS}: a stopping rule judges the fit of v, and stops earlier than the error of φ
 * would (on the bench games, from 16·M coalitions on, the count cut the error by 10–40%). The
 * screening and the search look at {@link #screenedLimit} coalitions at most, complementary pairs
 * kept together; the selected terms are fitted on every coalition. Both work on weighted sums (the
 * linear columns', the candidates' and their cross products), so beside the screening's pass per
 * candidate pair they cost a pass over the coalitions each.
 *
 * <p>With the design's draw groups, the fit also gives the delete-a-group jackknife's estimates:
 * the joint fit without each group, the terms held fixed, whose spread counts the error of the
 * terms' coefficients as well as the rest's.
 */
final class OddTermAdjustment {
    /**
     * Designs with more coalitions than this are left unadjusted: beside the screened share, a fit
     * lays out every coalition as bits and passes over them.
     */
    static final int MAX_COALITIONS = 32_768;
    /**
     * Games with more players than this are left unadjusted: the jackknife holds (M+1)² sums for
     * each draw group: a fit holds about 5 MB at this bound (2,048 coalitions).
     */
    static final int MAX_FEATURES = 128;
    static final int MAX_CANDIDATE_FEATURES = 24;
    static final int POOL = 64;
    /** Terms kept at most where the entry test stops the search. */
    static final int MAX_TESTED_TERMS = 16;
    /**
     * The entry test's α: about the chance that a game with no odd structure the candidates can
     * fit still gets a term. At 4·M (10 seeds × 8 instances) GCV, blind to the choice among hundreds
     * of candidates, cost mlp_m16 and mlp_m20 19–24% of error over plain KernelSHAP; α = 0.2 is
     * within 8% of plain on every bench model and 6% below it on mlp_m8 and gbt_m48 (α = 1 gained
     * mlp_m8 12% but cost mlp_m20 17%; α = 0.05 is plain but for gbt_m48).
     */
    static final double FALSE_ENTRY = 0.2;
    /** Where the terms are counted, one per this many coalitions. */
    static final int COALITIONS_PER_TERM = 12;
    /**
     * From a budget of this many coalitions per feature on, the terms are counted. At 6·M and 10·M
     * the count did better than stopping by GCV on five of the bench's six games (by 2–34%; mlp_m16
     * lost 7% at 6·M, 1% less at 10·M), at 8·M on all six but one that tied.
     */
    static final int COUNTED_FROM = 6;
    /** Terms kept at most: the joint fit grows with their square. */
    static final int MAX_TERMS = 32;
    /** Candidates the tree proxy adds to the screened triples. */
    static final int PROXY_TERMS = 64;
    /**
     * From this many coalitions per feature on, the tree proxy's terms join the candidates; with
     * fewer its trees fit noise as much as structure (at 16·M the bench's MLPs lost 5–12%).
     */
    static final int PROXY_COALITIONS_PER_FEATURE = 24;
    /** Features the screened triples are drawn from beside the proxy's candidates. */
    static final int PROXIED_TRIPLE_FEATURES = 16;
    /** Coalitions the screening looks at, at most, for games of up to 32 players ({@link #screenedLimit}). */
    static final int MAX_SCREENED = 1024;
    /**
     * Coalitions per player the screening may look at where that is more than {@link #MAX_SCREENED}.
     * A wide game's search fits more linear columns and has more candidates than a narrow one's: on
     * the bench's 48-feature boosted trees at 32·M, a screening of every coalition (1,536) rather than
     * about every other pair cut the error by 12% (10 seeds × 8 instances), at 64·M by 3%.
     */
    static final int SCREENED_PER_FEATURE = 32;
    /** How close to a multiple of another output's observations an output must be to reuse its fit. */
    static final double MULTIPLE_TOLERANCE = 1e-6;
    private static final double TINY = 1e-12;

    /** The selected odd sets (indices over the players) and their coefficients c_T. */
    final int[][] terms;
    final double[] coefficients;
    /** The joint fit's β over the players: KernelSHAP of the game less the terms. */
    final double[] rest;
    /**
     * The delete-a-group jackknife's estimates, [group][player]; null when not asked for, or when
     * without some group the coalitions left no longer determine every coefficient.
     */
    final double[][] jackknife;

    private OddTermAdjustment(int[][] terms, double[] coefficients, double[] rest, double[][] jackknife) {
        this.terms = terms;
        this.coefficients = coefficients;
        this.rest = rest;
        this.jackknife = jackknife;
    }

    /**
     * A design's draw groups, for the jackknife: per coalition the parts it is in (0 the
     * enumerated part, 1 + g draw group g) and its weight in each, each group's draws, and the
     * weight all draws together carry beside the enumerated part.
     */
    record DrawGroups(int[][] parts, double[][] partWeights, double[] groupCounts, double sampledMass) {
    }

    /** True when the adjustment is worth its cost for this design. */
    static boolean applies(int m, int coalitions) {
        return m >= 3 && m <= MAX_FEATURES && coalitions <= MAX_COALITIONS && coalitions > m + 1;
    }

    /** A bound on the memory one fit (with its jackknife) holds for a game of at most m players and n coalitions. */
    static long workingBytes(int maxPlayers, int n) {
        int m = Math.min(maxPlayers, MAX_FEATURES);
        if (m < 3 || n > MAX_COALITIONS) {
            return 0;
        }
        long q = m + 1L;
        long screened = Math.min(n, screenedLimit(m));
        long features = Math.min(m, MAX_CANDIDATE_FEATURES);
        long triples = features * (features - 1) * (features - 2) / 6;
        long candidates = POOL + PROXY_TERMS;
        long doubles = q * q // the linear sums
                + (features + 3) * screened + 2L * n // the screening's signs and sums, the residual, weights
                + 2 * (candidates * q + candidates * candidates) // the candidates' sums, projections and Gram
                + candidates * MAX_TERMS // their coordinates on the picks
                + (CoalitionDesign.DEFAULT_GROUPS + 2L) * (q * q + MAX_TERMS * q + MAX_TERMS * MAX_TERMS)
                + 3 * (q + MAX_TERMS) * (q + MAX_TERMS) // the joint fit's normal equations
                + (CoalitionDesign.DEFAULT_GROUPS + 1L) * m; // the jackknife's estimates
        // the screened coalitions' present players, the parts' lists, the screening's scored triples,
        // and the odd part's index of the screened coalitions (a bit set and a map entry each)
        return doubles * Double.BYTES + screened * (2L * m + 16) + n * 24L + triples * 48
                + screened * (m / 8 + 128L)
                + BoostedTreeProxy.workingBytes((int) screened, (int) features)
                + CoalitionBits.workingBytes((int) screened, m, (int) candidates)
                + CoalitionBits.workingBytes(n, m, MAX_TERMS);
    }

    /** The surrogate's exact Shapley values over m players. */
    double[] shapley(int m) {
        double[] phi = new double[m];
        for (int t = 0; t < terms.length; t++) {
            for (int i : terms[t]) {
                phi[i] += 2 * coefficients[t] / terms[t].length;
            }
        }
        return phi;
    }

    boolean isEmpty() {
        return terms.length == 0;
    }

    /** The adjusted estimate over the players: β plus the terms' exact values. */
    double[] estimate() {
        double[] phi = shapley(rest.length);
        for (int i = 0; i < phi.length; i++) {
            phi[i] += rest[i];
        }
        return phi;
    }

    /** The adjustment of a game {@code scale} times this one's: the same terms, scaled fit. */
    OddTermAdjustment scaled(double scale) {
        if (isEmpty()) {
            return this;
        }
        double[] c = coefficients.clone();
        for (int t = 0; t < c.length; t++) {
            c[t] *= scale;
        }
        return new OddTermAdjustment(terms, c, scaled(rest, scale),
                jackknife == null ? null
                        : Arrays.stream(jackknife).map(e -> scaled(e, scale)).toArray(double[][]::new));
    }

    private static double[] scaled(double[] values, double scale) {
        double[] out = values.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= scale;
        }
        return out;
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
     * Selects odd terms and fits them jointly with KernelSHAP.
     *
     * @param masks   the coalitions over m players
     * @param weights their kernel weights in the final estimate
     * @param y       v(z) − v(∅) for each coalition
     * @param delta   v(full) − v(∅)
     * @param plain   plain KernelSHAP estimate, which ranks the candidate features
     * @param groups  the design's draw groups, for the jackknife's standard errors; null for none
     * @param cancellation looked at once per pass over the coalitions
     */
    static OddTermAdjustment fit(List<boolean[]> masks, double[] weights, double[] y, double delta, double[] plain,
                                DrawGroups groups, Cancellation cancellation) {
        int m = plain.length;
        int n = masks.size();
        // The screening ranks C(L,3) triples by a pass each, and the search works on the pool's
        // sums: on a large design, about one pair of coalitions in k does. A coalition and its
        // complement stay together: the search relies on the pairing to see only the odd part.
        int[] screened = screened(masks, screenedLimit(m));
        int ns = screened.length;
        List<boolean[]> some = new ArrayList<>(ns);
        double[] someWeights = new double[ns];
        double[] someY = new double[ns];
        for (int k = 0; k < ns; k++) {
            int j = screened[k];
            some.add(masks.get(j));
            someWeights[k] = weights[j];
            someY[k] = y[j];
        }
        int[][] somePresent = presentPlayers(some, cancellation);
        CoalitionBits bits = CoalitionBits.of(some, m, someWeights, cancellation);
        Sums linearSums = Sums.linear(bits, m, someWeights, someY);
        // Exact dependencies (a player always present, say) are dropped; genuine columns of a
        // binary design keep far more than this share of their length.
        SemidefiniteCholesky linear = new SemidefiniteCholesky(linearSums.xx, m + 1, 1e-9);
        double[] residual = linearResidual(linear, linearSums, somePresent, someWeights, someY);
        // On a large design a tree proxy of the residual adds odd terms of any order; fewer
        // triples are then screened, as the proxy's terms include the strong ones.
        boolean proxied = n >= PROXY_COALITIONS_PER_FEATURE * m;
        int[] tripleFeatures = candidateFeatures(plain, proxied ? PROXIED_TRIPLE_FEATURES : MAX_CANDIDATE_FEATURES);
        int[][] candidates = pool(some, residual, tripleFeatures, cancellation);
        if (proxied) {
            double[] r = new double[ns];
            for (int j = 0; j < ns; j++) {
                r[j] = someWeights[j] > 0 ? residual[j] / someWeights[j] : 0;
            }
            BoostedTreeProxy proxy = BoostedTreeProxy.fit(bits, some, someWeights, r,
                    candidateFeatures(plain, MAX_CANDIDATE_FEATURES), cancellation);
            candidates = union(candidates, proxy.largestOddTerms(PROXY_TERMS));
        }
        Sums sums = linearSums.withTerms(candidates.length);
        sums.setTerms(bits, candidates, someWeights, someY, cancellation);
        OddPart odd = OddPart.of(some, someWeights, residual);
        // The pool was screened from every triple: the search chose among all of them.
        int searched = Math.max(candidates.length, triples(tripleFeatures.length) + (proxied ? PROXY_TERMS : 0));
        int[] picked = select(sums, linear, odd, searched, n, m, cancellation);
        if (picked.length == 0) {
            return new OddTermAdjustment(new int[0][], new double[0], null, null);
        }
        int[][] terms = new int[picked.length][];
        for (int t = 0; t < picked.length; t++) {
            terms[t] = candidates[picked[t]];
        }
        // The terms' fit on every coalition, and on the groups' parts for the jackknife. With
        // every coalition screened, the linear sums are those already made.
        int k = terms.length;
        Sums all;
        if (ns == n) {
            all = linearSums.withTerms(k);
            all.setTerms(bits, terms, someWeights, someY, cancellation);
        } else {
            all = Sums.over(masks, m, weights, y, terms, cancellation);
        }
        Sums[] parts = groups == null ? null : parts(masks, m, groups, y, terms, cancellation);
        int[] each = new int[k];
        for (int t = 0; t < k; t++) {
            each[t] = t;
        }
        double[] x = jointFit(all, delta, m, each, false);
        double[][] jackknife = groups == null ? null : jackknife(terms, parts, groups, delta, m, cancellation);
        return new OddTermAdjustment(terms, Arrays.copyOfRange(x, m, x.length), Arrays.copyOf(x, m), jackknife);
    }

    /** The terms of a, then those of b not in a. */
    private static int[][] union(int[][] a, int[][] b) {
        Set<List<Integer>> seen = new HashSet<>();
        List<int[]> out = new ArrayList<>();
        for (int[][] sets : List.of(a, b)) {
            for (int[] t : sets) {
                if (seen.add(Arrays.stream(t).boxed().toList())) {
                    out.add(t);
                }
            }
        }
        return out.toArray(new int[0][]);
    }

    /** How many coalitions the screening and the search look at, at most, in a game of m players. */
    static int screenedLimit(int m) {
        return Math.max(MAX_SCREENED, SCREENED_PER_FEATURE * m);
    }

    /** The coalitions the screening and the search look at: all, or about one pair in k. */
    private static int[] screened(List<boolean[]> masks, int limit) {
        int n = masks.size();
        if (n <= limit) {
            int[] all = new int[n];
            for (int j = 0; j < n; j++) {
                all[j] = j;
            }
            return all;
        }
        int step = (n + limit - 1) / limit;
        return java.util.stream.IntStream.range(0, n)
                .filter(j -> Math.floorMod(pairKey(masks.get(j)), step) == 0).toArray();
    }

    /** Each part's sums over its coalitions (0 the enumerated part, 1 + g draw group g) under its weights. */
    private static Sums[] parts(List<boolean[]> masks, int m, DrawGroups groups, double[] y, int[][] terms,
                                Cancellation cancellation) {
        int count = groups.groupCounts().length + 1;
        int[] sizes = new int[count];
        for (int[] in : groups.parts()) {
            for (int p : in) {
                sizes[p]++;
            }
        }
        List<List<boolean[]>> partMasks = new ArrayList<>(count);
        double[][] partWeights = new double[count][];
        double[][] partY = new double[count][];
        for (int p = 0; p < count; p++) {
            partMasks.add(new ArrayList<>(sizes[p]));
            partWeights[p] = new double[sizes[p]];
            partY[p] = new double[sizes[p]];
        }
        for (int j = 0; j < masks.size(); j++) {
            int[] in = groups.parts()[j];
            for (int t = 0; t < in.length; t++) {
                int p = in[t];
                int at = partMasks.get(p).size();
                partMasks.get(p).add(masks.get(j));
                partWeights[p][at] = groups.partWeights()[j][t];
                partY[p][at] = y[j];
            }
        }
        Sums[] out = new Sums[count];
        for (int p = 0; p < count; p++) {
            out[p] = Sums.over(partMasks.get(p), m, partWeights[p], partY[p], terms, cancellation);
        }
        return out;
    }

    /**
     * The delete-a-group jackknife's estimates: for each draw group, the estimate with the terms
     * refitted without the group (the enumerated part and the other groups, rescaled to the
     * sampled mass), so that their spread counts the coefficients' error too. The choice of the
     * terms is held fixed. (A group alone is too small for the joint fit.)
     */
    private static double[][] jackknife(int[][] terms, Sums[] parts, DrawGroups groups, double delta, int m,
                                        Cancellation cancellation) {
        int k = terms.length;
        double[] counts = groups.groupCounts();
        Sums draws = new Sums(m + 1, k);
        double allCounts = 0;
        for (int g = 0; g < counts.length; g++) {
            draws.addScaled(parts[1 + g], 1);
            allCounts += counts[g];
        }
        int[] each = new int[k];
        for (int t = 0; t < k; t++) {
            each[t] = t;
        }
        double[][] out = new double[counts.length][];
        for (int g = 0; g < counts.length; g++) {
            cancellation.throwIfCancelled();
            double scale = groups.sampledMass() / (allCounts - counts[g]);
            Sums without = new Sums(m + 1, k);
            without.addScaled(parts[0], 1);
            without.addScaled(draws, scale);
            without.addScaled(parts[1 + g], -scale);
            double[] x = jointFit(without, delta, m, each, true);
            if (x == null) {
                // The fit would fall back to the minimum-norm solution, as far from the others as
                // the undetermined coefficient's norm: its spread would not be the estimate's error
                // (on the bench's forest at 16·M one such replicate made the standard errors 20
                // times the error).
                return null;
            }
            out[g] = new OddTermAdjustment(terms, Arrays.copyOfRange(x, m, x.length), Arrays.copyOf(x, m), null)
                    .estimate();
        }
        return out;
    }

    /** A hash shared by a coalition and its complement. */
    static long pairKey(boolean[] z) {
        boolean flip = z[0];
        long h = 0;
        for (int i = 0; i < z.length; i++) {
            if (z[i] != flip) {
                h += (i + 1) * 0x9E3779B97F4A7C15L;
                h ^= h >>> 29;
            }
        }
        h *= 0xBF58476D1CE4E5B9L;
        return h ^ (h >>> 32);
    }

    /** Each coalition's present players, as indices into x = (1, z_1 … z_m). */
    private static int[][] presentPlayers(List<boolean[]> masks, Cancellation cancellation) {
        int[][] present = new int[masks.size()][];
        int[] scratch = new int[masks.isEmpty() ? 0 : masks.get(0).length];
        for (int j = 0; j < present.length; j++) {
            if (j % LeverageDesign.CANCELLATION_STRIDE == 0) {
                cancellation.throwIfCancelled();
            }
            boolean[] z = masks.get(j);
            int size = 0;
            for (int i = 0; i < z.length; i++) {
                if (z[i]) {
                    scratch[size++] = i + 1;
                }
            }
            present[j] = Arrays.copyOf(scratch, size);
        }
        return present;
    }

    /** w·(y − x·b), y's residual after the weighted least-squares fit on x, times w. */
    private static double[] linearResidual(SemidefiniteCholesky linear, Sums sums, int[][] present, double[] weights,
                                           double[] y) {
        double[] b = linear.backward(linear.forward(sums.xy));
        double[] r = new double[present.length];
        for (int j = 0; j < r.length; j++) {
            double fit = b[0];
            for (int i : present[j]) {
                fit += b[i];
            }
            r[j] = weights[j] * (y[j] - fit);
        }
        return r;
    }

    /**
     * Weighted sums over x = (1, z_1 … z_m), y and c terms h_T ∈ {0, 2}: Σ w x xᵀ, Σ w x y, Σ w y²,
     * Σ w h xᵀ (a row per term), Σ w h hᵀ, Σ w h y; x xᵀ and h hᵀ in their upper triangles. Working
     * with sums instead of n-long columns makes the search's and the fit's cost independent of n.
     */
    private static final class Sums {
        final int q;
        final int c;
        final double[] xx;
        final double[] xy;
        double yy;
        final double[] xh;
        final double[] hh;
        final double[] hy;

        Sums(int q, int c) {
            this.q = q;
            this.c = c;
            this.xx = new double[q * q];
            this.xy = new double[q];
            this.xh = new double[q * c];
            this.hh = new double[c * c];
            this.hy = new double[c];
        }

        /** These sums' linear part, with room for c terms. */
        Sums withTerms(int terms) {
            Sums s = new Sums(q, terms);
            System.arraycopy(xx, 0, s.xx, 0, xx.length);
            System.arraycopy(xy, 0, s.xy, 0, xy.length);
            s.yy = yy;
            return s;
        }

        /** The sums of the linear columns and the terms over the coalitions. */
        static Sums over(List<boolean[]> masks, int m, double[] w, double[] y, int[][] terms,
                         Cancellation cancellation) {
            CoalitionBits bits = CoalitionBits.of(masks, m, w, cancellation);
            Sums s = linear(bits, m, w, y).withTerms(terms.length);
            s.setTerms(bits, terms, w, y, cancellation);
            return s;
        }

        /** The linear sums over the coalitions laid out in {@code bits} (w and y indexed as they were). */
        static Sums linear(CoalitionBits bits, int m, double[] w, double[] y) {
            int q = m + 1;
            Sums s = new Sums(q, 0);
            double[] wy = new double[y.length];
            for (int j = 0; j < y.length; j++) {
                wy[j] = w[j] * y[j];
                s.yy += wy[j] * y[j];
            }
            s.xx[0] = bits.sum(bits.every);
            s.xy[0] = bits.sumOf(bits.every, wy);
            for (int i = 1; i < q; i++) {
                long[] a = bits.player(i - 1);
                s.xx[i] = bits.sum(a);
                s.xx[i * q + i] = s.xx[i];
                s.xy[i] = bits.sumOf(a, wy);
                for (int k = i + 1; k < q; k++) {
                    s.xx[i * q + k] = bits.sum(a, bits.player(k - 1));
                }
            }
            return s;
        }

        /** Sets the sums of the terms h_T (as many as this has room for) over the coalitions in {@code bits}. */
        void setTerms(CoalitionBits bits, int[][] terms, double[] w, double[] y, Cancellation cancellation) {
            double[] wy = new double[y.length];
            for (int j = 0; j < y.length; j++) {
                wy[j] = w[j] * y[j];
            }
            long[][] on = new long[c][];
            for (int t = 0; t < c; t++) {
                // h_T = 2 where an even number of T's members is absent
                long[] odd = bits.oddPresent(terms[t]);
                if ((terms[t].length & 1) == 0) {
                    for (int k = 0; k < odd.length; k++) {
                        odd[k] = bits.every[k] & ~odd[k];
                    }
                }
                on[t] = odd;
            }
            for (int t = 0; t < c; t++) {
                cancellation.throwIfCancelled();
                long[] h = on[t];
                hy[t] = 2 * bits.sumOf(h, wy);
                xh[t * q] = 2 * bits.sum(h);
                for (int i = 1; i < q; i++) {
                    xh[t * q + i] = 2 * bits.sum(h, bits.player(i - 1));
                }
                hh[t * c + t] = 2 * xh[t * q];
                for (int u = t + 1; u < c; u++) {
                    hh[t * c + u] = 4 * bits.sum(h, on[u]);
                }
            }
        }

        void addScaled(Sums other, double scale) {
            add(xx, other.xx, scale);
            add(xy, other.xy, scale);
            add(xh, other.xh, scale);
            add(hh, other.hh, scale);
            add(hy, other.hy, scale);
            yy += scale * other.yy;
        }

        private static void add(double[] into, double[] from, double scale) {
            for (int i = 0; i < into.length; i++) {
                into[i] += scale * from[i];
            }
        }

        /** Σ w u v of two raw columns, each an x index (≥ 0) or −1 − a term. */
        double raw(int u, int v) {
            if (u >= 0 && v >= 0) {
                return xx[Math.min(u, v) * q + Math.max(u, v)];
            }
            if (u >= 0) {
                return xh[(-1 - v) * q + u];
            }
            if (v >= 0) {
                return xh[(-1 - u) * q + v];
            }
            int t = -1 - u;
            int w = -1 - v;
            return hh[Math.min(t, w) * c + Math.max(t, w)];
        }
    }

    /**
     * The terms the search keeps, in the order it chose them, by orthogonal matching pursuit in the
     * candidates' span after the linear columns: P = R⁻ᵀ·Σ w x hᵀ are the candidates' coordinates
     * on the orthonormalised linear columns, so G = Σ w h hᵀ − PᵀP is their Gram matrix projected
     * off them, and r's correlations are Σ w h y − Pᵀa, a being y's coordinates.
     */
    private static int[] select(Sums s, SemidefiniteCholesky linear, OddPart odd, int searched, int designSize,
                                int m, Cancellation cancellation) {
        int q = s.q;
        int c = s.c;
        double[][] p = new double[c][];
        for (int t = 0; t < c; t++) {
            p[t] = linear.forward(Arrays.copyOfRange(s.xh, t * q, (t + 1) * q));
        }
        double[] ay = linear.forward(s.xy);
        double[][] gram = new double[c][c];
        double[] corr = new double[c];
        // A column whose part outside the current span is below this share of its length lies in
        // the span: its score would be rounding (as the Gram form subtracts, not projects).
        double[] negligible = new double[c];
        for (int t = 0; t < c; t++) {
            cancellation.throwIfCancelled();
            corr[t] = s.hy[t] - dot(p[t], ay);
            for (int u = 0; u <= t; u++) {
                double g = s.raw(-1 - t, -1 - u);
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
        int n = odd.observations();
        List<Integer> chosen = new ArrayList<>();
        boolean[] used = new boolean[c];
        // After k picks, v[t] holds candidate t's coordinates on the k orthonormalised picks, so its
        // residual norm is gram[t][t] − |v[t]|² and its residual correlation corr[t] − v[t]·a, a
        // being r's coordinates.
        double[][] v = new double[c][0];
        double[] a = new double[0];
        // From a budget of COUNTED_FROM·M coalitions on (∅ and the full one, not in the design,
        // counted), the search takes a term per COALITIONS_PER_TERM coalitions; below, a term
        // enters only if it passes the entry test.
        boolean counted = designSize + 2 >= COUNTED_FROM * m;
        int limit = counted ? Math.min(MAX_TERMS, designSize / COALITIONS_PER_TERM) : MAX_TESTED_TERMS;
        while (m + chosen.size() + 1 < n && rss > floor && chosen.size() < limit) {
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
            // What is left is rounding, or the even part of the game that no odd term explains.
            if (pick < 0 || top <= floor) {
                break;
            }
            if (!counted && !entersByTest(top, rss - top - odd.evenEnergy(), n - m - chosen.size() - 1, searched)) {
                break;
            }
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
     * The β and c of min Σ w (Σβz + Σc h − y)² with Σβ + 2Σc = Δ, from the sums: β_last eliminated,
     * the reduced columns are z_i − z_last and h_T − 2z_last, whose normal equations are
     * combinations of the raw ones. Returns β over the m players, then c; with {@code determined},
     * null when the sums do not determine every coefficient.
     */
    private static double[] jointFit(Sums s, double delta, int m, int[] picked, boolean determined) {
        int k = picked.length;
        int p = m - 1 + k;
        int last = m;
        // Raw column of each reduced column (its x index, or −1 − term), and its z_last coefficient.
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
        double ll = s.raw(last, last);
        for (int a = 0; a < p; a++) {
            double aLast = s.raw(raw[a], last);
            double aY = raw[a] >= 0 ? s.xy[raw[a]] : s.hy[-1 - raw[a]];
            // Σ w a_col (y − z_last·Δ)
            rhs.data[a] = aY - lastCoefficient[a] * s.xy[last] - delta * (aLast - lastCoefficient[a] * ll);
            for (int b = 0; b <= a; b++) {
                double g = s.raw(raw[a], raw[b]) - lastCoefficient[b] * aLast
                        - lastCoefficient[a] * s.raw(raw[b], last) + lastCoefficient[a] * lastCoefficient[b] * ll;
                normal.data[a * p + b] = g;
                normal.data[b * p + a] = g;
            }
        }
        // Cholesky while every column keeps a share of its length outside the others' span; the
        // minimum-norm solution when some do not (features that never vary apart, say).
        SemidefiniteCholesky chol = new SemidefiniteCholesky(normal.data, p, 1e-10);
        DMatrixRMaj x;
        if (chol.rank() == p) {
            x = new DMatrixRMaj(p, 1, true, chol.backward(chol.forward(rhs.data)));
        } else if (determined) {
            return null;
        } else {
            x = new DMatrixRMaj(p, 1);
            LinearSolverDense<DMatrixRMaj> pinv = LinearSolverFactory_DDRM.pseudoInverse(true);
            pinv.setA(normal.copy());
            pinv.solve(rhs, x);
        }
        double[] out = new double[m + k];
        double sum = 0;
        for (int i = 0; i < m - 1; i++) {
            out[i] = x.get(i, 0);
            sum += out[i];
        }
        for (int t = 0; t < k; t++) {
            out[m + t] = x.get(m - 1 + t, 0);
            sum += 2 * out[m + t];
        }
        out[m - 1] = delta - sum;
        return out;
    }

    /** The features with the largest |plain estimate|, at most MAX_CANDIDATE_FEATURES, ascending. */
    private static int[] candidateFeatures(double[] plain, int limit) {
        int m = plain.length;
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (u, v) -> Double.compare(Math.abs(plain[v]), Math.abs(plain[u])));
        int l = Math.min(m, limit);
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
     * is exact): with ±1 signs s and u = w·r, h·r = Σ_j u_j s_ja s_jb s_jc (Σu = 0 by the intercept),
     * so one pass per pair serves every third feature. |h|² = 2Σw + 2Σ_j w_j s_ja s_jb s_jc is the
     * same for every triple, as the parity of an odd set flips on a coalition's complement, which
     * carries the same weight: the numerator alone ranks them. (The search then takes exact norms.)
     */
    private static int[][] pool(List<boolean[]> masks, double[] u, int[] f, Cancellation cancellation) {
        int n = u.length;
        int l = f.length;
        int total = triples(l);
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
        double[] score = new double[total];
        double[] pu = new double[n];
        int t = 0;
        for (int a = 0; a < l; a++) {
            for (int b = a + 1; b < l; b++) {
                cancellation.throwIfCancelled();
                for (int j = 0; j < n; j++) {
                    pu[j] = sign[a][j] * sign[b][j] * u[j];
                }
                for (int c = b + 1; c < l; c++) {
                    all[t] = new int[] {f[a], f[b], f[c]};
                    double num = dot(pu, sign[c]);
                    score[t] = num * num;
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

    /** Number of triples among l features. */
    private static int triples(int l) {
        return l * (l - 1) * (l - 2) / 6;
    }

    /**
     * What of the linear fit's residual odd terms can reach. Paired sampling makes the odd columns
     * see a coalition and its complement as one observation, the difference of their values; the
     * residual's even part (the pair's mean, off its weighted mean) no odd term changes.
     */
    record OddPart(int observations, double evenEnergy) {
        static OddPart of(List<boolean[]> masks, double[] weights, double[] weightedResidual) {
            Map<BitSet, Integer> index = new HashMap<>();
            for (int j = 0; j < masks.size(); j++) {
                index.put(bits(masks.get(j), false), j);
            }
            int observations = 0;
            double even = 0;
            for (int j = 0; j < masks.size(); j++) {
                Integer k = index.get(bits(masks.get(j), true));
                if (k == null || weights[j] <= 0 || weights[k] <= 0) {
                    observations++;
                } else if (k > j) {
                    observations++;
                    double mean = (weightedResidual[j] / weights[j] + weightedResidual[k] / weights[k]) / 2;
                    even += (weights[j] + weights[k]) * mean * mean;
                }
            }
            return new OddPart(observations, even);
        }

        private static BitSet bits(boolean[] z, boolean complement) {
            BitSet b = new BitSet(z.length);
            for (int i = 0; i < z.length; i++) {
                if (z[i] != complement) {
                    b.set(i);
                }
            }
            return b;
        }
    }

    /**
     * The entry test: a term enters if the share of the odd residual left after it is below
     * (α/c)^(2/ν), ν the residual's degrees of freedom after it and c the candidates searched. For a
     * column unrelated to the residual that share is Beta(ν/2, 1/2), whose lower tail is about
     * that power: the test keeps the chance that the best of c such columns enters near α, where a
     * test made as if for one column (GCV, an F test) takes the luckiest of hundreds. With few
     * degrees of freedom (31 pairs at 4·M for 16 players) the bound is much stricter than 2·ln c.
     */
    private static boolean entersByTest(double explained, double left, int freedom, int searched) {
        if (freedom <= 0) {
            return false;
        }
        double share = Math.max(left, 0) / (Math.max(left, 0) + explained);
        return share < Math.pow(FALSE_ENTRY / Math.max(searched, 2), 2.0 / freedom);
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
