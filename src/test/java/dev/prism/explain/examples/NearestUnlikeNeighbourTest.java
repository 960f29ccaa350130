package dev.prism.explain.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.explain.examples.NearestUnlikeNeighbour.Answer;
import dev.prism.explain.examples.NearestUnlikeNeighbour.DifferingFeature;
import dev.prism.linalg.Cancellation;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NearestUnlikeNeighbourTest {
    private static final boolean[] CATEGORICAL = {false, false, true, false, false};

    /** Rows with a constant column (3) and a categorical one (2); the class is a rule on columns 0 and 2. */
    private static double[][] rows(int n, SplittableRandom rng) {
        double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            x[i] = new double[] {rng.nextGaussian(), rng.nextGaussian() * 10, rng.nextInt(3), 4, rng.nextDouble()};
        }
        return x;
    }

    private static int classOf(double[] row) {
        return row[0] > 0.5 ? 2 : row[2] == 1 ? 1 : 0;
    }

    @Test
    void theAnswerIsTheClosestRowOfAnotherClassWithItsDifferingFeatures() {
        SplittableRandom rng = new SplittableRandom(4);
        double[][] x = rows(400, rng);
        int[] classes = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            classes[i] = classOf(x[i]);
        }
        double[][] moments = BruteForce.moments(x);
        NearestUnlikeNeighbour nun = new NearestUnlikeNeighbour(
                ReferenceIndex.inputSpace(x, CATEGORICAL, null, Cancellation.NEVER), classes);
        double threshold = 0.25;
        for (double[] instance : rows(30, rng)) {
            instance[3] = 7; // off the constant: still never reported
            int c = classOf(instance);
            int best = -1;
            double bestDistance = Double.POSITIVE_INFINITY;
            for (int i = 0; i < x.length; i++) {
                double d = BruteForce.inputDistance(instance, x[i], moments, CATEGORICAL);
                if (classes[i] != c && d < bestDistance) {
                    best = i;
                    bestDistance = d;
                }
            }
            Answer answer = nun.find(instance, c, threshold, Cancellation.NEVER).orElseThrow();
            assertEquals(best, answer.row());
            assertEquals(bestDistance, answer.distance(), 1e-12);
            assertEquals(classes[best], answer.predictedClass());

            List<DifferingFeature> expected = new ArrayList<>();
            for (int j = 0; j < instance.length; j++) {
                if (CATEGORICAL[j]) {
                    if (x[best][j] != instance[j]) {
                        expected.add(new DifferingFeature(j, 1));
                    }
                } else if (moments[1][j] > 0) {
                    double z = (x[best][j] - instance[j]) / moments[1][j];
                    if (Math.abs(z) > threshold) {
                        expected.add(new DifferingFeature(j, z));
                    }
                }
            }
            expected.sort((a, b) -> Double.compare(Math.abs(b.difference()), Math.abs(a.difference())));
            assertEquals(expected.size(), answer.differing().size(), answer.toString());
            for (int f = 0; f < expected.size(); f++) {
                assertEquals(expected.get(f).feature(), answer.differing().get(f).feature());
                assertEquals(expected.get(f).difference(), answer.differing().get(f).difference(), 1e-12);
            }
        }
    }

    @Test
    void aZeroThresholdReportsEveryFeatureThatDiffersMostDifferentFirst() {
        // Column 0: mean 1, deviation 1 (values 0, 2); column 1: mean 5, deviation 5 (values 0, 10).
        double[][] x = {{0, 0, 1}, {2, 10, 1}, {0, 10, 2}, {2, 0, 2}};
        NearestUnlikeNeighbour nun = new NearestUnlikeNeighbour(ReferenceIndex.inputSpace(x,
                new boolean[] {false, false, true}, null, Cancellation.NEVER), new int[] {0, 0, 1, 1});
        // From {0, 0, 1}: row 2 is sqrt(4 + 1) away, row 3 sqrt(4 + 1) too: the lower row wins.
        Answer a = nun.find(new double[] {0, 0, 1}, 0, 0, Cancellation.NEVER).orElseThrow();
        assertEquals(2, a.row());
        assertEquals(Math.sqrt(5), a.distance());
        assertEquals(List.of(new DifferingFeature(1, 2.0), new DifferingFeature(2, 1.0)), a.differing());
        // A threshold of 2 drops the numeric difference of exactly 2, never the category.
        assertEquals(List.of(new DifferingFeature(2, 1.0)),
                nun.find(new double[] {0, 0, 1}, 0, 2, Cancellation.NEVER).orElseThrow().differing());
        // From class 1's side, the nearest row of class 0 to {2, 1, 2} is row 1 (distance
        // sqrt(3.24 + 1)), differing by feature 1, then 2.
        Answer b = nun.find(new double[] {2, 1, 2}, 1, 0, Cancellation.NEVER).orElseThrow();
        assertEquals(1, b.row());
        assertEquals(List.of(new DifferingFeature(1, 1.8), new DifferingFeature(2, 1.0)), b.differing());
    }

    @Test
    void noneWhenEveryReferenceRowSharesTheClass() {
        double[][] x = {{0, 1}, {1, 0}};
        NearestUnlikeNeighbour nun = new NearestUnlikeNeighbour(
                ReferenceIndex.inputSpace(x, new boolean[2], null, Cancellation.NEVER), new int[] {3, 3});
        assertEquals(Optional.empty(), nun.find(new double[] {0, 0}, 3, 0, Cancellation.NEVER));
        assertTrue(nun.find(new double[] {0, 0}, 1, 0, Cancellation.NEVER).isPresent());
        assertThrows(IllegalArgumentException.class, () -> nun.find(new double[] {0, 0}, 1, -1, Cancellation.NEVER));
        assertThrows(IllegalArgumentException.class, () -> new NearestUnlikeNeighbour(
                ReferenceIndex.inputSpace(x, new boolean[2], null, Cancellation.NEVER), new int[3]));
    }
}
