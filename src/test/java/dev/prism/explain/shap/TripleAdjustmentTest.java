package dev.prism.explain.shap;

import dev.prism.linalg.Cancellation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.linalg.ConstrainedLeastSquares;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TripleAdjustmentTest {
    private static final int M = 10;
    private static final double[] A = {1.0, -0.5, 0.8, 0.3, -1.2, 0.6, 0.2, -0.4, 0.9, 0.1};

    /** Main effects plus one third-order unanimity term 2·z1·z4·z7. */
    private static double game(boolean[] z) {
        double v = 0;
        for (int i = 0; i < M; i++) {
            v += z[i] ? A[i] : 0;
        }
        return v + (z[1] && z[4] && z[7] ? 2 : 0);
    }

    private static double[] exact() {
        double[] phi = A.clone();
        phi[1] += 2 / 3.0;
        phi[4] += 2 / 3.0;
        phi[7] += 2 / 3.0;
        return phi;
    }

    /** Paired sampling alone is not exact with a third-order term; the adjustment finds it and is. */
    @Test
    void aSingleTripleIsFoundAndMakesTheSampledEstimateExact() {
        CoalitionDesign d = CoalitionDesign.build(M, 120, new SplittableRandom(3));
        int n = d.masks.size();
        double[] w = new double[n];
        double[] y = new double[n];
        for (int j = 0; j < n; j++) {
            w[j] = d.finalWeight(j);
            y[j] = game(d.masks.get(j));
        }
        double delta = 0;
        for (double a : A) {
            delta += a;
        }
        delta += 2;
        double[] plain = solve(d, w, y, delta);
        double plainError = 0;
        for (int i = 0; i < M; i++) {
            plainError += Math.pow(plain[i] - exact()[i], 2);
        }
        assertTrue(plainError > 1e-6, "the plain estimate should not be exact here: " + plainError);

        TripleAdjustment adj = TripleAdjustment.fit(d.masks, w, y, delta, plain, Cancellation.NEVER);
        assertEquals(1, adj.triples.length);
        assertArrayEquals(new int[] {1, 4, 7}, adj.triples[0]);
        double[] rest = new double[n];
        for (int j = 0; j < n; j++) {
            rest[j] = y[j] - adj.value(d.masks.get(j));
        }
        double[] phi = solve(d, w, rest, delta - adj.total());
        double[] extra = adj.shapley(M);
        double sum = 0;
        for (int i = 0; i < M; i++) {
            phi[i] += extra[i];
            sum += phi[i];
        }
        assertArrayEquals(exact(), phi, 1e-9);
        assertEquals(delta, sum, 1e-12);
    }

    /** A game of main effects only leaves nothing to adjust. */
    @Test
    void anAdditiveGameSelectsNoTriple() {
        CoalitionDesign d = CoalitionDesign.build(M, 120, new SplittableRandom(5));
        int n = d.masks.size();
        double[] w = new double[n];
        double[] y = new double[n];
        double delta = 0;
        for (double a : A) {
            delta += a;
        }
        for (int j = 0; j < n; j++) {
            w[j] = d.finalWeight(j);
            boolean[] z = d.masks.get(j);
            for (int i = 0; i < M; i++) {
                y[j] += z[i] ? A[i] : 0;
            }
        }
        assertTrue(TripleAdjustment.fit(d.masks, w, y, delta, solve(d, w, y, delta), Cancellation.NEVER).isEmpty());
    }

    private static double[] solve(CoalitionDesign d, double[] w, double[] y, double delta) {
        ConstrainedLeastSquares ls = new ConstrainedLeastSquares(M, new double[] {delta});
        for (int j = 0; j < w.length; j++) {
            ls.add(d.masks.get(j), w[j], new double[] {y[j]});
        }
        return ls.solve()[0];
    }

    /**
     * The adjustment of a game −3 times another (a two-class model's other output is the first
     * negated) is the first's scaled: the search and the fit are scale-free and linear in y and Δ.
     */
    @Test
    void aMultipleOfAnotherOutputReusesItsFitScaled() {
        CoalitionDesign d = CoalitionDesign.build(M, 120, new SplittableRandom(7));
        int n = d.masks.size();
        double[] w = new double[n];
        double[] y = new double[n];
        double[] minus3 = new double[n];
        for (int j = 0; j < n; j++) {
            w[j] = d.finalWeight(j);
            y[j] = game(d.masks.get(j));
            minus3[j] = -3 * y[j];
        }
        double delta = java.util.Arrays.stream(A).sum() + 2;
        double[] plain = solve(d, w, y, delta);
        TripleAdjustment first = TripleAdjustment.fit(d.masks, w, y, delta, plain, Cancellation.NEVER);
        double[] scaledPlain = java.util.Arrays.stream(plain).map(v -> -3 * v).toArray();
        TripleAdjustment direct = TripleAdjustment.fit(d.masks, w, minus3, -3 * delta, scaledPlain,
                Cancellation.NEVER);

        double[] withDelta = java.util.Arrays.copyOf(y, n + 1);
        withDelta[n] = delta;
        double[] minus3WithDelta = java.util.Arrays.copyOf(minus3, n + 1);
        minus3WithDelta[n] = -3 * delta;
        double s = TripleAdjustment.multiple(withDelta, minus3WithDelta);
        assertEquals(-3, s, 1e-12);
        TripleAdjustment reused = first.scaled(s);
        assertEquals(direct.triples.length, reused.triples.length);
        for (int t = 0; t < direct.triples.length; t++) {
            assertArrayEquals(direct.triples[t], reused.triples[t]);
            assertEquals(direct.coefficients[t], reused.coefficients[t], 1e-9);
        }

        // Not a multiple: one observation off, or Δ off.
        minus3WithDelta[5] += 1e-3;
        assertTrue(Double.isNaN(TripleAdjustment.multiple(withDelta, minus3WithDelta)));
        minus3WithDelta[5] -= 1e-3;
        minus3WithDelta[n] += 1e-3;
        assertTrue(Double.isNaN(TripleAdjustment.multiple(withDelta, minus3WithDelta)));
    }

    /** A game of many strong triples keeps the search's bound on them. */
    @Test
    void theSearchStopsAtItsBound() {
        int m = 16;
        SplittableRandom random = new SplittableRandom(13);
        java.util.Set<java.util.List<Integer>> terms = new java.util.LinkedHashSet<>();
        while (terms.size() < 30) {
            int[] t = random.ints(0, m).distinct().limit(3).sorted().toArray();
            terms.add(java.util.List.of(t[0], t[1], t[2]));
        }
        CoalitionDesign d = CoalitionDesign.build(m, 4000, new SplittableRandom(11));
        int n = d.masks.size();
        double[] w = new double[n];
        double[] y = new double[n];
        for (int j = 0; j < n; j++) {
            w[j] = d.finalWeight(j);
            boolean[] z = d.masks.get(j);
            int k = 0;
            for (java.util.List<Integer> t : terms) {
                // odd parity terms, each its own size
                y[j] += (++k) * ((z[t.get(0)] ^ z[t.get(1)] ^ z[t.get(2)]) ? 1 : -1);
            }
        }
        double[] plain = new double[m];
        java.util.Arrays.fill(plain, 1);
        TripleAdjustment adj = TripleAdjustment.fit(d.masks, w, y, 0, plain, Cancellation.NEVER);
        assertEquals(TripleAdjustment.MAX_TRIPLES, adj.triples.length);
    }

    /**
     * The fit works on weighted sums; its coefficients equal the constrained weighted least squares
     * on the explicit n-long columns (β_last eliminated), solved by QR.
     */
    @Test
    void theCoefficientsFromSumsEqualLeastSquaresOnTheColumns() {
        CoalitionDesign d = CoalitionDesign.build(M, 200, new SplittableRandom(17));
        int n = d.masks.size();
        double[] w = new double[n];
        double[] y = new double[n];
        SplittableRandom noise = new SplittableRandom(19);
        for (int j = 0; j < n; j++) {
            w[j] = d.finalWeight(j);
            boolean[] z = d.masks.get(j);
            // two third-order terms, one a product, one a parity, and a little noise
            y[j] = game(z) + 1.5 * ((z[0] ^ z[2] ^ z[5]) ? 1 : -1) + 0.01 * noise.nextGaussian();
        }
        double delta = java.util.Arrays.stream(A).sum() + 2 + 1.5 * 2;
        TripleAdjustment adj = TripleAdjustment.fit(d.masks, w, y, delta, solve(d, w, y, delta), Cancellation.NEVER);
        int k = adj.triples.length;
        assertTrue(k >= 2, "both terms should be found: " + k);

        int p = M - 1 + k;
        org.ejml.data.DMatrixRMaj design = new org.ejml.data.DMatrixRMaj(n, p);
        org.ejml.data.DMatrixRMaj target = new org.ejml.data.DMatrixRMaj(n, 1);
        for (int j = 0; j < n; j++) {
            boolean[] z = d.masks.get(j);
            double sw = Math.sqrt(w[j]);
            double last = z[M - 1] ? 1 : 0;
            for (int i = 0; i < M - 1; i++) {
                design.set(j, i, sw * ((z[i] ? 1 : 0) - last));
            }
            for (int t = 0; t < k; t++) {
                int[] tr = adj.triples[t];
                double h = (z[tr[0]] == z[tr[1]]) == z[tr[2]] ? 2 : 0;
                design.set(j, M - 1 + t, sw * (h - 2 * last));
            }
            target.set(j, 0, sw * (y[j] - last * delta));
        }
        org.ejml.data.DMatrixRMaj x = new org.ejml.data.DMatrixRMaj(p, 1);
        assertTrue(org.ejml.dense.row.CommonOps_DDRM.solve(design, target, x));
        for (int t = 0; t < k; t++) {
            assertEquals(x.get(M - 1 + t, 0), adj.coefficients[t], 1e-9);
        }
    }
}
