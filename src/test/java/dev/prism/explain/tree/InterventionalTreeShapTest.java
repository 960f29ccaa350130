package dev.prism.explain.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.explain.tree.ArrayTrees.Mode;
import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.testing.Shapley;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InterventionalTreeShapTest {
    private static final double TOL = 1e-9;

    private static Background rows(double[]... rows) {
        return Background.uniform(RandomEnsembles.block(rows));
    }

    private static TreeShapValues explain(ArrayTrees trees, double[] x, Background bg) {
        return new InterventionalTreeShap(trees, x.length).explain(x, bg, Cancellation.NEVER);
    }

    private static double weightedMeanMargin(ArrayTrees trees, Background bg, int target) {
        double m = 0;
        for (int r = 0; r < bg.size(); r++) {
            m += bg.weight(r) * trees.margin(bg.rows().row(r))[target];
        }
        return m;
    }

    @Test
    void equalsEnumerationOfEveryCoalitionOnRandomEnsembles() {
        Random rng = new Random(14);
        int shared = 0;
        int chains = 0;
        int members = 0;
        int averaged = 0;
        int sparse = 0;
        for (int c = 0; c < 400; c++) {
            int m = 2 + rng.nextInt(7);
            int targets = 1 + rng.nextInt(3);
            RandomEnsembles gen = new RandomEnsembles(rng, m, targets);
            ArrayTrees trees = gen.ensemble(1 + rng.nextInt(4), 1 + rng.nextInt(5));
            double[] x = gen.row(0.15);
            Background bg = gen.background(1 + rng.nextInt(6), 0.15);
            TreeShapValues got = explain(trees, x, bg);
            double[][] want = Shapley.bruteForce(trees::margin, x, bg, targets, v -> v);
            for (int k = 0; k < targets; k++) {
                assertArrayEquals(want[k], got.values()[k], TOL, "case " + c + ", target " + k);
                assertEquals(weightedMeanMargin(trees, bg, k), got.base()[k], TOL, "case " + c + ", base " + k);
            }
            shared += gen.shared;
            chains += gen.chains;
            members += gen.members;
            averaged += gen.averaged;
            sparse += gen.sparseLeaves;
        }
        // The generator built every construct many times, so the comparison covered them.
        assertTrue(shared > 50 && chains > 50 && members > 50 && averaged > 50 && sparse > 50,
                "shared " + shared + ", chains " + chains + ", members " + members + ", averaged " + averaged
                        + ", sparse leaves " + sparse);
    }

    @Test
    void sumsToTheMarginOverTheBaseOnEnsemblesTooLargeToEnumerate() {
        Random rng = new Random(41);
        for (int c = 0; c < 20; c++) {
            RandomEnsembles gen = new RandomEnsembles(rng, 30, 3);
            ArrayTrees trees = gen.ensemble(25, 7);
            double[] x = gen.row(0.1);
            Background bg = gen.background(40, 0.1);
            TreeShapValues got = explain(trees, x, bg);
            double[] margin = trees.margin(x);
            for (int k = 0; k < 3; k++) {
                double sum = got.base()[k];
                for (double v : got.values()[k]) {
                    sum += v;
                }
                assertEquals(margin[k], sum, TOL, "case " + c + ", target " + k);
            }
        }
    }

    @Test
    void aStumpGivesItsFeatureTheMarginOverTheMeanAndTheOthersNothing() {
        ArrayTrees trees = new ArrayTrees(1);
        trees.tree(trees.leq(1, 0.5, trees.leaf(3.0), trees.leaf(-2.0))).base(0, 0.25);
        double[] x = {7, 0, 7};
        Background bg = new Background(RandomEnsembles.block(new double[] {0, 1, 0}, new double[] {5, 0, 5}, new double[] {1, 2, 3}),
                new double[] {1, 1, 2});
        TreeShapValues got = explain(trees, x, bg);
        // margin(x) = 3.25; the background's margins -1.75, 3.25, -1.75 weigh 1/4, 1/4, 1/2.
        double mean = 0.25 * -1.75 + 0.25 * 3.25 + 0.5 * -1.75;
        assertArrayEquals(new double[] {0, 3.25 - mean, 0}, got.values()[0], 1e-15);
        assertEquals(mean, got.base()[0], 1e-15);
    }

    @Test
    void aFeatureNoTreeSplitsOnGetsExactlyZero() {
        Random rng = new Random(7);
        for (int c = 0; c < 20; c++) {
            RandomEnsembles gen = new RandomEnsembles(rng, 5, 2);
            ArrayTrees trees = gen.ensemble(3, 4);
            // Element 5 exists in the input but no tree splits on it.
            double[] x = widen(gen.row(0.1), 1.0);
            Background bg = rows(widen(gen.row(0.1), -1.0), widen(gen.row(0.1), 2.0));
            TreeShapValues got = explain(trees, x, bg);
            assertEquals(0.0, got.values()[0][5]);
            assertEquals(0.0, got.values()[1][5]);
        }
    }

    private static double[] widen(double[] row, double last) {
        double[] w = Arrays.copyOf(row, row.length + 1);
        w[row.length] = last;
        return w;
    }

    @Test
    void twoFeaturesThatPlayTheSameRoleGetEqualValues() {
        // f = [x0 > 0.5 and x1 > 0.5], tested in either order by two trees.
        ArrayTrees trees = new ArrayTrees(1);
        int zero = trees.leaf(0.0);
        trees.tree(trees.leq(0, 0.5, zero, trees.leq(1, 0.5, zero, trees.leaf(1.0))));
        trees.tree(trees.leq(1, 0.5, zero, trees.leq(0, 0.5, zero, trees.leaf(2.0))));
        TreeShapValues got = explain(trees, new double[] {1, 1, 1}, rows(new double[] {0, 0, 0}));
        assertArrayEquals(new double[] {1.5, 1.5, 0}, got.values()[0], 1e-15);
    }

    @Test
    void nanGoesWhereEachNodeSendsIt() {
        for (boolean missingTrue : new boolean[] {true, false}) {
            ArrayTrees trees = new ArrayTrees(1);
            trees.tree(trees.split(Mode.LEQ, 0, 1.0, missingTrue, trees.leaf(10.0), trees.leaf(1.0)));
            double nanLeaf = missingTrue ? 10.0 : 1.0;
            // NaN in the instance against a reference that goes low.
            TreeShapValues inX = explain(trees, new double[] {Double.NaN, 0}, rows(new double[] {0, 0}));
            assertArrayEquals(new double[] {nanLeaf - 10.0, 0}, inX.values()[0], 0);
            // NaN in the reference against an instance that goes high.
            TreeShapValues inR = explain(trees, new double[] {5, 0}, rows(new double[] {Double.NaN, 0}));
            assertArrayEquals(new double[] {1.0 - nanLeaf, 0}, inR.values()[0], 0);
            assertEquals(nanLeaf, inR.base()[0]);
        }
    }

    @Test
    void aRowOfWeightTwoCountsAsTheRowTwice() {
        Random rng = new Random(3);
        for (int c = 0; c < 20; c++) {
            RandomEnsembles gen = new RandomEnsembles(rng, 6, 2);
            ArrayTrees trees = gen.ensemble(3, 5);
            double[] x = gen.row(0.1);
            double[] a = gen.row(0.1);
            double[] b = gen.row(0.1);
            TreeShapValues weighted = explain(trees, x, new Background(RandomEnsembles.block(a, b), new double[] {2, 1}));
            TreeShapValues twice = explain(trees, x, rows(a, b, a));
            for (int k = 0; k < 2; k++) {
                assertArrayEquals(twice.values()[k], weighted.values()[k], 1e-14);
                assertEquals(twice.base()[k], weighted.base()[k], 1e-14);
            }
            // A row of weight zero is no row.
            TreeShapValues zero = explain(trees, x, new Background(RandomEnsembles.block(a, b), new double[] {1, 0}));
            TreeShapValues alone = explain(trees, x, rows(a));
            assertArrayEquals(alone.values()[0], zero.values()[0], 0);
        }
    }

    @Test
    void theInstanceAsItsOwnReferenceGetsNothing() {
        Random rng = new Random(5);
        RandomEnsembles gen = new RandomEnsembles(rng, 6, 2);
        ArrayTrees trees = gen.ensemble(4, 5);
        double[] x = gen.row(0.2);
        TreeShapValues got = explain(trees, x, rows(x.clone()));
        assertArrayEquals(new double[6], got.values()[0], 0);
        assertArrayEquals(new double[6], got.values()[1], 0);
        assertArrayEquals(trees.margin(x), got.base(), 1e-15);
    }

    @Test
    void manyRowsGiveTheWeightedMeanOfOneRowEach() {
        Random rng = new Random(9);
        RandomEnsembles gen = new RandomEnsembles(rng, 8, 1);
        ArrayTrees trees = gen.ensemble(5, 5);
        double[] x = gen.row(0.1);
        double[][] r = {gen.row(0.1), gen.row(0.1), gen.row(0.1)};
        double[] w = {0.5, 0.3, 0.2};
        TreeShapValues all = explain(trees, x, new Background(RandomEnsembles.block(r), w));
        double[] mean = new double[8];
        for (int i = 0; i < 3; i++) {
            double[] one = explain(trees, x, rows(r[i])).values()[0];
            for (int f = 0; f < 8; f++) {
                mean[f] += w[i] * one[f];
            }
        }
        assertArrayEquals(mean, all.values()[0], 1e-14);
    }

    @Test
    void averagingTheTreesGivesTheSumsValuesOverTheirCount() {
        long seed = 11;
        while (new RandomEnsembles(new Random(seed), 6, 1).ensemble(4, 5).scale() != 1.0) {
            seed++;
        }
        RandomEnsembles gen = new RandomEnsembles(new Random(seed), 6, 1);
        ArrayTrees summed = gen.ensemble(4, 5);
        ArrayTrees averaged = new RandomEnsembles(new Random(seed), 6, 1).ensemble(4, 5).average();
        double[] x = gen.row(0.1);
        Background bg = gen.background(4, 0.1);
        double[] sum = explain(summed, x, bg).values()[0];
        double[] avg = explain(averaged, x, bg).values()[0];
        for (int f = 0; f < 6; f++) {
            assertEquals(sum[f] / 4, avg[f], 1e-15);
        }
        assertTrue(Arrays.stream(sum).anyMatch(v -> v != 0), "the trees use the features");
    }

    @Test
    void anEqualityChainSharingItsTrueChildIsOneCategoricalSplit() {
        // x0 in {1, 2} → 5, else x1 ≤ 0.5 → 1 or 3; the category chain reaches its true child twice.
        ArrayTrees trees = new ArrayTrees(1);
        int in = trees.leaf(5.0);
        int out = trees.leq(1, 0.5, trees.leaf(1.0), trees.leaf(3.0));
        trees.tree(trees.split(Mode.EQ, 0, 1, false, in, trees.split(Mode.EQ, 0, 2, false, in, out)));
        // x = (2, 0), r = (3, 1): v({}) = 3, v({0}) = 5, v({1}) = 1, v({0,1}) = 5.
        TreeShapValues got = explain(trees, new double[] {2, 0}, rows(new double[] {3, 1}));
        assertArrayEquals(new double[] {3, -1}, got.values()[0], 1e-15);
    }

    @Test
    void aFeatureSplitAgainFollowsTheSideItWasGiven() {
        // x0 ≤ 2, then x0 ≤ 1 below and x0 ≤ 2.7 above.
        ArrayTrees trees = new ArrayTrees(1);
        trees.tree(trees.leq(0, 2, trees.leq(0, 1, trees.leaf(1.0), trees.leaf(2.0)),
                trees.leq(0, 2.7, trees.leaf(4.0), trees.leaf(8.0))));
        // x = 0 and r = 1.5 agree at the root and part below it.
        assertArrayEquals(new double[] {-1}, explain(trees, new double[] {0}, rows(new double[] {1.5})).values()[0],
                0);
        // r = 3 parts at the root; on its side the second split is r's, which x would pass.
        assertArrayEquals(new double[] {-7}, explain(trees, new double[] {0}, rows(new double[] {3})).values()[0], 0);
    }

    @Test
    void asksTheCancellationAtEveryRowAndLetsItsExceptionThrough() {
        ArrayTrees trees = new ArrayTrees(1);
        trees.tree(trees.leq(0, 0.5, trees.leaf(1.0), trees.leaf(2.0)));
        int[] asked = {0};
        new InterventionalTreeShap(trees, 1).explain(new double[] {0},
                rows(new double[] {1}, new double[] {2}, new double[] {3}), () -> asked[0]++);
        assertEquals(3, asked[0]);
        RuntimeException stop = new RuntimeException("stop");
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> new InterventionalTreeShap(trees, 1)
                .explain(new double[] {0}, rows(new double[] {1}), () -> {
                    throw stop;
                }));
        assertSame(stop, thrown);
    }

    @Test
    void refusesEnsemblesAndInputsThatDoNotFit() {
        ArrayTrees trees = new ArrayTrees(1);
        trees.tree(trees.leq(3, 0.5, trees.leaf(1.0), trees.leaf(2.0)));
        assertThrows(IllegalArgumentException.class, () -> new InterventionalTreeShap(trees, 3));
        InterventionalTreeShap shap = new InterventionalTreeShap(trees, 4);
        assertThrows(IllegalArgumentException.class,
                () -> shap.explain(new double[3], rows(new double[4]), Cancellation.NEVER));
        assertThrows(IllegalArgumentException.class,
                () -> shap.explain(new double[4], rows(new double[3]), Cancellation.NEVER));

        ArrayTrees loop = new ArrayTrees(1);
        int leaf = loop.leaf(1.0);
        // Node 1's false child is node 2, whose true child is node 1.
        loop.tree(loop.leq(0, 0.5, leaf, 2));
        loop.leq(0, 0.7, 1, leaf);
        assertThrows(IllegalArgumentException.class, () -> new InterventionalTreeShap(loop, 1));

        ArrayTrees badVote = new ArrayTrees(1);
        badVote.tree(badVote.leaf(new int[] {1}, new double[] {1.0}));
        assertThrows(IllegalArgumentException.class, () -> new InterventionalTreeShap(badVote, 1));
    }
}
