package dev.prism.explain.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.FeatureGroups;
import dev.prism.explain.Link;
import dev.prism.explain.RowStream;
import dev.prism.explain.evaluation.DeletionCurve.Direction;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.ExplainerRun;
import dev.prism.testing.FunctionModel;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeletionCurveTest {
    private static final double[] W = {0.5, -1.25, 2.0, 0.0, 3.5};
    private static final double C = 0.75;
    private static final double[] X = {1, 2, -1, 4, 0.5};
    /** Three background rows weighted 1:2:1. */
    private static final Background BACKGROUND = new Background(new RowBlock(3, 5, new double[] {
            0, 0, 0, 0, 0,
            1, 1, 1, 1, 1,
            2, -2, 4, 0, 1}), new double[] {1, 2, 1});
    private static final FeatureGroups SINGLETONS = FeatureGroups.singletons(List.of("a", "b", "c", "d", "e"));
    /** f(x) = w·x + c in column 1; column 0 is noise the curve must not read. */
    private final FunctionModel model = new FunctionModel(5, 2, x -> new double[] {x[0] * x[1], dot(x) + C});

    private static double dot(double[] x) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += W[i] * x[i];
        }
        return s;
    }

    /** Exact Shapley values of the linear model over the weighted background: w_i (x_i − μ_i). */
    private static double[] shapley(Background background) {
        double[] phi = new double[W.length];
        for (int i = 0; i < W.length; i++) {
            double mean = 0;
            for (int k = 0; k < background.size(); k++) {
                mean += background.weight(k) * background.rows().get(k, i);
            }
            phi[i] = W[i] * (X[i] - mean);
        }
        return phi;
    }

    private DeletionCurve curve(Direction direction, Background background, double[] phi, int steps) {
        return ExplainerRun.of((runner, progress, context, budget) -> DeletionCurve.of(
                new RowStream(runner, progress, context, budget, AveragedScores.MAX_ROWS_IN_FLIGHT), direction, X,
                background, SINGLETONS, phi, 1, Link.IDENTITY, steps)).on(model).run();
    }

    /** f(x) − Σ of the first k attributions in the order, by hand. */
    private static double[] deletionByHand(double[] phi, int[] order) {
        double[] v = new double[order.length + 1];
        v[0] = dot(X) + C;
        for (int k = 1; k <= order.length; k++) {
            v[k] = v[k - 1] - phi[order[k - 1]];
        }
        return v;
    }

    /**
     * The normalised area of hand-made curves: both rescaled by their common range to [0, 1], so their
     * order is the one in output units, whatever the sign of the outputs; NaN when every point is equal.
     */
    @Test
    void normalizedAreaRescalesBothCurvesByTheirCommonRange() {
        int[] moved = {0, 1, 2, 3, 4};
        // A regression output below its reference: f(x) = -2, the reference's -10; range [-11, 3].
        double[] down = {-2, -6, -8, -11, -10};
        double[] up = {-10, 3, 0, -1, -2};
        DeletionCurve deletion = new DeletionCurve(Direction.DELETION, new int[] {0, 1, 2, 3}, moved, down,
                DeletionCurve.area(moved, down, 4));
        DeletionCurve insertion = new DeletionCurve(Direction.INSERTION, new int[] {0, 1, 2, 3}, moved, up,
                DeletionCurve.area(moved, up, 4));
        double[] d = {9 / 14.0, 5 / 14.0, 3 / 14.0, 0, 1 / 14.0};
        double[] i = {1 / 14.0, 1, 11 / 14.0, 10 / 14.0, 9 / 14.0};
        assertEquals(trapezoid(d), deletion.normalizedArea(insertion), 1e-15);
        assertEquals(trapezoid(i), insertion.normalizedArea(deletion), 1e-15);
        assertTrue(deletion.area() < insertion.area());
        assertTrue(deletion.normalizedArea(insertion) < insertion.normalizedArea(deletion));
        DeletionCurve flat = new DeletionCurve(Direction.DELETION, new int[] {0, 1}, new int[] {0, 1, 2},
                new double[] {5, 5, 5}, 0);
        assertEquals(Double.NaN, flat.normalizedArea(flat));
    }

    private static double trapezoid(double[] v) {
        double area = 0;
        for (int k = 1; k < v.length; k++) {
            area += (v[k] + v[k - 1]) / 2;
        }
        return area / (v.length - 1);
    }

    @Test
    void deletionOfExactShapleyValuesOnALinearModelFollowsTheClosedForm() {
        double[] phi = shapley(BACKGROUND);
        // μ = (1, 0, 1.5, 0.5, 0.75): φ = (0, -2.5, -5, 0, -0.875), ordered by decreasing signed φ.
        assertArrayEquals(new double[] {0, -2.5, -5, 0, -0.875}, phi, 1e-15);
        DeletionCurve curve = curve(Direction.DELETION, BACKGROUND, phi, 0);
        assertArrayEquals(new int[] {0, 3, 4, 1, 2}, curve.order());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, curve.moved());
        double[] want = deletionByHand(phi, curve.order());
        assertArrayEquals(want, curve.values(), 1e-12);
        double area = 0;
        for (int k = 0; k < 5; k++) {
            area += (want[k] + want[k + 1]) / 2 / 5;
        }
        assertEquals(area, curve.area(), 1e-12);
        // The last point is the background's mean prediction.
        assertEquals(dot(new double[] {1, 0, 1.5, 0.5, 0.75}) + C, curve.values()[5], 1e-12);
    }

    @Test
    void insertionStartsFromTheBackgroundAndAddsTheLargestAttributionsFirst() {
        double[] phi = {3, -1, 2, 0.5, -4};
        DeletionCurve curve = curve(Direction.INSERTION, BACKGROUND, shapley(BACKGROUND), 0);
        double[] exact = shapley(BACKGROUND);
        double[] want = new double[6];
        want[0] = dot(new double[] {1, 0, 1.5, 0.5, 0.75}) + C;
        int[] order = curve.order();
        for (int k = 1; k <= 5; k++) {
            want[k] = want[k - 1] + exact[order[k - 1]];
        }
        assertArrayEquals(want, curve.values(), 1e-12);
        assertEquals(dot(X) + C, curve.values()[5], 1e-12);
        // The order is the attribution's, not the model's: a wrong attribution moves other features first.
        DeletionCurve other = curve(Direction.INSERTION, BACKGROUND, phi, 0);
        assertArrayEquals(new int[] {0, 2, 3, 1, 4}, other.order());
        double[] wrong = new double[6];
        wrong[0] = want[0];
        for (int k = 1; k <= 5; k++) {
            wrong[k] = wrong[k - 1] + exact[other.order()[k - 1]];
        }
        assertArrayEquals(wrong, other.values(), 1e-12);
    }

    @Test
    void aBaselineRowReplacesRemovedFeatures() {
        Background baseline = new Background(new RowBlock(1, 5, new double[] {0, 1, 0, 0, 2}), new double[] {7});
        double[] phi = shapley(baseline);
        DeletionCurve curve = curve(Direction.DELETION, baseline, phi, 0);
        assertArrayEquals(deletionByHand(phi, curve.order()), curve.values(), 1e-12);
        assertEquals(dot(new double[] {0, 1, 0, 0, 2}) + C, curve.values()[5], 1e-12);
    }

    @Test
    void stepsGroupFeaturesEvenly() {
        double[] phi = shapley(BACKGROUND);
        DeletionCurve curve = curve(Direction.DELETION, BACKGROUND, phi, 2);
        assertArrayEquals(new int[] {0, 3, 5}, curve.moved());
        double[] byOne = deletionByHand(phi, curve.order());
        assertArrayEquals(new double[] {byOne[0], byOne[3], byOne[5]}, curve.values(), 1e-12);
        assertEquals((3 * (byOne[0] + byOne[3]) / 2 + 2 * (byOne[3] + byOne[5]) / 2) / 5, curve.area(), 1e-12);
        assertEquals(3 * 3, DeletionCurve.modelRows(5, 2, 3));
        assertEquals(6 * 3, DeletionCurve.modelRows(5, 0, 3));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, DeletionCurve.movedCounts(5, 7));
    }

    @Test
    void groupedFeaturesMoveTogetherAndUngroupedElementsKeepTheInstance() {
        FeatureGroups groups = FeatureGroups.of(5, List.of(new int[] {0, 2}, new int[] {4}), List.of("ac", "e"));
        Background baseline = new Background(RowBlock.zeros(1, 5), new double[] {1});
        double[] phi = {W[0] * X[0] + W[2] * X[2], W[4] * X[4]};
        DeletionCurve curve = ExplainerRun.of((runner, progress, context, budget) -> DeletionCurve.of(
                new RowStream(runner, progress, context, budget, 100), Direction.DELETION, X, baseline, groups, phi,
                1, Link.IDENTITY, 0)).on(model).run();
        assertArrayEquals(new int[] {1, 0}, curve.order());
        double f = dot(X) + C;
        assertArrayEquals(new double[] {f, f - phi[1], f - phi[1] - phi[0]}, curve.values(), 1e-12);
    }

    @Test
    void manyRowsGoInSeveralChunksWithTheSameValuesAndCancellationStopsThem() {
        int n = 6000;
        double[] rows = new double[n * 5];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < 5; i++) {
                rows[r * 5 + i] = (r % 7) - i;
            }
        }
        Background large = Background.uniform(new RowBlock(n, 5, rows));
        double[] phi = shapley(large);
        DeletionCurve curve = curve(Direction.DELETION, large, phi, 0);
        assertArrayEquals(deletionByHand(phi, curve.order()), curve.values(), 1e-9);

        // Two points (12,000 rows) per chunk: cancelled after the first, the other two never run.
        FunctionModel counted = new FunctionModel(5, 2, x -> new double[] {0, dot(x)});
        PrismException e = assertThrows(PrismException.class, () -> ExplainerRun.of((runner, progress, context, budget) ->
                DeletionCurve.of(new RowStream(runner, progress, context, budget, n), Direction.DELETION, X, large,
                        SINGLETONS, phi, 1, Link.IDENTITY, 0)).on(counted).synchronously().cancelAfterSubmits(1).run());
        assertEquals(Reason.CANCELLED, e.reason());
        assertEquals(List.of(2 * n), counted.batchSizes());
    }

    @Test
    void refusesAttributionsOfAnotherLength() {
        assertThrows(IllegalArgumentException.class, () -> curve(Direction.DELETION, BACKGROUND, new double[] {1, 2}, 0));
    }
}
