package dev.prism.explain.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.linalg.Cancellation;
import dev.prism.tensor.RowBlock;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

class ReferenceIndexTest {
    private static final boolean[] MIXED = {false, true, false, false, true, false};

    /** Numeric columns on very different scales and offsets; categorical columns take 0, 1 or 2. */
    private static double[][] mixed(int n, SplittableRandom rng) {
        double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            x[i] = new double[] {rng.nextGaussian() * 100 + 7, rng.nextInt(3), rng.nextDouble(),
                    rng.nextGaussian() * 0.01 - 3, rng.nextInt(3), rng.nextGaussian() * 5};
        }
        return x;
    }

    private static void assertMatchesBruteForce(ReferenceIndex index, double[][] x, double[] query, int k,
            IntPredicate accept, double[] bruteDistances) {
        Integer[] expected = BruteForce.nearest(bruteDistances, k, accept);
        Neighbours got = index.nearest(query, k, accept, Cancellation.NEVER);
        assertEquals(expected.length, got.size());
        for (int r = 0; r < expected.length; r++) {
            assertEquals(expected[r], got.rows()[r], "rank " + r);
            assertEquals(bruteDistances[expected[r]], got.distances()[r], 1e-12 * (1 + bruteDistances[expected[r]]));
        }
    }

    @Test
    void nearestInInputSpaceIsTheBruteForceAnswer() {
        SplittableRandom rng = new SplittableRandom(3);
        double[][] x = mixed(500, rng);
        double[][] moments = BruteForce.moments(x);
        ReferenceIndex index = ReferenceIndex.inputSpace(x, MIXED, null, Cancellation.NEVER);
        double[][] queries = mixed(12, rng);
        queries[0] = x[17].clone();
        queries[1][1] = 9; // a category the reference never shows: it mismatches every row
        for (double[] query : queries) {
            double[] distances = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                distances[i] = BruteForce.inputDistance(query, x[i], moments, MIXED);
            }
            for (int k : new int[] {1, 5, 17}) {
                assertMatchesBruteForce(index, x, query, k, i -> true, distances);
                assertMatchesBruteForce(index, x, query, k, i -> i % 3 == 1, distances);
            }
        }
        Neighbours self = index.nearest(x[17], 1, Cancellation.NEVER);
        assertEquals(17, self.rows()[0]);
        assertEquals(0.0, self.distances()[0]);
    }

    @Test
    void aCategoryMismatchWeighsOneAndStandardisationUsesThePopulationDeviation() {
        // Numeric column {0, 2}: mean 1, population deviation 1, so standardised values -1 and 1.
        double[][] x = {{0, 5}, {2, 5}, {0, 6}};
        // mean 2/3, deviation sqrt(8/9); the first two rows are 2 / sqrt(8/9) apart.
        ReferenceIndex index = ReferenceIndex.inputSpace(x, new boolean[] {false, true}, null, Cancellation.NEVER);
        assertEquals(2 / Math.sqrt(8.0 / 9), index.distance(0, 1), 1e-15);
        assertEquals(1.0, index.distance(0, 2));
        assertEquals(Math.sqrt(4 / (8.0 / 9) + 1), index.distance(1, 2), 1e-15);
    }

    @Test
    void kBeyondTheSetReturnsEveryRowInOrder() {
        SplittableRandom rng = new SplittableRandom(5);
        double[][] x = mixed(9, rng);
        double[][] moments = BruteForce.moments(x);
        ReferenceIndex index = ReferenceIndex.inputSpace(x, MIXED, null, Cancellation.NEVER);
        double[] query = mixed(1, rng)[0];
        double[] distances = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            distances[i] = BruteForce.inputDistance(query, x[i], moments, MIXED);
        }
        assertMatchesBruteForce(index, x, query, 50, i -> true, distances);
        assertEquals(9, index.nearest(query, Integer.MAX_VALUE, Cancellation.NEVER).size());
        assertEquals(0, index.nearest(query, 3, i -> false, Cancellation.NEVER).size());
        assertThrows(IllegalArgumentException.class, () -> index.nearest(query, 0, Cancellation.NEVER));
    }

    @Test
    void tiesGoToTheLowerRowIndex() {
        // Rows 1, 3, 4 and 6 differ from the query in one category each (distance exactly 1); rows 2
        // and 5 equal it (distance 0); row 0 differs in both.
        double[][] x = {{1, 1}, {0, 1}, {0, 0}, {1, 0}, {0, 1}, {0, 0}, {1, 0}};
        ReferenceIndex index = ReferenceIndex.inputSpace(x, new boolean[] {true, true}, null, Cancellation.NEVER);
        Neighbours n = index.nearest(new double[] {0, 0}, 4, Cancellation.NEVER);
        assertArrayEquals(new int[] {2, 5, 1, 3}, n.rows());
        assertArrayEquals(new double[] {0, 0, 1, 1}, n.distances());
        assertArrayEquals(new int[] {2, 5, 1, 3, 4, 6, 0},
                index.nearest(new double[] {0, 0}, 7, Cancellation.NEVER).rows());
        assertArrayEquals(new int[] {4, 6}, index.nearest(new double[] {0, 0}, 2, i -> i > 3 && i != 5,
                Cancellation.NEVER).rows());
    }

    @Test
    void aConstantFeatureContributesNothing() {
        SplittableRandom rng = new SplittableRandom(8);
        double[][] x = new double[200][];
        double[][] without = new double[200][];
        for (int i = 0; i < x.length; i++) {
            // 0.1 summed 200 times and divided is not 0.1: the constant is found by equality.
            x[i] = new double[] {rng.nextGaussian(), 0.1, rng.nextGaussian() * 3};
            without[i] = new double[] {x[i][0], x[i][2]};
        }
        ReferenceIndex index = ReferenceIndex.inputSpace(x, new boolean[3], null, Cancellation.NEVER);
        ReferenceIndex reduced = ReferenceIndex.inputSpace(without, new boolean[2], null, Cancellation.NEVER);
        assertFalse(index.counts(1));
        assertTrue(index.counts(0) && index.counts(2));
        Neighbours a = index.nearest(new double[] {0.3, 40, -1}, 10, Cancellation.NEVER);
        Neighbours b = reduced.nearest(new double[] {0.3, -1}, 10, Cancellation.NEVER);
        assertArrayEquals(b.rows(), a.rows());
        assertArrayEquals(b.distances(), a.distances());
        assertEquals(0.0, index.differences(new double[] {0.3, 40, -1}, 0)[1]);
    }

    @Test
    void nonFiniteValuesAreRefusedWithTheirPlace() {
        double[][] x = {{1, 2}, {3, 4}, {5, Double.NaN}};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceIndex.inputSpace(x, new boolean[2], null, Cancellation.NEVER));
        assertEquals("reference row 2, feature 1 is NaN; values must be finite", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ReferenceIndex.euclidean(x, null, Cancellation.NEVER));
        ReferenceIndex ok = ReferenceIndex.inputSpace(new double[][] {{1, 2}, {3, 4}}, new boolean[2], null,
                Cancellation.NEVER);
        IllegalArgumentException q = assertThrows(IllegalArgumentException.class,
                () -> ok.nearest(new double[] {Double.POSITIVE_INFINITY, 0}, 1, Cancellation.NEVER));
        assertEquals("query feature 0 is Infinity; values must be finite", q.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ok.nearest(new double[] {1}, 1, Cancellation.NEVER));
        assertThrows(IllegalArgumentException.class,
                () -> ReferenceIndex.inputSpace(new double[0][], new boolean[0], null, Cancellation.NEVER));
        assertThrows(IllegalArgumentException.class,
                () -> ReferenceIndex.inputSpace(new double[][] {{1, 2}}, new boolean[2], new double[2],
                        Cancellation.NEVER));
    }

    @Test
    void theEuclideanSpaceTakesVectorsAsTheyAre() {
        SplittableRandom rng = new SplittableRandom(13);
        int n = 300;
        double[][] v = new double[n][];
        double[] labels = new double[n];
        for (int i = 0; i < n; i++) {
            // One column a thousand times wider than the other: standardising would reorder the answer.
            v[i] = new double[] {rng.nextGaussian() * 1000, rng.nextGaussian(), rng.nextInt(2)};
            labels[i] = i % 4;
        }
        ReferenceIndex index = ReferenceIndex.euclidean(v, labels, Cancellation.NEVER);
        for (int t = 0; t < 10; t++) {
            double[] query = {rng.nextGaussian() * 1000, rng.nextGaussian(), 1};
            double[] distances = new double[n];
            for (int i = 0; i < n; i++) {
                distances[i] = BruteForce.euclidean(query, v[i]);
            }
            assertMatchesBruteForce(index, v, query, 7, i -> true, distances);
        }
        assertTrue(index.counts(2));
        assertEquals(3.0, index.label(7));
        assertTrue(index.hasLabels());
        ReferenceIndex unlabelled = ReferenceIndex.euclidean(v, null, Cancellation.NEVER);
        assertFalse(unlabelled.hasLabels());
        assertThrows(IllegalStateException.class, () -> unlabelled.label(0));
        assertEquals(Math.sqrt(3 * 3 + 4 * 4), ReferenceIndex.euclidean(new double[][] {{0, 0}, {3, 4}}, null,
                Cancellation.NEVER).distance(0, 1));
    }

    @Test
    void aCancelledQueryStopsWithTheCallersException() {
        double[][] x = mixed(10_000, new SplittableRandom(1));
        ReferenceIndex index = ReferenceIndex.inputSpace(x, MIXED, null, Cancellation.NEVER);
        IllegalStateException stop = new IllegalStateException("stop");
        int[] checks = {0};
        Cancellation second = () -> {
            if (++checks[0] == 2) {
                throw stop;
            }
        };
        assertSame(stop, assertThrows(IllegalStateException.class, () -> index.nearest(x[0], 3, second)));
        checks[0] = 0;
        assertSame(stop, assertThrows(IllegalStateException.class,
                () -> ReferenceIndex.inputSpace(x, MIXED, null, second)));
    }

    @Test
    void theFootprintIsTheEncodedRowsAndLittleMore() {
        int n = 1000;
        double[][] x = mixed(n, new SplittableRandom(2));
        long rowsBytes = 8L * n * MIXED.length;
        long bytes = ReferenceIndex.inputSpace(x, MIXED, null, Cancellation.NEVER).bytes();
        assertTrue(bytes >= rowsBytes && bytes < rowsBytes + 1024, "bytes " + bytes);
        long labelled = ReferenceIndex.inputSpace(x, MIXED, new double[n], Cancellation.NEVER).bytes();
        assertEquals(bytes + 16 + 8L * n, labelled);
    }

    @Test
    void aHundredThousandRowsAnswerAsBruteForce() {
        int n = 100_000;
        int d = 30;
        SplittableRandom rng = new SplittableRandom(21);
        double[] data = new double[n * d];
        boolean[] categorical = new boolean[d];
        for (int j = 0; j < d; j += 5) {
            categorical[j] = true;
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                data[i * d + j] = categorical[j] ? rng.nextInt(4) : rng.nextGaussian() * (j + 1);
            }
        }
        RowBlock block = new RowBlock(n, d, data);
        ReferenceIndex index = ReferenceIndex.inputSpace(block, categorical, null, Cancellation.NEVER);
        double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            x[i] = block.row(i);
        }
        double[][] moments = BruteForce.moments(x);
        for (int t = 0; t < 3; t++) {
            double[] query = block.row(rng.nextInt(n));
            query[1] += 0.5;
            double[] distances = new double[n];
            for (int i = 0; i < n; i++) {
                distances[i] = BruteForce.inputDistance(query, x[i], moments, categorical);
            }
            assertMatchesBruteForce(index, x, query, 10, i -> true, distances);
        }
    }
}
