package dev.prism.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.model.Background;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class BackgroundSummaryTest {

    /** Three tight groups far apart, with unequal row weights; returns rows and weights. */
    private static Background separated() {
        double[][] centres = {{0, 0, 1}, {100, 5, 0}, {-50, 200, 1}};
        int[] sizes = {7, 12, 5};
        SplittableRandom rng = new SplittableRandom(11);
        int n = 24;
        double[] data = new double[n * 3];
        double[] weights = new double[n];
        int r = 0;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < sizes[c]; i++, r++) {
                data[r * 3] = centres[c][0] + rng.nextInt(-3, 4);
                data[r * 3 + 1] = centres[c][1] + rng.nextInt(-3, 4) * 0.5;
                data[r * 3 + 2] = centres[c][2]; // a binary column
                weights[r] = 1 + rng.nextInt(5);
            }
        }
        return new Background(new RowBlock(n, 3, data), weights);
    }

    private static int clusterOf(double[] row) {
        return row[0] > 50 ? 1 : row[1] > 100 ? 2 : 0;
    }

    /** The value of column col nearest to target (first row on ties), computed by a plain scan. */
    private static double nearestInColumn(Background bg, int col, double target) {
        double best = Double.NaN;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (int i = 0; i < bg.size(); i++) {
            double v = bg.rows().get(i, col);
            if (Math.abs(v - target) < bestDistance) {
                bestDistance = Math.abs(v - target);
                best = v;
            }
        }
        return best;
    }

    @Test
    void separatedClustersGiveTheirWeightsAndSnappedWeightedMeans() {
        Background bg = separated();
        Background summary = BackgroundSummary.kmeans(bg, 3, 5);
        assertEquals(3, summary.size());

        double[] expectedWeight = new double[3];
        double[][] weightedSum = new double[3][3];
        for (int i = 0; i < bg.size(); i++) {
            double[] row = bg.rows().row(i);
            int c = clusterOf(row);
            expectedWeight[c] += bg.weight(i);
            for (int col = 0; col < 3; col++) {
                weightedSum[c][col] += bg.weight(i) * row[col];
            }
        }
        Set<Integer> found = new HashSet<>();
        for (int r = 0; r < 3; r++) {
            double[] centre = summary.rows().row(r);
            int c = clusterOf(centre);
            assertTrue(found.add(c), "one centre per cluster");
            assertEquals(expectedWeight[c], summary.weight(r), 1e-12, "cluster weight");
            for (int col = 0; col < 3; col++) {
                double mean = weightedSum[c][col] / expectedWeight[c];
                assertEquals(nearestInColumn(bg, col, mean), centre[col], 0.0, "snapped weighted mean");
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameSummary() {
        Background bg = randomBackground(200, 4, 3);
        Background a = BackgroundSummary.kmeans(bg, 7, 99);
        Background b = BackgroundSummary.kmeans(bg, 7, 99);
        assertArrayEquals(a.rows().data(), b.rows().data());
        assertArrayEquals(a.weights(), b.weights());
    }

    @Test
    void snappedValuesBelongToTheirColumns() {
        Background bg = randomBackground(300, 5, 8);
        Background summary = BackgroundSummary.kmeans(bg, 10, 1);
        assertEquals(10, summary.size());
        double total = 0;
        for (int r = 0; r < summary.size(); r++) {
            total += summary.weight(r);
            for (int col = 0; col < 5; col++) {
                double v = summary.rows().get(r, col);
                boolean present = false;
                for (int i = 0; i < bg.size(); i++) {
                    present |= bg.rows().get(i, col) == v;
                }
                assertTrue(present, "row " + r + " column " + col + " value " + v);
            }
        }
        assertEquals(1, total, 1e-12);
    }

    @Test
    void missingValuesAreImputedAndNeverASnappingTarget() {
        double[] data = {1, Double.NaN, 2, 10, 1.5, 11, 40, Double.NaN, 41, 50, 60, 52};
        Background bg = Background.uniform(new RowBlock(6, 2, data));
        Background summary = BackgroundSummary.kmeans(bg, 2, 3);
        for (double v : summary.rows().data()) {
            assertFalse(Double.isNaN(v));
        }
    }

    @Test
    void smallBackgroundsAreKeptAndKMustBePositive() {
        Background bg = randomBackground(4, 2, 1);
        assertSame(bg, BackgroundSummary.kmeans(bg, 4, 1));
        assertThrows(IllegalArgumentException.class, () -> BackgroundSummary.kmeans(bg, 0, 1));
    }

    @Test
    void duplicateRowsCollapseAndEmptyClustersAreDropped() {
        // Two distinct rows repeated: at most two clusters can hold weight.
        double[] data = {1, 1, 1, 1, 5, 5, 1, 1, 5, 5};
        Background bg = Background.uniform(new RowBlock(5, 2, data));
        Background summary = BackgroundSummary.kmeans(bg, 4, 2);
        assertEquals(2, summary.size());
        double[] weights = summary.weights();
        java.util.Arrays.sort(weights);
        assertArrayEquals(new double[] {0.4, 0.6}, weights, 1e-12);
    }

    @Test
    void aCancelledRequestGetsItsReasonBeforeAnyClustering() {
        RequestContext context = RequestContext.detached();
        context.cancel(Reason.DEADLINE_EXCEEDED);
        PrismException e = assertThrows(PrismException.class,
                () -> BackgroundSummary.kmeans(separated(), 3, 5, context));
        assertEquals(Reason.DEADLINE_EXCEEDED, e.reason());
    }

    /** A summary that takes tens of seconds to the end stops once its request is cancelled. */
    @Test
    @Timeout(value = 15, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void cancellingTheRequestStopsALongSummary() throws InterruptedException {
        Background bg = randomBackground(20_000, 8, 5);
        RequestContext context = RequestContext.detached();
        CompletableFuture<Background> run = CompletableFuture.supplyAsync(
                () -> BackgroundSummary.kmeans(bg, 500, 1, context));
        Thread.sleep(100);
        context.cancel(Reason.CANCELLED);
        ExecutionException e = assertThrows(ExecutionException.class, run::get);
        assertEquals(Reason.CANCELLED, assertInstanceOf(PrismException.class, e.getCause()).reason());
    }

    private static Background randomBackground(int n, int d, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] data = new double[n * d];
        double[] weights = new double[n];
        for (int i = 0; i < n; i++) {
            for (int col = 0; col < d; col++) {
                // a mix of continuous and small-integer columns
                data[i * d + col] = col % 2 == 0 ? rng.nextGaussian() : rng.nextInt(4);
            }
            weights[i] = rng.nextDouble() + 0.1;
        }
        return new Background(new RowBlock(n, d, data), weights);
    }
}
