package dev.prism.explain.shap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.linalg.Cancellation;
import dev.prism.linalg.ConstrainedLeastSquares;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LeverageDesignTest {

    /** The number of features in a coalition. */
    static int size(boolean[] z) {
        int s = 0;
        for (boolean b : z) {
            s += b ? 1 : 0;
        }
        return s;
    }

    private static BitSet key(boolean[] z) {
        BitSet b = new BitSet();
        for (int i = 0; i < z.length; i++) {
            if (z[i]) {
                b.set(i);
            }
        }
        return b;
    }

    /** C(n, k) exactly while it fits in a double's integers, which covers the sizes used here. */
    private static double choose(int n, int k) {
        double r = 1;
        for (int i = 1; i <= k; i++) {
            r = r * (n - k + i) / i;
        }
        return Math.rint(r);
    }

    /** The level c with Σ_s min(c, C(M,s)) = budget, by bisection (independent of the design's own search). */
    private static double level(int m, long budget) {
        double lo = 0;
        double hi = budget;
        for (int it = 0; it < 200; it++) {
            double mid = (lo + hi) / 2;
            double total = 0;
            for (int s = 1; s < m; s++) {
                total += Math.min(mid, choose(m, s));
            }
            if (total < budget) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return hi;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 8, 11})
    void aBudgetOfEveryCoalitionEnumeratesEachOnceWithShapleyKernelWeights(int m) {
        LeverageDesign d = LeverageDesign.build(m, (1L << m) - 2 + 7, new SplittableRandom(1));
        assertTrue(d.complete());
        assertEquals((1 << m) - 2, d.size());
        assertEquals(d.size(), d.enumerated());
        assertEquals(0, d.groups());
        Set<BitSet> seen = new HashSet<>();
        for (int i = 0; i < d.size(); i++) {
            boolean[] z = d.masks().get(i);
            int s = size(z);
            assertTrue(s > 0 && s < m, "no empty or full coalition");
            assertTrue(seen.add(key(z)), "no duplicates");
            assertEquals(1 / (choose(m, s) * s * (m - s)), d.weight(i), 1e-15, "Shapley kernel");
            assertEquals(-1, d.group(i));
        }
    }

    @ParameterizedTest
    @CsvSource({"3, 4, false", "5, 12, false", "8, 60, false", "10, 100, false", "11, 300, false",
        "12, 501, false", "16, 3000, false", "30, 2000, false", "31, 95, false", "60, 4000, false",
        "200, 1000, false", "1000, 20000, false", "3, 4, true", "5, 12, true", "8, 60, true", "11, 300, true",
        "12, 501, true", "16, 3000, true", "31, 95, true", "200, 1000, true", "1000, 20000, true"})
    void perSizeCountsFollowTheLevelRule(int m, long budget, boolean herded) {
        LeverageDesign d = LeverageDesign.build(m, budget, new SplittableRandom(m * 31L + budget), Cancellation.NEVER,
                herded);
        long even = budget - budget % 2;
        assertEquals(even, d.size());
        assertFalse(d.complete());
        double c = level(m, even);
        long total = 0;
        for (int s = 1; s < m; s++) {
            long count = d.count(s);
            total += count;
            assertEquals(d.count(m - s), count, "paired sizes get equal counts");
            double all = choose(m, s);
            if (all <= c) {
                assertEquals(all, count, "size " + s + " fits under the level: enumerated");
                assertEquals(1.0, d.inclusionProbability(s));
            } else {
                // Two-size classes round c to whole pairs; the middle size of an even M to whole pairs of two.
                double slack = 2 * s == m ? 2 : 1;
                assertTrue(Math.abs(count - c) < slack, "size " + s + ": " + count + " vs level " + c);
                assertEquals(count / all, d.inclusionProbability(s), 1e-15 * count / all);
            }
        }
        assertEquals(even, total);
        int[] counted = new int[m + 1];
        for (boolean[] z : d.masks()) {
            counted[size(z)]++;
        }
        for (int s = 1; s < m; s++) {
            assertEquals(d.count(s), counted[s]);
        }
    }

    @ParameterizedTest
    @CsvSource({"6, 40, false", "9, 200, false", "10, 250, false", "14, 1000, false", "25, 3000, false",
        "300, 5000, false", "6, 40, true", "9, 200, true", "10, 250, true", "14, 1000, true", "25, 3000, true",
        "300, 5000, true"})
    void pairsAreCompleteDistinctAndWeightedByHorvitzThompson(int m, long budget, boolean herded) {
        LeverageDesign d = LeverageDesign.build(m, budget, new SplittableRandom(7), Cancellation.NEVER, herded);
        List<boolean[]> masks = d.masks();
        Set<BitSet> seen = new HashSet<>();
        double[] weightBySize = new double[m + 1];
        for (int i = 0; i < masks.size(); i++) {
            boolean[] z = masks.get(i);
            assertTrue(seen.add(key(z)), "no duplicate masks");
            if (i % 2 == 1) {
                boolean[] previous = masks.get(i - 1);
                for (int f = 0; f < m; f++) {
                    assertEquals(!previous[f], z[f], "mask " + i + " complements mask " + (i - 1));
                }
                assertEquals(d.group(i - 1), d.group(i), "a pair stays in one group");
                assertEquals(d.isEnumerated(i - 1), d.isEnumerated(i));
            }
            int s = size(z);
            assertTrue(s > 0 && s < m);
            weightBySize[s] += d.weight(i);
            // weight × inclusion probability is the Shapley kernel of the coalition
            assertEquals(1 / (choose(m, s) * s * (m - s)), d.weight(i) * d.inclusionProbability(s),
                    1e-12 / (choose(m, s) * s * (m - s)));
        }
        for (int s = 1; s < m; s++) {
            if (d.count(s) > 0) {
                // the estimated kernel mass of a size is its true mass, 1/(s(M−s))
                assertEquals(1.0 / (s * (m - s)), weightBySize[s], 1e-12 / (s * (m - s)));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theSameSeedGivesTheSameDesign(boolean herded) {
        LeverageDesign a = LeverageDesign.build(20, 800, new SplittableRandom(42), Cancellation.NEVER, herded);
        LeverageDesign b = LeverageDesign.build(20, 800, new SplittableRandom(42), Cancellation.NEVER, herded);
        LeverageDesign c = LeverageDesign.build(20, 800, new SplittableRandom(43), Cancellation.NEVER, herded);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.masks().get(i), b.masks().get(i));
            assertEquals(a.group(i), b.group(i));
        }
        assertArrayEquals(a.weights(), b.weights());
        boolean differs = false;
        for (int i = a.enumerated(); i < a.size(); i++) {
            differs |= !Arrays.equals(a.masks().get(i), c.masks().get(i));
        }
        assertTrue(differs, "another seed draws other coalitions");
    }

    @Test
    void enumeratedSizesComeFirstAndSampledOnesAreGrouped() {
        int m = 12;
        LeverageDesign d = LeverageDesign.build(m, 600, new SplittableRandom(3));
        // level: sizes 1 and 11 (12 each) fit, size 2 (66) does not: c = (600 − 24) / 9 = 64
        assertEquals(24, d.enumerated());
        assertEquals(12, d.count(1));
        assertEquals(64, d.count(2));
        assertTrue(d.groups() >= 1 && d.groups() <= 16);
        int[] perGroup = new int[d.groups()];
        for (int i = 0; i < d.size(); i++) {
            assertEquals(i < 24, d.isEnumerated(i));
            if (i >= 24) {
                perGroup[d.group(i)]++;
            }
        }
        for (int g = 0; g < d.groups(); g++) {
            assertTrue(Math.abs(perGroup[g] - perGroup[0]) <= 2, "groups are dealt evenly");
            double[] w = d.groupWeights(g);
            double[] bySize = new double[m + 1];
            for (int i = 0; i < d.size(); i++) {
                if (i >= 24 && d.group(i) != g) {
                    assertEquals(0, w[i]);
                }
                bySize[size(d.masks().get(i))] += w[i];
            }
            for (int s = 1; s < m; s++) {
                if (bySize[s] > 0) {
                    assertEquals(1.0 / (s * (m - s)), bySize[s], 1e-12, "group " + g + " size " + s);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> d.groupWeights(d.groups()));
    }

    @Test
    void completeDesignGivesExactShapleyValuesThroughTheConstrainedSolve() {
        // v(z) = Σ a_i z_i + Σ_{i<j} b_ij z_i z_j has φ_i = a_i + ½ Σ_j b_ij.
        int m = 7;
        SplittableRandom rng = new SplittableRandom(5);
        double[] a = new double[m];
        double[][] b = new double[m][m];
        for (int i = 0; i < m; i++) {
            a[i] = rng.nextDouble() - 0.5;
            for (int j = i + 1; j < m; j++) {
                b[i][j] = rng.nextDouble() - 0.5;
            }
        }
        double[] exact = a.clone();
        double total = 0;
        for (int i = 0; i < m; i++) {
            total += a[i];
            for (int j = i + 1; j < m; j++) {
                exact[i] += b[i][j] / 2;
                exact[j] += b[i][j] / 2;
                total += b[i][j];
            }
        }
        LeverageDesign d = LeverageDesign.build(m, 1000, new SplittableRandom(1));
        ConstrainedLeastSquares ls = new ConstrainedLeastSquares(m, new double[] {total});
        for (int k = 0; k < d.size(); k++) {
            boolean[] z = d.masks().get(k);
            double v = 0;
            for (int i = 0; i < m; i++) {
                if (z[i]) {
                    v += a[i];
                    for (int j = i + 1; j < m; j++) {
                        v += z[j] ? b[i][j] : 0;
                    }
                }
            }
            ls.add(z, d.weight(k), new double[] {v});
        }
        assertArrayEquals(exact, ls.solve()[0], 1e-12);
    }

    /**
     * Σ_{z in design} w(z)·g(z) estimates Σ_{all z} kernel(z)·g(z) without bias; g favours no
     * relabelling of the players, so this checks that herding keeps every coalition of a size as
     * likely as any other.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void weightedSumsAreUnbiasedOverSeeds(boolean herded) {
        int m = 9;
        double truth = 0;
        for (int bits = 1; bits < (1 << m) - 1; bits++) {
            int s = Integer.bitCount(bits);
            truth += g(bits) / (choose(m, s) * s * (m - s));
        }
        int runs = 4000;
        double sum = 0;
        double sumSq = 0;
        for (int r = 0; r < runs; r++) {
            LeverageDesign d = LeverageDesign.build(m, 60, new SplittableRandom(r), Cancellation.NEVER, herded);
            double estimate = 0;
            for (int i = 0; i < d.size(); i++) {
                int bits = 0;
                boolean[] z = d.masks().get(i);
                for (int f = 0; f < m; f++) {
                    bits |= z[f] ? 1 << f : 0;
                }
                estimate += d.weight(i) * g(bits);
            }
            sum += estimate;
            sumSq += estimate * estimate;
        }
        double mean = sum / runs;
        double se = Math.sqrt((sumSq / runs - mean * mean) / runs);
        assertTrue(se > 0);
        assertEquals(truth, mean, 4 * se);
    }

    private static double g(int bits) {
        return Math.sin(bits * 0.37) + (bits & 5);
    }

    @Test
    void rejectsTooFewFeaturesOrCoalitions() {
        assertThrows(IllegalArgumentException.class, () -> LeverageDesign.build(1, 10, new SplittableRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> LeverageDesign.build(5, 1, new SplittableRandom(1)));
    }
}
