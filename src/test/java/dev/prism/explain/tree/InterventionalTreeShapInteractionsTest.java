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

class InterventionalTreeShapInteractionsTest {
    private static final double TOL = 1e-9;

    private static TreeShapInteractions explain(ArrayTrees trees, double[] x, Background bg) {
        return new InterventionalTreeShapInteractions(trees, x.length).explain(x, bg, Cancellation.NEVER);
    }

    @Test
    void equalsTheShapleyInteractionIndexOfTheGameOnRandomEnsembles() {
        Random rng = new Random(2604);
        int shared = 0;
        int chains = 0;
        int members = 0;
        int averaged = 0;
        int sparse = 0;
        for (int c = 0; c < 300; c++) {
            int m = 2 + rng.nextInt(6);
            int targets = 1 + rng.nextInt(3);
            RandomEnsembles gen = new RandomEnsembles(rng, m, targets);
            ArrayTrees trees = gen.ensemble(1 + rng.nextInt(4), 1 + rng.nextInt(5));
            double[] x = gen.row(0.15);
            Background bg = gen.background(1 + rng.nextInt(6), 0.15);
            double[][] v = Games.interventional(trees, x, bg);
            double[][][] want = Games.interactions(v, m);
            TreeShapInteractions got = explain(trees, x, bg);
            for (int k = 0; k < targets; k++) {
                for (int i = 0; i < m; i++) {
                    assertArrayEquals(want[k][i], got.values()[k][i], TOL, "case " + c + ", target " + k + ", row " + i);
                }
                assertEquals(v[0][k], got.base()[k], TOL, "case " + c + ", base " + k);
            }
            shared += gen.shared;
            chains += gen.chains;
            members += gen.members;
            averaged += gen.averaged;
            sparse += gen.sparseLeaves;
        }
        assertTrue(shared > 30 && chains > 30 && members > 30 && averaged > 30 && sparse > 30,
                "shared " + shared + ", chains " + chains + ", members " + members + ", averaged " + averaged
                        + ", sparse leaves " + sparse);
    }

    @Test
    void rowsSumToTheShapleyValuesAndTheMatrixIsSymmetric() {
        Random rng = new Random(19);
        for (int c = 0; c < 10; c++) {
            RandomEnsembles gen = new RandomEnsembles(rng, 20, 2);
            ArrayTrees trees = gen.ensemble(15, 7);
            double[] x = gen.row(0.1);
            Background bg = gen.background(30, 0.1);
            TreeShapInteractions got = explain(trees, x, bg);
            TreeShapValues phi = new InterventionalTreeShap(trees, 20).explain(x, bg, Cancellation.NEVER);
            double[] margin = trees.margin(x);
            for (int k = 0; k < 2; k++) {
                double total = got.base()[k];
                for (int i = 0; i < 20; i++) {
                    double row = 0;
                    for (int j = 0; j < 20; j++) {
                        row += got.values()[k][i][j];
                        assertEquals(got.values()[k][i][j], got.values()[k][j][i], 1e-15);
                    }
                    assertEquals(phi.values()[k][i], row, TOL, "case " + c + ", target " + k + ", row " + i);
                    total += row;
                }
                assertEquals(phi.base()[k], got.base()[k], 1e-15);
                assertEquals(margin[k], total, TOL, "case " + c + ", target " + k);
            }
        }
    }

    @Test
    void theClosedFormsOfOneLeaf() {
        // One leaf of value 6 reached iff x0 > 0.5, x1 > 0.5 (x passes, r fails: A = {0, 1}) and
        // x2 ≤ 0.5 (r passes, x fails: B = {2}); x3 both pass, so no player. n = 3, (n−1)! = 2.
        ArrayTrees trees = new ArrayTrees(1);
        int zero = trees.leaf(0.0);
        int leaf = trees.leaf(6.0);
        int at2 = trees.leq(2, 0.5, trees.leq(3, 0.5, leaf, zero), zero);
        trees.tree(trees.leq(0, 0.5, zero, trees.leq(1, 0.5, zero, at2)));
        TreeShapInteractions got = explain(trees, new double[] {1, 1, 1, 0}, rows(new double[] {0, 0, 0, 0}));
        // A with A: (a−2)!b!/(n−1)! = 1/2; A with B: −(a−1)!(b−1)!/(n−1)! = −1/2; halved, times 6.
        double aa = 6 * 0.5 / 2;
        double ab = -6 * 0.5 / 2;
        // φ: (a−1)!b!/n! = 1/6 for A, −a!(b−1)!/n! = −1/3 for B; times 6.
        double phiA = 1;
        double phiB = -2;
        assertArrayEquals(new double[] {phiA - aa - ab, aa, ab, 0}, got.values()[0][0], 1e-15);
        assertArrayEquals(new double[] {aa, phiA - aa - ab, ab, 0}, got.values()[0][1], 1e-15);
        assertArrayEquals(new double[] {ab, ab, phiB - 2 * ab, 0}, got.values()[0][2], 1e-15);
        assertArrayEquals(new double[4], got.values()[0][3], 0);

        // Both in B: the leaf x0 ≤ 0.5 and x1 ≤ 0.5 against x = (1, 1), r = (0, 0): a = 0, b = 2,
        // a!(b−2)!/(n−1)! = 1, halved.
        ArrayTrees both = new ArrayTrees(1);
        int z = both.leaf(0.0);
        both.tree(both.leq(0, 0.5, both.leq(1, 0.5, both.leaf(4.0), z), z));
        TreeShapInteractions b = explain(both, new double[] {1, 1}, rows(new double[] {0, 0}));
        assertArrayEquals(new double[] {-2 - 2, 2}, b.values()[0][0], 1e-15);
        assertEquals(4, b.base()[0], 0);
    }

    @Test
    void theInstanceAsItsOwnReferenceGetsNothing() {
        Random rng = new Random(5);
        RandomEnsembles gen = new RandomEnsembles(rng, 6, 2);
        ArrayTrees trees = gen.ensemble(4, 5);
        double[] x = gen.row(0.2);
        TreeShapInteractions got = explain(trees, x, rows(x.clone()));
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < 6; i++) {
                assertArrayEquals(new double[6], got.values()[k][i], 0);
            }
        }
        assertArrayEquals(trees.margin(x), got.base(), 1e-15);
    }

    @Test
    void asksTheCancellationAtEveryRowAndLetsItsExceptionThrough() {
        ArrayTrees trees = new ArrayTrees(1);
        trees.tree(trees.leq(0, 0.5, trees.leaf(1.0), trees.leaf(2.0)));
        int[] asked = {0};
        new InterventionalTreeShapInteractions(trees, 1).explain(new double[] {0},
                rows(new double[] {1}, new double[] {2}, new double[] {3}), () -> asked[0]++);
        // Three rows, then one target's diagonal.
        assertEquals(4, asked[0]);
        RuntimeException stop = new RuntimeException("stop");
        assertSame(stop, assertThrows(RuntimeException.class, () -> new InterventionalTreeShapInteractions(trees, 1)
                .explain(new double[] {0}, rows(new double[] {1}), () -> {
                    throw stop;
                })));
    }

    @Test
    void refusesEnsemblesAndInputsThatDoNotFit() {
        ArrayTrees trees = new ArrayTrees(1);
        trees.tree(trees.leq(3, 0.5, trees.leaf(1.0), trees.leaf(2.0)));
        assertThrows(IllegalArgumentException.class, () -> new InterventionalTreeShapInteractions(trees, 3));
        InterventionalTreeShapInteractions shap = new InterventionalTreeShapInteractions(trees, 4);
        assertThrows(IllegalArgumentException.class,
                () -> shap.explain(new double[3], rows(new double[4]), Cancellation.NEVER));
        assertThrows(IllegalArgumentException.class,
                () -> shap.explain(new double[4], rows(new double[3]), Cancellation.NEVER));
    }
}
