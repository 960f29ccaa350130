package dev.prism.explain.shap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.linalg.Cancellation;
import dev.prism.linalg.ConstrainedLeastSquares;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PairHerdingTest {

    private static LeverageDesign design(int m, long budget, long seed, boolean herded) {
        return LeverageDesign.build(m, budget, new SplittableRandom(seed), Cancellation.NEVER, herded);
    }

    /**
     * Σ_{a<b} (Σ_z w_z s_a s_b − E[s_a s_b])² for s = 2z − 1: how far the design's weighted
     * order-2 parities are from the Shapley kernel's, E = Σ_s (1/(s(M−s)))·((M−2s)² − M)/(M(M−1))
     * (a coalition of size s has s_a s_b = 1 unless exactly one of a, b is in it).
     */
    private static double secondMomentGap(LeverageDesign d) {
        int m = d.features();
        double target = 0;
        for (int s = 1; s < m; s++) {
            target += ((m - 2.0 * s) * (m - 2.0 * s) - m) / (m * (m - 1.0)) / (s * (double) (m - s));
        }
        double[][] sums = new double[m][m];
        for (int j = 0; j < d.size(); j++) {
            addProducts(sums, d.masks().get(j), d.weight(j));
        }
        return squaredDistance(sums, target);
    }

    /** Adds w·s_a·s_b (s = 2z − 1) to sums[a][b] for every a < b. */
    private static void addProducts(double[][] sums, boolean[] z, double w) {
        for (int a = 0; a < z.length; a++) {
            for (int b = a + 1; b < z.length; b++) {
                sums[a][b] += z[a] == z[b] ? w : -w;
            }
        }
    }

    /** Σ_{a<b} (sums[a][b] − target)². */
    private static double squaredDistance(double[][] sums, double target) {
        double gap = 0;
        for (int a = 0; a < sums.length; a++) {
            for (int b = a + 1; b < sums.length; b++) {
                gap += (sums[a][b] - target) * (sums[a][b] - target);
            }
        }
        return gap;
    }

    @ParameterizedTest
    @CsvSource({"16, 62", "16, 254", "30, 478", "13, 100"})
    void theDesignsSecondMomentsAreFarCloserToTheKernelsThanUniformDraws(int m, long budget) {
        double herded = 0;
        double uniform = 0;
        for (int seed = 0; seed < 20; seed++) {
            herded += secondMomentGap(design(m, budget, seed, true));
            uniform += secondMomentGap(design(m, budget, seed, false));
        }
        assertTrue(herded < 0.25 * uniform, "gap " + herded / 20 + " herded, " + uniform / 20 + " uniform");
    }

    /**
     * A game of a linear part and 40 triples' parities, whose Shapley values are known in closed
     * form (an odd parity on T gives 2c/|T| to each member): at 4·M coalitions, the regression on a
     * herded design errs less than half as much as on uniform draws (0.26 of it over these 40 seeds).
     */
    @Test
    void onAGameOfTriplesTheRegressionErrsLessThanHalfAsMuch() {
        int m = 16;
        SplittableRandom random = new SplittableRandom(5);
        int[][] triples = new int[40][];
        double[] coefficient = new double[triples.length];
        double[] linear = new double[m];
        double[] phi = new double[m];
        for (int i = 0; i < m; i++) {
            linear[i] = random.nextDouble(-1, 1);
            phi[i] = linear[i];
        }
        for (int k = 0; k < triples.length; k++) {
            triples[k] = random.ints(0, m).distinct().limit(3).toArray();
            coefficient[k] = random.nextDouble(-0.5, 0.5);
            for (int i : triples[k]) {
                phi[i] += 2 * coefficient[k] / 3;
            }
        }
        double norm = 0;
        for (double p : phi) {
            norm += p * p;
        }
        double herded = 0;
        double uniform = 0;
        for (int seed = 0; seed < 40; seed++) {
            herded += error(design(m, 4 * m - 2, seed, true), linear, triples, coefficient, phi) / norm;
            uniform += error(design(m, 4 * m - 2, seed, false), linear, triples, coefficient, phi) / norm;
        }
        assertTrue(herded < 0.5 * uniform, "error " + herded / 40 + " herded, " + uniform / 40 + " uniform");
    }

    private static double value(boolean[] z, double[] linear, int[][] triples, double[] coefficient) {
        double v = 0;
        for (int i = 0; i < z.length; i++) {
            v += z[i] ? linear[i] : 0;
        }
        for (int k = 0; k < triples.length; k++) {
            boolean odd = false;
            for (int i : triples[k]) {
                odd ^= z[i];
            }
            v += coefficient[k] * (odd ? 1 : -1);
        }
        return v;
    }

    private static double error(LeverageDesign d, double[] linear, int[][] triples, double[] coefficient,
                                double[] phi) {
        int m = d.features();
        boolean[] empty = new boolean[m];
        boolean[] full = new boolean[m];
        Arrays.fill(full, true);
        double v0 = value(empty, linear, triples, coefficient);
        double delta = value(full, linear, triples, coefficient) - v0;
        ConstrainedLeastSquares ls = new ConstrainedLeastSquares(m, new double[] {delta});
        for (int j = 0; j < d.size(); j++) {
            boolean[] z = d.masks().get(j);
            ls.add(z, d.weight(j), new double[] {value(z, linear, triples, coefficient) - v0});
        }
        double[] estimate = ls.solve()[0];
        double e = 0;
        for (int i = 0; i < m; i++) {
            e += (estimate[i] - phi[i]) * (estimate[i] - phi[i]);
        }
        return e;
    }

    @Test
    void theCandidatesAreCutToTheWorkBound() {
        // 48 players at 16·M: all candidates; at 64·M (about 1,500 pairs of 12 players on average)
        // the fewer that large budgets take, all of them.
        assertEquals(PairHerding.CANDIDATES, PairHerding.candidates(48, classes(48, 766)));
        assertEquals(PairHerding.FEWER_CANDIDATES, PairHerding.candidates(48, classes(48, 3070)));
        // 128 players at 2,047 pairs (just under 32·M): pairs of 32 players on average, fewer candidates.
        int few = PairHerding.candidates(128, classes(128, 4094));
        assertTrue(few >= 2 && few < PairHerding.CANDIDATES, "candidates " + few);
        // More than 2,048 pairs: none, and the design draws uniformly, with the level rule's counts.
        assertEquals(0, PairHerding.candidates(48, classes(48, 4 * PairHerding.MAX_PAIRS)));
        LeverageDesign herded = design(48, 32_766, 3, true);
        LeverageDesign uniform = design(48, 32_766, 3, false);
        for (int j = 0; j < herded.size(); j++) {
            assertArrayEquals(uniform.masks().get(j), herded.masks().get(j));
        }
    }

    @Test
    void theMemoryBoundCoversTheListedPairsAndStaysSmall() {
        // 128 players: twice the most pairs herded, each up to 64 players, and the size-1 class whole.
        long listed = (2L * PairHerding.MAX_PAIRS + 128) * 4 * 64;
        long bound = PairHerding.workingBytes(128);
        assertTrue(bound > listed + 8L * 128 * 128, "bound " + bound);
        assertTrue(bound < 2_000_000, "bound " + bound);
        // 8 players: every class is small and listed whole.
        assertTrue(PairHerding.workingBytes(8) > (8 + 28 + 56 + 70) * 4L * 4);
    }

    /** The gap of {@link #secondMomentGap} over the drawn pairs alone, each weighted by its class. */
    private static double drawnGap(int m, List<PairHerding.PairClass> classes, List<List<int[]>> drawn) {
        double[][] sums = new double[m][m];
        for (int c = 0; c < classes.size(); c++) {
            PairHerding.PairClass pc = classes.get(c);
            for (int[] rep : drawn.get(c)) {
                boolean[] z = new boolean[m];
                for (int i : rep) {
                    z[i] = true;
                }
                z[m - 1] |= pc.fixesLast();
                addProducts(sums, z, pc.weight());
            }
        }
        double mean = 0;
        for (int x = 0; x < m; x++) {
            for (int y = x + 1; y < m; y++) {
                mean += sums[x][y];
            }
        }
        return squaredDistance(sums, mean / (m * (m - 1) / 2.0));
    }

    @Test
    void swappingPlayersBringsTheMomentsCloserStill() {
        // The same classes and seeds with and without the swaps (4·M of 30 players): the spread of
        // the pairs' weighted products around their mean, which every coalition of a size shares
        // (0.78 times as large with the swaps over these seeds).
        List<PairHerding.PairClass> classes = classes(30, 118);
        double swapped = 0;
        double candidatesOnly = 0;
        for (int seed = 0; seed < 20; seed++) {
            swapped += drawnGap(30, classes, PairHerding.draw(30, classes, new SplittableRandom(seed),
                    Cancellation.NEVER, true));
            candidatesOnly += drawnGap(30, classes, PairHerding.draw(30, classes, new SplittableRandom(seed),
                    Cancellation.NEVER, false));
        }
        assertTrue(swapped < 0.85 * candidatesOnly, "gap " + swapped / 20 + " swapped, " + candidatesOnly / 20 + " not");
    }

    /** The sampled classes of a design, as the design herds them. */
    private static List<PairHerding.PairClass> classes(int m, long budget) {
        LeverageDesign d = design(m, budget, 1, false);
        List<PairHerding.PairClass> out = new ArrayList<>();
        for (int s = 1; 2 * s <= m; s++) {
            long count = d.count(s);
            boolean middle = 2 * s == m;
            long pairs = middle ? count / 2 : count;
            if (pairs > 0 && d.inclusionProbability(s) < 1) {
                out.add(new PairHerding.PairClass(middle ? m - 1 : m, middle ? s - 1 : s, middle, Long.MAX_VALUE,
                        (int) pairs, 1.0 / (count * (double) s * (m - s))));
            }
        }
        return out;
    }

    @Test
    void aCancelledRequestStopsTheHerding() {
        RuntimeException stop = new RuntimeException("cancelled");
        int[] looks = {0};
        Cancellation afterTwoLooks = () -> {
            if (++looks[0] > 2) {
                throw stop;
            }
        };
        RuntimeException thrown = assertThrows(RuntimeException.class,
                () -> LeverageDesign.build(40, 4000, new SplittableRandom(1), afterTwoLooks, true));
        assertEquals(stop, thrown);
    }
}
