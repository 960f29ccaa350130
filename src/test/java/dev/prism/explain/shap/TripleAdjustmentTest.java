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
}
