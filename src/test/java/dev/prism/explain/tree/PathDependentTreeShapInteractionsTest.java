package dev.prism.explain.tree;

import static dev.prism.explain.tree.PathDependentTreeShapTest.rows;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PathDependentTreeShapInteractionsTest {
    private static final double TOL = 1e-9;

    private static PathDependentTreeShapInteractions of(ArrayTrees trees, int features, Background bg) {
        return new PathDependentTreeShapInteractions(trees, features, bg, Cancellation.NEVER);
    }

    @Test
    void equalsTheShapleyInteractionIndexOfTheGameOnRandomEnsembles() {
        Random rng = new Random(2401);
        int shared = 0;
        int chains = 0;
        int members = 0;
        for (int c = 0; c < 300; c++) {
            int m = 2 + rng.nextInt(6);
            int targets = 1 + rng.nextInt(3);
            RandomEnsembles gen = new RandomEnsembles(rng, m, targets);
            ArrayTrees trees = gen.ensemble(1 + rng.nextInt(4), 1 + rng.nextInt(5));
            double[] x = gen.row(0.15);
            Background bg = gen.background(1 + rng.nextInt(8), 0.15);
            double[][] v = Games.pathDependent(trees, x, bg);
            double[][][] want = Games.interactions(v, m);
            PathDependentTreeShapInteractions shap = of(trees, m, bg);
            TreeShapInteractions got = shap.explainWithReach(x, Cancellation.NEVER);
            TreeShapInteractions plain = shap.explain(x, Cancellation.NEVER);
            assertEquals(targets, plain.values().length);
            for (int k = 0; k <= targets; k++) {
                for (int i = 0; i < m; i++) {
                    assertArrayEquals(want[k][i], got.values()[k][i], TOL, "case " + c + ", column " + k + ", row " + i);
                    if (k < targets) {
                        assertArrayEquals(got.values()[k][i], plain.values()[k][i], 0);
                    }
                }
                assertEquals(v[0][k], got.base()[k], TOL, "case " + c + ", base " + k);
            }
            shared += gen.shared;
            chains += gen.chains;
            members += gen.members;
        }
        assertTrue(shared > 30 && chains > 30 && members > 30,
                "shared " + shared + ", chains " + chains + ", members " + members);
    }

    @Test
    void rowsSumToTheShapleyValuesAndTheMatrixIsSymmetric() {
        Random rng = new Random(77);
        for (int c = 0; c < 10; c++) {
            RandomEnsembles gen = new RandomEnsembles(rng, 20, 2);
            ArrayTrees trees = gen.ensemble(15, 7);
            double[] x = gen.row(0.1);
            Background bg = gen.background(50, 0.1);
            TreeShapInteractions got = of(trees, 20, bg).explainWithReach(x, Cancellation.NEVER);
            TreeShapValues phi = new PathDependentTreeShap(trees, 20, bg, Cancellation.NEVER)
                    .explainWithReach(x, Cancellation.NEVER);
            double[] margin = trees.margin(x);
            for (int k = 0; k <= 2; k++) {
                double total = got.base()[k];
                for (int i = 0; i < 20; i++) {
                    double row = 0;
                    for (int j = 0; j < 20; j++) {
                        row += got.values()[k][i][j];
                        assertEquals(got.values()[k][i][j], got.values()[k][j][i], 1e-15);
                    }
                    assertEquals(phi.values()[k][i], row, TOL, "case " + c + ", column " + k + ", row " + i);
                    total += row;
                }
                assertEquals(phi.base()[k], got.base()[k], 0);
                assertEquals(k < 2 ? margin[k] : 1, total, TOL, "case " + c + ", column " + k);
            }
        }
    }

    @Test
    void aConjunctionOfTwoFeaturesSplitsItsValueAsTheIndexSays() {
        // f = 4 when x0 > 0.5 and x1 > 0.5, else 0; the rows (0,0), (1,0), (0,1), (1,1) reach every
        // node, so q = 1/2 at each split, and x = (1, 1) passes both.
        ArrayTrees trees = new ArrayTrees(1);
        int zero = trees.leaf(0.0);
        trees.tree(trees.leq(0, 0.5, zero, trees.leq(1, 0.5, zero, trees.leaf(4.0))));
        Background bg = rows(new double[] {0, 0}, new double[] {1, 0}, new double[] {0, 1}, new double[] {1, 1},
                new double[] {0, 0}, new double[] {0, 0}, new double[] {1, 0}, new double[] {1, 0});
        // Covers: root 8, x0 high 4 of them (q0 = 1/2), then x1 high 1 of those 4 (q1 = 1/4).
        // v(∅) = 4·(1/2)(1/4) = 1/2, v({0}) = 4·(1/4) = 1, v({1}) = 4·(1/2) = 2, v({0,1}) = 4.
        TreeShapInteractions got = of(trees, 2, bg).explain(new double[] {1, 1}, Cancellation.NEVER);
        double interaction = (4 - 1 - 2 + 0.5) / 2;
        double phi0 = ((1 - 0.5) + (4 - 2)) / 2;
        double phi1 = ((2 - 0.5) + (4 - 1)) / 2;
        assertArrayEquals(new double[] {phi0 - interaction, interaction}, got.values()[0][0], 1e-15);
        assertArrayEquals(new double[] {interaction, phi1 - interaction}, got.values()[0][1], 1e-15);
        assertEquals(0.5, got.base()[0], 1e-15);
    }

    @Test
    void asksTheCancellationAtEveryTreeAndLetsItsExceptionThrough() {
        ArrayTrees trees = new ArrayTrees(1);
        int leaf = trees.leaf(1.0);
        trees.tree(trees.leq(0, 0.5, leaf, trees.leaf(2.0))).tree(leaf);
        int[] asked = {0};
        Background bg = rows(new double[] {1}, new double[] {2}, new double[] {3});
        PathDependentTreeShapInteractions shap = new PathDependentTreeShapInteractions(trees, 1, bg,
                () -> asked[0]++);
        assertEquals(3, asked[0]);
        shap.explain(new double[] {0}, () -> asked[0]++);
        // Two trees, then one target's diagonal.
        assertEquals(6, asked[0]);
        RuntimeException stop = new RuntimeException("stop");
        assertSame(stop, assertThrows(RuntimeException.class, () -> shap.explain(new double[] {0}, () -> {
            throw stop;
        })));
    }

    @Test
    void refusesInputsThatDoNotFit() {
        ArrayTrees trees = new ArrayTrees(1);
        trees.tree(trees.leq(1, 0.5, trees.leaf(1.0), trees.leaf(2.0)));
        assertThrows(IllegalArgumentException.class, () -> of(trees, 1, rows(new double[1])));
        assertThrows(IllegalArgumentException.class, () -> of(trees, 2, rows(new double[3])));
        PathDependentTreeShapInteractions shap = of(trees, 2, rows(new double[2]));
        assertThrows(IllegalArgumentException.class, () -> shap.explain(new double[3], Cancellation.NEVER));
    }
}
