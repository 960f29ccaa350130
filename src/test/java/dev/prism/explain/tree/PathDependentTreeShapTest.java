package dev.prism.explain.tree;

import static dev.prism.explain.tree.PathCovers.EMPTY_COVER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.explain.tree.ArrayTrees.Mode;
import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PathDependentTreeShapTest {
    private static final double TOL = 1e-9;

    static Background rows(double[]... rows) {
        double[] data = new double[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, data, r * rows[0].length, rows[0].length);
        }
        return Background.uniform(new RowBlock(rows.length, rows[0].length, data));
    }

    private static TreeShapValues explain(ArrayTrees trees, double[] x, Background bg) {
        return new PathDependentTreeShap(trees, x.length, bg, Cancellation.NEVER).explain(x, Cancellation.NEVER);
    }

    private static TreeShapValues withReach(ArrayTrees trees, double[] x, Background bg) {
        return new PathDependentTreeShap(trees, x.length, bg, Cancellation.NEVER)
                .explainWithReach(x, Cancellation.NEVER);
    }

    @Test
    void equalsEnumerationOfEveryCoalitionOnRandomEnsembles() {
        Random rng = new Random(1802);
        int shared = 0;
        int chains = 0;
        int members = 0;
        int averaged = 0;
        int reachMoved = 0;
        for (int c = 0; c < 400; c++) {
            int m = 2 + rng.nextInt(7);
            int targets = 1 + rng.nextInt(3);
            RandomEnsembles gen = new RandomEnsembles(rng, m, targets);
            ArrayTrees trees = gen.ensemble(1 + rng.nextInt(4), 1 + rng.nextInt(5));
            double[] x = gen.row(0.15);
            Background bg = gen.background(1 + rng.nextInt(8), 0.15);
            double[][] v = Games.pathDependent(trees, x, bg);
            double[][] want = Games.shapley(v, m);
            TreeShapValues got = withReach(trees, x, bg);
            TreeShapValues plain = explain(trees, x, bg);
            assertEquals(targets, plain.values().length);
            assertEquals(targets + 1, got.values().length);
            for (int k = 0; k <= targets; k++) {
                assertArrayEquals(want[k], got.values()[k], TOL, "case " + c + ", column " + k);
                assertEquals(v[0][k], got.base()[k], TOL, "case " + c + ", base " + k);
                if (k < targets) {
                    assertArrayEquals(got.values()[k], plain.values()[k], 0);
                    assertEquals(got.base()[k], plain.base()[k], 0);
                }
            }
            if (Arrays.stream(want[targets]).anyMatch(p -> Math.abs(p) > 1e-3)) {
                reachMoved++;
            }
            shared += gen.shared;
            chains += gen.chains;
            members += gen.members;
            averaged += gen.averaged;
        }
        // The generator built every construct many times, and x often left the rows' paths.
        assertTrue(shared > 50 && chains > 50 && members > 50 && averaged > 50 && reachMoved > 50,
                "shared " + shared + ", chains " + chains + ", members " + members + ", averaged " + averaged
                        + ", reach moved " + reachMoved);
    }

    @Test
    void sumsToTheMarginOverTheBaseOnEnsemblesTooLargeToEnumerate() {
        Random rng = new Random(88);
        for (int c = 0; c < 20; c++) {
            RandomEnsembles gen = new RandomEnsembles(rng, 30, 3);
            ArrayTrees trees = gen.ensemble(25, 7);
            double[] x = gen.row(0.1);
            TreeShapValues got = withReach(trees, x, gen.background(60, 0.1));
            double[] margin = trees.margin(x);
            for (int k = 0; k <= 3; k++) {
                double sum = got.base()[k];
                for (double v : got.values()[k]) {
                    sum += v;
                }
                // The reach game is 1 at the full coalition: x reaches one leaf per tree.
                assertEquals(k < 3 ? margin[k] : 1, sum, TOL, "case " + c + ", column " + k);
            }
        }
    }

    @Test
    void aStumpGivesItsFeatureTheMarginOverTheCoverWeightedMean() {
        ArrayTrees trees = new ArrayTrees(1);
        trees.tree(trees.leq(1, 0.5, trees.leaf(3.0), trees.leaf(-2.0)));
        Background bg = new Background(rows(new double[] {0, 0}, new double[] {0, 1}, new double[] {0, 2}).rows(),
                new double[] {1, 1, 2});
        TreeShapValues got = explain(trees, new double[] {9, 0}, bg);
        // One quarter of the weight goes low (3), three quarters high (−2).
        double mean = 0.25 * 3 + 0.75 * -2;
        assertArrayEquals(new double[] {0, 3 - mean}, got.values()[0], 1e-15);
        assertEquals(mean, got.base()[0], 1e-15);
    }

    @Test
    void whenTheRowsReachEveryNodeTheBaseIsTheMeanMarginAndTheReachIsOne() {
        ArrayTrees trees = new ArrayTrees(2);
        int low = trees.leq(1, 0.5, trees.leaf(new int[] {0}, new double[] {1}),
                trees.leaf(new int[] {0, 1}, new double[] {2, -1}));
        trees.tree(trees.leq(0, 0.5, low, trees.leaf(new int[] {1}, new double[] {4}))).base(1, 0.5);
        Background bg = rows(new double[] {0, 0}, new double[] {0, 1}, new double[] {1, 1}, new double[] {1, 0});
        TreeShapValues got = withReach(trees, new double[] {0, 1}, bg);
        for (int k = 0; k < 2; k++) {
            double mean = 0;
            for (int r = 0; r < 4; r++) {
                mean += 0.25 * trees.margin(bg.rows().row(r))[k];
            }
            assertEquals(mean, got.base()[k], 1e-15);
        }
        assertArrayEquals(new double[] {0, 0}, got.values()[2], 1e-16);
        assertEquals(1, got.base()[2], 1e-16);
    }

    @Test
    void aFeatureNoTreeSplitsOnGetsExactlyZero() {
        ArrayTrees trees = new ArrayTrees(1);
        trees.tree(trees.leq(0, 0.5, trees.leq(2, 1.5, trees.leaf(1.0), trees.leaf(2.0)), trees.leaf(3.0)));
        TreeShapValues got = explain(trees, new double[] {0, 7, 3},
                rows(new double[] {1, 0, 0}, new double[] {0, 2, 2}, new double[] {0, 1, 1}));
        assertEquals(0.0, got.values()[0][1]);
        assertTrue(got.values()[0][0] != 0 && got.values()[0][2] != 0);
    }

    @Test
    void nodesNoRowReachesWeighTheirChildrenOneEachAsShapDoes() {
        // x0 ≤ 0 → (x1 ≤ 0 → a : b) : c; no row goes low at the root, and x does.
        double a = 1;
        double b = 2;
        double c = 4;
        ArrayTrees trees = new ArrayTrees(1);
        trees.tree(trees.leq(0, 0, trees.leq(1, 0, trees.leaf(a), trees.leaf(b)), trees.leaf(c)));
        TreeShapValues got = withReach(trees, new double[] {-1, -1}, rows(new double[] {1, 0}, new double[] {1, 1}));
        // Covers in rows: root 2, its high child 2, the low subtree e each, so q = e/2 on the
        // way in and 1 for both children below.
        double e = EMPTY_COVER;
        double none = c + e * (a + b) / 2;
        double only0 = a + b;
        double only1 = c + e * a / 2;
        double both = a;
        assertArrayEquals(new double[] {((only0 - none) + (both - only1)) / 2, ((only1 - none) + (both - only0)) / 2},
                got.values()[0], 1e-15);
        assertEquals(none, got.base()[0], 1e-15);
        // The same game with every leaf 1: x0 alone spreads weight 2 over the low subtree's leaves.
        double rNone = 1 + e;
        double rOnly0 = 2;
        double rOnly1 = 1 + e / 2;
        double rBoth = 1;
        assertArrayEquals(new double[] {((rOnly0 - rNone) + (rBoth - rOnly1)) / 2,
            ((rOnly1 - rNone) + (rBoth - rOnly0)) / 2}, got.values()[1], 1e-15);
        assertEquals(rNone, got.base()[1], 1e-15);
    }

    @Test
    void aSharedNodeHasTheCoversOfEachPathToIt() {
        // x0 = 1 → S, x0 = 2 → S, else c; S: x1 ≤ 0.5 → a : b.
        double a = 1;
        double b = 10;
        double c = 100;
        ArrayTrees trees = new ArrayTrees(1);
        int s = trees.leq(1, 0.5, trees.leaf(a), trees.leaf(b));
        trees.tree(trees.split(Mode.EQ, 0, 1, false, s, trees.split(Mode.EQ, 0, 2, false, s, trees.leaf(c))));
        Background bg = rows(new double[] {1, 0}, new double[] {2, 1}, new double[] {2, 1}, new double[] {3, 0});
        TreeShapValues got = explain(trees, new double[] {1, 1}, bg);
        // Along x0 = 1 the one row there goes low at S; along x0 = 2 both go high. Counting S's
        // children per node (1 low, 2 high) would give v({0}) = (a + 2b)/3 instead of a + e·b.
        double e = EMPTY_COVER;
        double none = a / 4 + b / 2 + c / 4 + e * (a + b) / 4;
        double only0 = a + e * b;
        double only1 = 3 * b / 4 + c / 4;
        double both = b;
        assertArrayEquals(new double[] {((only0 - none) + (both - only1)) / 2, ((only1 - none) + (both - only0)) / 2},
                got.values()[0], 1e-12);
    }

    @Test
    void asksTheCancellationAtEveryRowAndTreeAndLetsItsExceptionThrough() {
        ArrayTrees trees = new ArrayTrees(1);
        int leaf = trees.leaf(1.0);
        trees.tree(trees.leq(0, 0.5, leaf, trees.leaf(2.0))).tree(leaf);
        int[] asked = {0};
        Background bg = rows(new double[] {1}, new double[] {2}, new double[] {3});
        PathDependentTreeShap shap = new PathDependentTreeShap(trees, 1, bg, () -> asked[0]++);
        assertEquals(3, asked[0]);
        shap.explain(new double[] {0}, () -> asked[0]++);
        assertEquals(5, asked[0]);
        RuntimeException stop = new RuntimeException("stop");
        assertSame(stop, assertThrows(RuntimeException.class, () -> shap.explain(new double[] {0}, () -> {
            throw stop;
        })));
        assertSame(stop, assertThrows(RuntimeException.class, () -> new PathDependentTreeShap(trees, 1, bg, () -> {
            throw stop;
        })));
    }

    @Test
    void refusesInputsThatDoNotFit() {
        ArrayTrees trees = new ArrayTrees(1);
        trees.tree(trees.leq(1, 0.5, trees.leaf(1.0), trees.leaf(2.0)));
        assertThrows(IllegalArgumentException.class,
                () -> new PathDependentTreeShap(trees, 2, rows(new double[3]), Cancellation.NEVER));
        assertThrows(IllegalArgumentException.class,
                () -> new PathDependentTreeShap(trees, 1, rows(new double[1]), Cancellation.NEVER));
        PathDependentTreeShap shap = new PathDependentTreeShap(trees, 2, rows(new double[2]), Cancellation.NEVER);
        assertThrows(IllegalArgumentException.class, () -> shap.explain(new double[3], Cancellation.NEVER));
    }
}
