package dev.prism.explain.tree;

import static dev.prism.explain.tree.PathDependentTreeShap.EMPTY_COVER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.explain.tree.ArrayTrees.Mode;
import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PathDependentTreeShapTest {
    private static final double TOL = 1e-9;

    private static Background rows(double[]... rows) {
        double[] data = new double[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, data, r * rows[0].length, rows[0].length);
        }
        return Background.uniform(new RowBlock(rows.length, rows[0].length, data));
    }

    private static TreeShapValues explain(ArrayTrees trees, double[] x, Background bg) {
        return PathDependentTreeShap.fromBackground(trees, x.length, bg, Cancellation.NEVER)
                .explain(x, Cancellation.NEVER);
    }

    /**
     * The game by its definition, written apart from the algorithm: descend with the background
     * rows that reach each node along this path; follow x at features in S, else weigh each child
     * by the rows' weight reaching it over the weight reaching the node (in rows, a weight of zero
     * counting as the empty cover).
     */
    private static double[] game(ArrayTrees trees, double[] x, Background bg, int coalition) {
        double[] v = new double[trees.targetCount()];
        for (int k = 0; k < v.length; k++) {
            v[k] = trees.base(k);
        }
        double[] reaching = new double[bg.size()];
        for (int r = 0; r < bg.size(); r++) {
            reaching[r] = bg.weight(r) * bg.size();
        }
        for (int t = 0; t < trees.treeCount(); t++) {
            add(trees, x, bg, coalition, trees.root(t), reaching, trees.scale(), v);
        }
        return v;
    }

    private static void add(ArrayTrees trees, double[] x, Background bg, int coalition, int node, double[] reaching,
                            double share, double[] v) {
        if (trees.isLeaf(node)) {
            for (int i = 0; i < trees.voteCount(node); i++) {
                v[trees.voteTarget(node, i)] += share * trees.voteWeight(node, i);
            }
            return;
        }
        int f = trees.feature(node);
        double[] toTrue = new double[bg.size()];
        double[] toFalse = new double[bg.size()];
        for (int r = 0; r < bg.size(); r++) {
            (trees.goesTrue(node, bg.rows().get(r, f)) ? toTrue : toFalse)[r] = reaching[r];
        }
        if ((coalition >> f & 1) == 1) {
            boolean xTrue = trees.goesTrue(node, x[f]);
            add(trees, x, bg, coalition, xTrue ? trees.trueChild(node) : trees.falseChild(node),
                    xTrue ? toTrue : toFalse, share, v);
            return;
        }
        double here = cover(reaching);
        add(trees, x, bg, coalition, trees.trueChild(node), toTrue, share * cover(toTrue) / here, v);
        add(trees, x, bg, coalition, trees.falseChild(node), toFalse, share * cover(toFalse) / here, v);
    }

    private static double cover(double[] reaching) {
        double c = 0;
        for (double w : reaching) {
            c += w;
        }
        return c == 0 ? EMPTY_COVER : c;
    }

    /** φ[target][feature] by the Shapley formula over every coalition of the game above. */
    private static double[][] bruteForce(ArrayTrees trees, double[] x, Background bg) {
        int m = x.length;
        double[][] v = new double[1 << m][];
        for (int s = 0; s < 1 << m; s++) {
            v[s] = game(trees, x, bg, s);
        }
        double[] factorial = new double[m + 1];
        factorial[0] = 1;
        for (int i = 1; i <= m; i++) {
            factorial[i] = factorial[i - 1] * i;
        }
        double[][] phi = new double[trees.targetCount()][m];
        for (int s = 0; s < 1 << m; s++) {
            int size = Integer.bitCount(s);
            for (int i = 0; i < m; i++) {
                if ((s >> i & 1) == 0) {
                    double w = factorial[size] * factorial[m - size - 1] / factorial[m];
                    for (int k = 0; k < phi.length; k++) {
                        phi[k][i] += w * (v[s | 1 << i][k] - v[s][k]);
                    }
                }
            }
        }
        return phi;
    }

    @Test
    void equalsEnumerationOfEveryCoalitionOnRandomEnsembles() {
        Random rng = new Random(1802);
        int shared = 0;
        int chains = 0;
        for (int c = 0; c < 400; c++) {
            int m = 2 + rng.nextInt(7);
            int targets = 1 + rng.nextInt(3);
            RandomEnsembles gen = new RandomEnsembles(rng, m, targets);
            ArrayTrees trees = gen.ensemble(1 + rng.nextInt(4), 1 + rng.nextInt(5));
            double[] x = gen.row(0.15);
            Background bg = gen.background(1 + rng.nextInt(8), 0.15);
            TreeShapValues got = explain(trees, x, bg);
            double[][] want = bruteForce(trees, x, bg);
            double[] empty = game(trees, x, bg, 0);
            for (int k = 0; k < targets; k++) {
                assertArrayEquals(want[k], got.values()[k], TOL, "case " + c + ", target " + k);
                assertEquals(empty[k], got.base()[k], TOL, "case " + c + ", base " + k);
            }
            shared += gen.shared;
            chains += gen.chains;
        }
        assertTrue(shared > 50 && chains > 50, "shared " + shared + ", chains " + chains);
    }

    @Test
    void sumsToTheMarginOverTheBaseOnEnsemblesTooLargeToEnumerate() {
        Random rng = new Random(88);
        for (int c = 0; c < 20; c++) {
            RandomEnsembles gen = new RandomEnsembles(rng, 30, 3);
            ArrayTrees trees = gen.ensemble(25, 7);
            double[] x = gen.row(0.1);
            TreeShapValues got = explain(trees, x, gen.background(60, 0.1));
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
    void theBaseIsTheMeanMarginWhenTheBackgroundReachesEveryNode() {
        ArrayTrees trees = new ArrayTrees(2);
        int low = trees.leq(1, 0.5, trees.leaf(new int[] {0}, new double[] {1}),
                trees.leaf(new int[] {0, 1}, new double[] {2, -1}));
        trees.tree(trees.leq(0, 0.5, low, trees.leaf(new int[] {1}, new double[] {4}))).base(1, 0.5);
        Background bg = rows(new double[] {0, 0}, new double[] {0, 1}, new double[] {1, 1}, new double[] {1, 0});
        TreeShapValues got = explain(trees, new double[] {0, 1}, bg);
        for (int k = 0; k < 2; k++) {
            double mean = 0;
            for (int r = 0; r < 4; r++) {
                mean += 0.25 * trees.margin(bg.rows().row(r))[k];
            }
            assertEquals(mean, got.base()[k], 1e-15);
        }
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
        TreeShapValues got = explain(trees, new double[] {-1, -1}, rows(new double[] {1, 0}, new double[] {1, 1}));
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
    void quadratureIntegratesPolynomialsUpToItsDegree() {
        for (int n = 1; n <= 12; n++) {
            GaussLegendre rule = GaussLegendre.of(n);
            for (int degree = 0; degree <= 2 * n - 1; degree++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += rule.weights[i] * Math.pow(rule.nodes[i], degree);
                }
                assertEquals(1.0 / (degree + 1), sum, 1e-15, n + " points, degree " + degree);
            }
            if (n <= 6) {
                // One degree more is beyond it, by Gauss's error (n!)⁴/((2n + 1)((2n)!)²).
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += rule.weights[i] * Math.pow(rule.nodes[i], 2 * n);
                }
                double error = Math.pow(factorial(n), 4) / ((2 * n + 1) * Math.pow(factorial(2 * n), 2));
                assertEquals(error, 1.0 / (2 * n + 1) - sum, error * 1e-6, n + " points, degree " + 2 * n);
            }
        }
    }

    private static double factorial(int n) {
        return n <= 1 ? 1 : n * factorial(n - 1);
    }

    @Test
    void asksTheCancellationAtEveryRowAndTreeAndLetsItsExceptionThrough() {
        ArrayTrees trees = new ArrayTrees(1);
        int leaf = trees.leaf(1.0);
        trees.tree(trees.leq(0, 0.5, leaf, trees.leaf(2.0))).tree(leaf);
        int[] asked = {0};
        Background bg = rows(new double[] {1}, new double[] {2}, new double[] {3});
        PathDependentTreeShap shap = PathDependentTreeShap.fromBackground(trees, 1, bg, () -> asked[0]++);
        assertEquals(3, asked[0]);
        shap.explain(new double[] {0}, () -> asked[0]++);
        assertEquals(5, asked[0]);
        RuntimeException stop = new RuntimeException("stop");
        assertSame(stop, assertThrows(RuntimeException.class, () -> shap.explain(new double[] {0}, () -> {
            throw stop;
        })));
    }

    @Test
    void refusesInputsThatDoNotFit() {
        ArrayTrees trees = new ArrayTrees(1);
        trees.tree(trees.leq(1, 0.5, trees.leaf(1.0), trees.leaf(2.0)));
        assertThrows(IllegalArgumentException.class,
                () -> PathDependentTreeShap.fromBackground(trees, 2, rows(new double[3]), Cancellation.NEVER));
        assertThrows(IllegalArgumentException.class,
                () -> PathDependentTreeShap.fromBackground(trees, 1, rows(new double[1]), Cancellation.NEVER));
        PathDependentTreeShap shap = PathDependentTreeShap.fromBackground(trees, 2, rows(new double[2]),
                Cancellation.NEVER);
        assertThrows(IllegalArgumentException.class, () -> shap.explain(new double[3], Cancellation.NEVER));
    }
}
