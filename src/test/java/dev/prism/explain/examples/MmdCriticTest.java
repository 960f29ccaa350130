package dev.prism.explain.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.explain.examples.MmdCritic.Selection;
import dev.prism.linalg.Cancellation;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

class MmdCriticTest {
    private static final int A = 60;
    private static final int B = 30;
    private static final double[][] OUTLIERS = {{4, -7}, {-7, 5}, {14, -1}};

    /** 60 points around (0, 0), 30 around (8, 8), then three lone points far from both and each other. */
    private static double[][] clustersAndOutliers() {
        SplittableRandom rng = new SplittableRandom(17);
        double[][] x = new double[A + B + OUTLIERS.length][];
        for (int i = 0; i < A + B; i++) {
            double c = i < A ? 0 : 8;
            x[i] = new double[] {c + rng.nextGaussian() * 0.5, c + rng.nextGaussian() * 0.5};
        }
        for (int o = 0; o < OUTLIERS.length; o++) {
            x[A + B + o] = OUTLIERS[o].clone();
        }
        return x;
    }

    private static double kernel(double[] a, double[] b, double sigma) {
        double d = BruteForce.euclidean(a, b);
        return Math.exp(-d * d / (2 * sigma * sigma));
    }

    /** J(S) written out from its definition. */
    private static double naiveObjective(double[][] set, int[] chosen, double sigma) {
        int n = set.length;
        int s = chosen.length;
        double cross = 0;
        for (double[] x : set) {
            for (int j : chosen) {
                cross += kernel(x, set[j], sigma);
            }
        }
        double within = 0;
        for (int i : chosen) {
            for (int j : chosen) {
                within += kernel(set[i], set[j], sigma);
            }
        }
        return 2 * cross / ((double) n * s) - within / ((double) s * s);
    }

    private static double naiveMmdSquared(double[][] set, int[] chosen, double sigma) {
        double all = 0;
        for (double[] x : set) {
            for (double[] y : set) {
                all += kernel(x, y, sigma);
            }
        }
        return all / ((double) set.length * set.length) - naiveObjective(set, chosen, sigma);
    }

    private static double naiveWitness(double[][] set, int[] prototypes, int c, double sigma) {
        double data = 0;
        for (double[] x : set) {
            data += kernel(set[c], x, sigma);
        }
        double protos = 0;
        for (int p : prototypes) {
            protos += kernel(set[c], set[p], sigma);
        }
        return data / set.length - protos / prototypes.length;
    }

    private static double logDet(double[][] set, int[] rows, double sigma) {
        DMatrixRMaj k = new DMatrixRMaj(rows.length, rows.length);
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < rows.length; j++) {
                k.set(i, j, kernel(set[rows[i]], set[rows[j]], sigma));
            }
        }
        return rows.length == 0 ? 0 : Math.log(CommonOps_DDRM.det(k));
    }

    private static int[] with(int[] chosen, int c) {
        int[] out = Arrays.copyOf(chosen, chosen.length + 1);
        out[chosen.length] = c;
        return out;
    }

    private static boolean contains(int[] rows, int row) {
        return Arrays.stream(rows).anyMatch(r -> r == row);
    }

    /**
     * The prototypes carry no mass on the outliers, so each cluster is over-represented by them (a
     * negative witness) while each outlier is data no prototype explains (a positive witness of about
     * 1/n). The log-determinant regulariser lets each cluster give one criticism at most; after
     * those, the outliers follow.
     */
    @Test
    void prototypesComeFromBothClustersInProportionAndTheCriticismsFindTheOutliers() {
        double[][] x = clustersAndOutliers();
        ReferenceIndex space = ReferenceIndex.euclidean(x, null, Cancellation.NEVER);
        Selection s = MmdCritic.select(space, null, 9, 5, Cancellation.NEVER);
        long fromA = Arrays.stream(s.prototypes()).filter(r -> r < A).count();
        long fromB = Arrays.stream(s.prototypes()).filter(r -> r >= A && r < A + B).count();
        assertEquals(6, fromA, Arrays.toString(s.prototypes()));
        assertEquals(3, fromB, Arrays.toString(s.prototypes()));

        int[] critics = s.criticisms();
        int[] clusterCritics = Arrays.stream(critics).filter(r -> r < A + B).sorted().toArray();
        assertEquals(2, clusterCritics.length, Arrays.toString(critics));
        assertTrue(clusterCritics[0] < A && clusterCritics[1] >= A,
                "one from each cluster: " + Arrays.toString(critics));
        int[] outliers = Arrays.stream(critics).filter(r -> r >= A + B).sorted().toArray();
        assertArrayEquals(new int[] {A + B, A + B + 1, A + B + 2}, outliers);
        for (int t = 0; t < critics.length; t++) {
            if (critics[t] >= A + B) {
                assertEquals(1.0 / x.length, s.witness()[t], 1e-4, "an outlier's own mass, unexplained");
            } else {
                assertTrue(s.witness()[t] < -1.0 / x.length, "an over-represented cluster: " + s.witness()[t]);
            }
        }
    }

    @Test
    void theGreedyValuesAreTheObjectiveOfTheChosenSetsAndEachChoiceIsTheBest() {
        double[][] x = clustersAndOutliers();
        ReferenceIndex space = ReferenceIndex.euclidean(x, null, Cancellation.NEVER);
        double sigma = 2.5;
        Selection s = MmdCritic.select(space, null, 7, 5, sigma, Cancellation.NEVER);
        assertEquals(sigma, s.bandwidth());

        int[] chosen = new int[0];
        for (int t = 0; t < s.prototypes().length; t++) {
            double best = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < x.length; c++) {
                if (!contains(chosen, c)) {
                    best = Math.max(best, naiveObjective(x, with(chosen, c), sigma));
                }
            }
            chosen = with(chosen, s.prototypes()[t]);
            double value = naiveObjective(x, chosen, sigma);
            assertEquals(value, s.objective()[t], 1e-12, "prototype " + t);
            assertEquals(best, value, 1e-12, "prototype " + t + " is a greedy best");
            assertEquals(naiveMmdSquared(x, chosen, sigma), s.mmdSquared()[t], 1e-12);
        }
        assertTrue(s.mmdSquared()[6] < s.mmdSquared()[0]);

        int[] prototypes = s.prototypes();
        int[] critics = new int[0];
        for (int t = 0; t < s.criticisms().length; t++) {
            double before = logDet(x, critics, sigma);
            double best = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < x.length; c++) {
                if (!contains(prototypes, c) && !contains(critics, c)) {
                    best = Math.max(best, Math.abs(naiveWitness(x, prototypes, c, sigma))
                            + logDet(x, with(critics, c), sigma) - before);
                }
            }
            int c = s.criticisms()[t];
            critics = with(critics, c);
            double score = Math.abs(naiveWitness(x, prototypes, c, sigma)) + logDet(x, critics, sigma) - before;
            assertEquals(naiveWitness(x, prototypes, c, sigma), s.witness()[t], 1e-12);
            assertEquals(score, s.criticismScore()[t], 1e-9, "criticism " + t);
            assertEquals(best, score, 1e-9, "criticism " + t + " is a greedy best");
        }
    }

    @Test
    void aSubsetIsItsOwnSetAndAnswersInRowsOfTheIndex() {
        double[][] x = clustersAndOutliers();
        ReferenceIndex space = ReferenceIndex.euclidean(x, null, Cancellation.NEVER);
        int[] clusterB = new int[B];
        double[][] bRows = new double[B][];
        for (int i = 0; i < B; i++) {
            clusterB[i] = A + i;
            bRows[i] = x[A + i];
        }
        Selection sub = MmdCritic.select(space, clusterB, 3, 2, 1.0, Cancellation.NEVER);
        Selection alone = MmdCritic.select(ReferenceIndex.euclidean(bRows, null, Cancellation.NEVER), null, 3, 2,
                1.0, Cancellation.NEVER);
        assertArrayEquals(Arrays.stream(alone.prototypes()).map(r -> r + A).toArray(), sub.prototypes());
        assertArrayEquals(Arrays.stream(alone.criticisms()).map(r -> r + A).toArray(), sub.criticisms());
        assertArrayEquals(alone.objective(), sub.objective());
    }

    @Test
    void theMedianHeuristicIsTheMedianPositiveDistance() {
        double[][] x = {{0, 0}, {3, 4}, {3, 0}, {3, 0}};
        ReferenceIndex space = ReferenceIndex.euclidean(x, null, Cancellation.NEVER);
        // Positive distances: 5, 3, 3, 4, 4 (rows 2 and 3 coincide) → median 4.
        assertEquals(4.0, MmdCritic.medianBandwidth(space, null, Cancellation.NEVER));
        // Without row 3: 5, 3, 4 → 4; without row 1: 3, 3 → 3 (an even count averages the middle two).
        assertEquals(4.0, MmdCritic.medianBandwidth(space, new int[] {0, 1, 2}, Cancellation.NEVER));
        assertEquals(3.0, MmdCritic.medianBandwidth(space, new int[] {0, 2, 3}, Cancellation.NEVER));
        assertEquals(5.0, MmdCritic.medianBandwidth(space, new int[] {0, 1}, Cancellation.NEVER));
        assertEquals(1.0, MmdCritic.medianBandwidth(space, new int[] {2, 3}, Cancellation.NEVER));
        assertEquals(4.0, MmdCritic.select(space, null, 1, 0, Cancellation.NEVER).bandwidth());
    }

    @Test
    void badArgumentsAndCancellation() {
        ReferenceIndex space = ReferenceIndex.euclidean(clustersAndOutliers(), null, Cancellation.NEVER);
        assertThrows(IllegalArgumentException.class, () -> MmdCritic.select(space, null, 0, 0, 1, Cancellation.NEVER));
        assertThrows(IllegalArgumentException.class, () -> MmdCritic.select(space, null, 90, 4, 1, Cancellation.NEVER));
        assertThrows(IllegalArgumentException.class, () -> MmdCritic.select(space, null, 2, 0, 0, Cancellation.NEVER));
        assertThrows(IllegalArgumentException.class,
                () -> MmdCritic.select(space, new int[] {1, 1}, 1, 0, 1, Cancellation.NEVER));
        assertThrows(IllegalArgumentException.class,
                () -> MmdCritic.select(space, new int[] {1, 93}, 1, 0, 1, Cancellation.NEVER));
        IllegalStateException stop = new IllegalStateException("stop");
        int[] checks = {0};
        Cancellation later = () -> {
            if (++checks[0] == 50) {
                throw stop;
            }
        };
        assertSame(stop, assertThrows(IllegalStateException.class,
                () -> MmdCritic.select(space, null, 5, 3, 1, later)));
    }
}
