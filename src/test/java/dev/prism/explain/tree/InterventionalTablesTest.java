package dev.prism.explain.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.explain.tree.ArrayTrees.Mode;
import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.testing.Shapley;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class InterventionalTablesTest {
    private static final double TOL = 1e-9;

    private static TabulatedTreeShap tables(ArrayTrees trees, int features, Background bg) {
        TreePaths paths = TreePaths.unfold(trees, features, 1 << 20).orElseThrow();
        return InterventionalTables.build(paths, features, bg, Cancellation.NEVER);
    }

    @Test
    void equalsEnumerationOfEveryCoalitionOnRandomEnsembles() {
        Random rng = new Random(15);
        int shared = 0;
        int chains = 0;
        int members = 0;
        for (int c = 0; c < 400; c++) {
            int m = 2 + rng.nextInt(7);
            int targets = 1 + rng.nextInt(3);
            RandomEnsembles gen = new RandomEnsembles(rng, m, targets);
            ArrayTrees trees = gen.ensemble(1 + rng.nextInt(4), 1 + rng.nextInt(5));
            double[] x = gen.row(0.15);
            Background bg = gen.background(1 + rng.nextInt(6), 0.15);
            TreeShapValues got = tables(trees, m, bg).explain(x, Cancellation.NEVER);
            double[][] want = Shapley.bruteForce(trees::margin, x, bg, targets, v -> v);
            for (int k = 0; k < targets; k++) {
                assertArrayEquals(want[k], got.values()[k], TOL, "case " + c + ", target " + k);
                double mean = 0;
                for (int r = 0; r < bg.size(); r++) {
                    mean += bg.weight(r) * trees.margin(bg.rows().row(r))[k];
                }
                assertEquals(mean, got.base()[k], TOL, "case " + c + ", base " + k);
                assertEquals(trees.margin(x)[k], got.margins()[k], TOL, "case " + c + ", margin " + k);
            }
            shared += gen.shared;
            chains += gen.chains;
            members += gen.members;
        }
        assertTrue(shared > 50 && chains > 50 && members > 50, shared + " " + chains + " " + members);
    }

    @Test
    void equalsTheWalkOnEnsemblesTooLargeToEnumerate() {
        Random rng = new Random(42);
        for (int c = 0; c < 10; c++) {
            RandomEnsembles gen = new RandomEnsembles(rng, 30, 3);
            ArrayTrees trees = gen.ensemble(25, 8);
            Background bg = gen.background(60, 0.1);
            TabulatedTreeShap tables = tables(trees, 30, bg);
            InterventionalTreeShap walk = new InterventionalTreeShap(trees, 30);
            for (int i = 0; i < 5; i++) {
                double[] x = gen.row(0.1);
                TreeShapValues got = tables.explain(x, Cancellation.NEVER);
                TreeShapValues want = walk.explain(x, bg, Cancellation.NEVER);
                for (int k = 0; k < 3; k++) {
                    assertArrayEquals(want.values()[k], got.values()[k], 1e-12, "case " + c + ", target " + k);
                    assertEquals(want.base()[k], got.base()[k], 1e-12);
                }
            }
        }
    }

    @Test
    void aStumpGivesItsFeatureTheMarginOverTheWeightedMean() {
        ArrayTrees trees = new ArrayTrees(1);
        trees.tree(trees.leq(1, 0.5, trees.leaf(3.0), trees.leaf(-2.0))).base(0, 0.25);
        Background bg = new Background(RandomEnsembles.block(new double[] {0, 1, 0}, new double[] {5, 0, 5}, new double[] {1, 2, 3}),
                new double[] {1, 1, 2});
        TreeShapValues got = tables(trees, 3, bg).explain(new double[] {7, 0, 7}, Cancellation.NEVER);
        double mean = 0.25 * -1.75 + 0.25 * 3.25 + 0.5 * -1.75;
        assertArrayEquals(new double[] {0, 3.25 - mean, 0}, got.values()[0], 1e-15);
        assertEquals(mean, got.base()[0], 1e-15);
    }

    @Test
    void nanGoesWhereEachNodeSendsIt() {
        for (boolean missingTrue : new boolean[] {true, false}) {
            ArrayTrees trees = new ArrayTrees(1);
            trees.tree(trees.split(Mode.LEQ, 0, 1.0, missingTrue, trees.leaf(10.0), trees.leaf(1.0)));
            double nanLeaf = missingTrue ? 10.0 : 1.0;
            Background low = Background.uniform(RandomEnsembles.block(new double[] {0, 0}));
            TreeShapValues inX = tables(trees, 2, low).explain(new double[] {Double.NaN, 0}, Cancellation.NEVER);
            assertArrayEquals(new double[] {nanLeaf - 10.0, 0}, inX.values()[0], 0);
            Background missing = Background.uniform(RandomEnsembles.block(new double[] {Double.NaN, 0}));
            TreeShapValues inR = tables(trees, 2, missing).explain(new double[] {5, 0}, Cancellation.NEVER);
            assertArrayEquals(new double[] {1.0 - nanLeaf, 0}, inR.values()[0], 0);
        }
    }

    @Test
    void unfoldingRefusesWhatWouldNotFit() {
        Random rng = new Random(3);
        RandomEnsembles gen = new RandomEnsembles(rng, 6, 1);
        ArrayTrees trees = gen.ensemble(4, 6);
        TreePaths all = TreePaths.unfold(trees, 6, 1 << 20).orElseThrow();
        assertTrue(TreePaths.unfold(trees, 6, all.nodeCount()).isPresent());
        assertTrue(TreePaths.unfold(trees, 6, all.nodeCount() - 1).isEmpty());
        // A path through 17 distinct features is wider than any table.
        ArrayTrees wide = new ArrayTrees(1);
        int node = wide.leaf(1.0);
        for (int f = 16; f >= 0; f--) {
            node = wide.leq(f, 0.5, node, wide.leaf(0.0));
        }
        wide.tree(node);
        assertTrue(TreePaths.unfold(wide, 17, 1 << 20).isEmpty());
        assertEquals(16, TreePaths.MAX_WIDTH);
    }

    @Test
    void aDagIsUnfoldedIntoOnePathPerRoute() {
        // An equality chain on feature 0 whose true children are one shared leaf: three routes to it.
        ArrayTrees trees = new ArrayTrees(1);
        int hit = trees.leaf(5.0);
        int chain = trees.split(Mode.EQ, 0, 2, false, hit, trees.leaf(-1.0));
        chain = trees.split(Mode.EQ, 0, 1, false, hit, chain);
        chain = trees.split(Mode.EQ, 0, 0, false, hit, chain);
        trees.tree(chain);
        TreePaths paths = TreePaths.unfold(trees, 1, 100).orElseThrow();
        assertEquals(4, paths.pathCount());
        assertEquals(7, paths.nodeCount());
        assertEquals(2 * 4, paths.tableLength());
    }

    @Test
    void buildingAndExplainingStopWhenCancelled() {
        Random rng = new Random(8);
        RandomEnsembles gen = new RandomEnsembles(rng, 10, 1);
        ArrayTrees trees = gen.ensemble(5, 5);
        TreePaths paths = TreePaths.unfold(trees, 10, 1 << 20).orElseThrow();
        Background bg = gen.background(5, 0);
        Cancellation cancelled = () -> {
            throw new CancellationException("stop");
        };
        assertThrows(CancellationException.class, () -> InterventionalTables.build(paths, 10, bg, cancelled));
        TabulatedTreeShap tables = InterventionalTables.build(paths, 10, bg, Cancellation.NEVER);
        assertThrows(CancellationException.class, () -> tables.explain(gen.row(0), cancelled));
    }
}
