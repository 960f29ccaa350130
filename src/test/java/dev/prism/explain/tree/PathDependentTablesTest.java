package dev.prism.explain.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Path-dependent TreeSHAP read from tables equals the walk of every path, the reach game included. */
class PathDependentTablesTest {

    @Test
    void tablesGiveTheWalksValuesOnRandomEnsembles() {
        Random rng = new Random(16);
        for (int c = 0; c < 300; c++) {
            int m = 2 + rng.nextInt(8);
            int targets = 1 + rng.nextInt(3);
            RandomEnsembles gen = new RandomEnsembles(rng, m, targets);
            ArrayTrees trees = gen.ensemble(1 + rng.nextInt(5), 1 + rng.nextInt(6));
            Background bg = gen.background(1 + rng.nextInt(8), 0.15);
            TreePaths paths = TreePaths.unfold(trees, m, 1 << 20).orElseThrow();
            PathCovers covers = new PathCovers(trees, m, bg, Cancellation.NEVER);
            TabulatedTreeShap tables = PathDependentTables.build(paths, m, covers, true, Cancellation.NEVER);
            PathDependentTreeShap walk = new PathDependentTreeShap(trees, m, bg, Cancellation.NEVER);
            for (int i = 0; i < 3; i++) {
                double[] x = gen.row(0.15);
                TreeShapValues want = walk.explainWithReach(x, Cancellation.NEVER);
                TreeShapValues got = tables.explain(x, Cancellation.NEVER);
                for (int k = 0; k <= targets; k++) {
                    assertArrayEquals(want.values()[k], got.values()[k], 1e-12, "case " + c + ", target " + k);
                    assertEquals(want.base()[k], got.base()[k], 1e-12);
                }
            }
        }
    }

    @Test
    void statedCoversTabulateAsTheyWalk() {
        // A tree splitting on feature 0 then 1, stating 10 rows at the root, 6 and 4 below, 5 and 1 under the 6.
        ArrayTrees trees = new ArrayTrees(1);
        int inner = trees.leq(1, 0.5, trees.leaf(2.0), trees.leaf(-1.0));
        trees.tree(trees.leq(0, 0.5, inner, trees.leaf(4.0)));
        double[] stated = new double[trees.nodeCount()];
        // Node numbers as ArrayTrees hands them out: leaf 2.0, leaf -1.0, inner, leaf 4.0, root.
        stated[0] = 5;
        stated[1] = 1;
        stated[2] = 6;
        stated[3] = 4;
        stated[4] = 10;
        TreePaths paths = TreePaths.unfold(trees, 2, 100).orElseThrow();
        TabulatedTreeShap tables = PathDependentTables.build(paths, 2, new PathCovers(trees, stated), false,
                Cancellation.NEVER);
        PathDependentTreeShap walk = new PathDependentTreeShap(trees, 2, stated);
        for (double[] x : new double[][] {{0, 0}, {0, 1}, {1, 0}, {1, 1}}) {
            TreeShapValues want = walk.explain(x, Cancellation.NEVER);
            TreeShapValues got = tables.explain(x, Cancellation.NEVER);
            assertArrayEquals(want.values()[0], got.values()[0], 1e-15);
            assertEquals(want.base()[0], got.base()[0], 1e-15);
        }
        // The empty coalition: 0.6·(5/6·2 + 1/6·−1) + 0.4·4 = 0.9 + 1.6.
        assertEquals(2.5, tables.explain(new double[] {0, 0}, Cancellation.NEVER).base()[0], 1e-12);
    }
}
