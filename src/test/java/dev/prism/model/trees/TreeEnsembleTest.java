package dev.prism.model.trees;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The structure's routing, aggregation, layouts, transforms and tail, by closed forms. */
class TreeEnsembleTest {
    private static final double NAN = Double.NaN;

    /** One stump on feature 0: true leaf votes a for target 0, false leaf votes b. */
    private static TreeEnsemble stump(SplitMode mode, double threshold, boolean tracksTrue, InputRounding rounding,
                                      boolean float32) {
        TreeEnsemble.Builder b = TreeEnsemble.builder(1, 1).rounding(rounding, float32);
        int split = b.split(0, mode, threshold, tracksTrue);
        int yes = b.leaf();
        int no = b.leaf();
        return b.children(split, yes, no).vote(yes, 0, 1).vote(no, 0, -1).tree(split).build();
    }

    private static boolean goesTrue(TreeEnsemble stump, double x) {
        return stump.margins(new double[] {x})[0] == 1;
    }

    @Test
    void everyModeComparesAsItsOperatorAndNaNFollowsOnnxRuntimesRule() {
        double[] xs = {1.0, 2.0, 3.0, NAN};
        boolean[][] expected = {
            // x = 1, 2, 3, NaN against threshold 2
            {true, true, false, false},   // LEQ
            {true, false, false, false},  // LT
            {false, true, true, false},   // GTE
            {false, false, true, false},  // GT
            {false, true, false, false},  // EQ
            {true, false, true, true},    // NEQ: NaN != 2 holds, with or without tracking
        };
        SplitMode[] modes = {SplitMode.LEQ, SplitMode.LT, SplitMode.GTE, SplitMode.GT, SplitMode.EQ, SplitMode.NEQ};
        for (int m = 0; m < modes.length; m++) {
            for (boolean tracks : new boolean[] {false, true}) {
                TreeEnsemble t = stump(modes[m], 2.0, tracks, InputRounding.NONE, false);
                for (int i = 0; i < xs.length; i++) {
                    boolean want = expected[m][i] || (tracks && Double.isNaN(xs[i]));
                    assertEquals(want, goesTrue(t, xs[i]), modes[m] + " tracks=" + tracks + " x=" + xs[i]);
                    assertEquals(want, t.goesTrue(t.root(0), xs[i]));
                }
            }
        }
    }

    @Test
    void aFloatEnsembleComparesInFloat32() {
        // 0.1 as a double lies below float(0.1); a double comparison would send it false.
        double t = 0.1;
        assertTrue((float) t > t);
        TreeEnsemble floats = stump(SplitMode.GTE, (float) t, false, InputRounding.NONE, true);
        TreeEnsemble doubles = stump(SplitMode.GTE, (float) t, false, InputRounding.NONE, false);
        assertTrue(goesTrue(floats, 0.1), "(float) 0.1 >= (float) 0.1");
        assertFalse(goesTrue(doubles, 0.1), "0.1 < (double)(float) 0.1");
        assertEquals(InputRounding.FLOAT32, floats.rounding());
        // A threshold given in double is rounded to float32 once, as the attribute is read.
        assertEquals((float) 0.3, stump(SplitMode.LEQ, 0.3, false, InputRounding.NONE, true).threshold(0));
        assertEquals(0.3, stump(SplitMode.LEQ, 0.3, false, InputRounding.NONE, false).threshold(0));
    }

    @Test
    void integerInputsAreTruncatedBeforeTheComparison() {
        TreeEnsemble t = stump(SplitMode.GTE, 2.0, false, InputRounding.TRUNCATE, true);
        assertEquals(InputRounding.TRUNCATE_FLOAT32, t.rounding());
        assertFalse(goesTrue(t, 1.9));
        assertTrue(goesTrue(t, 2.9));
        TreeEnsemble negative = stump(SplitMode.GTE, -2.0, false, InputRounding.TRUNCATE, false);
        assertTrue(goesTrue(negative, -2.5), "truncated toward zero to -2");
        assertFalse(goesTrue(negative, -3.5));
    }

    @Test
    void memberSplitsTestTheSetInTheModelsPrecision() {
        TreeEnsemble.Builder b = TreeEnsemble.builder(1, 1).rounding(InputRounding.FLOAT32, true);
        int split = b.member(0, new double[] {3, -0.0, 0.1, 7}, false);
        int yes = b.leaf();
        int no = b.leaf();
        TreeEnsemble t = b.children(split, yes, no).vote(yes, 0, 1).tree(split).build();
        assertArrayEquals(new double[] {0.0, (float) 0.1, 3, 7}, t.members(split));
        for (double in : new double[] {3, 0.0, -0.0, 0.1, 7, (float) 0.1}) {
            assertTrue(t.goesTrue(split, in), "member " + in);
        }
        for (double out : new double[] {1, 3.5, 8, -7, NAN}) {
            assertFalse(t.goesTrue(split, out), "not a member " + out);
        }
        TreeEnsemble.Builder tracking = TreeEnsemble.builder(1, 1);
        int s = tracking.member(0, new double[] {1}, true);
        int l = tracking.leaf();
        TreeEnsemble nanTrue = tracking.children(s, l, l).tree(s).build();
        assertTrue(nanTrue.goesTrue(s, NAN));
    }

    @Test
    void aDagSharesItsChildrenAndCountsEachLeafOnce() {
        // An EQ chain on feature 0 (values 1, 2, 3) sharing one true leaf, as converters write
        // categorical splits; the chain's end splits feature 1.
        TreeEnsemble.Builder b = TreeEnsemble.builder(2, 1);
        int eq1 = b.split(0, SplitMode.EQ, 1, false);
        int eq2 = b.split(0, SplitMode.EQ, 2, false);
        int eq3 = b.split(0, SplitMode.EQ, 3, false);
        int last = b.split(1, SplitMode.LEQ, 0.5, false);
        int shared = b.leaf();
        int low = b.leaf();
        int high = b.leaf();
        b.children(eq1, shared, eq2).children(eq2, shared, eq3).children(eq3, shared, last)
                .children(last, low, high).vote(shared, 0, 10).vote(low, 0, 1).vote(high, 0, 2).tree(eq1);
        TreeEnsemble t = b.build();
        assertEquals(3, t.leafCount());
        assertEquals(4, t.maxDepth());
        assertEquals(1, t.treeCount());
        assertEquals(7, t.nodeCount());
        for (double cat : new double[] {1, 2, 3}) {
            assertEquals(10, t.margins(new double[] {cat, 9})[0]);
        }
        assertEquals(1, t.margins(new double[] {4, 0})[0]);
        assertEquals(2, t.margins(new double[] {4, 1})[0]);
        assertEquals(shared, t.leaf(0, new double[] {2, 0}));
    }

    @Test
    void averageDividesEveryTargetByAllTreesAndBaseIsAddedAfter() {
        // Two trees, each a single leaf voting for its own target: AVERAGE halves both, even though
        // only one tree votes for each target.
        TreeEnsemble.Builder b = TreeEnsemble.builder(1, 2);
        int l0 = b.leaf();
        int l1 = b.leaf();
        TreeEnsemble t = b.vote(l0, 0, 1.0).vote(l1, 1, 3.0).tree(l0).tree(l1)
                .aggregate(TreeEnsemble.Aggregate.AVERAGE).base(10, 20).build();
        assertArrayEquals(new double[] {10.5, 21.5}, t.margins(new double[] {0}));
        assertEquals(0.5, t.scale());
        assertEquals(0, t.maxDepth());
        assertEquals(2, t.leafCount());
    }

    @Test
    void sparseMultiTargetVotesAddUpPerTargetInDouble() {
        TreeEnsemble.Builder b = TreeEnsemble.builder(1, 3);
        int split = b.split(0, SplitMode.LEQ, 0, false);
        int left = b.leaf();
        int right = b.leaf();
        // The left leaf votes twice for target 2 and once for target 0; the right one for target 1 only.
        b.children(split, left, right).vote(left, 2, 0.1).vote(left, 0, 1).vote(left, 2, 0.2).vote(right, 1, 5);
        b.tree(split).tree(split).tree(split);
        TreeEnsemble t = b.build();
        double[] m = t.margins(new double[] {-1});
        double twice = 0.1 + 0.2;
        assertArrayEquals(new double[] {3, 0, twice + twice + twice}, m);
        assertArrayEquals(new double[] {0, 15, 0}, t.margins(new double[] {1}));
        assertEquals(3, t.voteCount(left));
        assertEquals(2, t.voteTarget(left, 0));
        assertEquals(0.2, t.voteWeight(left, 2));
    }

    private static TreeEnsemble oneMargin(double weight, ScoreLayout layout, OutputTransform transform,
                                          OutputStep... tail) {
        TreeEnsemble.Builder b = TreeEnsemble.builder(1, 1);
        int leaf = b.leaf();
        b.vote(leaf, 0, weight).tree(leaf).layout(layout).transform(transform).base(0.25);
        for (OutputStep s : tail) {
            b.step(s);
        }
        return b.build();
    }

    @Test
    void binaryOneColumnLayoutsGiveTwoColumns() {
        double s = 0.5 + 0.25;
        double[] x = {0};
        assertArrayEquals(new double[] {1 - s, s},
                oneMargin(0.5, ScoreLayout.COMPLEMENT_PAIR, OutputTransform.NONE).outputs(x));
        assertArrayEquals(new double[] {-s, s},
                oneMargin(0.5, ScoreLayout.NEGATED_PAIR, OutputTransform.NONE).outputs(x));
        double[] logistic = oneMargin(0.5, ScoreLayout.NEGATED_PAIR, OutputTransform.LOGISTIC).outputs(x);
        assertEquals(1 / (1 + Math.exp(s)), logistic[0], 1e-16);
        assertEquals(1 / (1 + Math.exp(-s)), logistic[1], 1e-16);
        assertEquals(2, oneMargin(0.5, ScoreLayout.NEGATED_PAIR, OutputTransform.NONE).outputCount());
        assertThrows(IllegalArgumentException.class, () -> {
            TreeEnsemble.Builder b = TreeEnsemble.builder(1, 2);
            int leaf = b.leaf();
            b.tree(leaf).layout(ScoreLayout.COMPLEMENT_PAIR).build();
        });
    }

    @Test
    void transformsAreComputedAsOnnxRuntimeComputesThem() {
        TreeEnsemble.Builder b = TreeEnsemble.builder(1, 3);
        int leaf = b.leaf();
        TreeEnsemble raw = b.tree(leaf).build();
        double[] m = {1.0, -2.0, 0.0};
        double z = Math.exp(0) + Math.exp(-3) + Math.exp(-1);
        double[] softmax = {1 / z, Math.exp(-3) / z, Math.exp(-1) / z};
        assertArrayEquals(softmax, withTransform(OutputTransform.SOFTMAX).outputsOfMargins(m), 1e-15);
        // SOFTMAX_ZERO leaves the zero score out of the normaliser, and it comes out as zero.
        double z0 = Math.exp(0) + Math.exp(-3);
        assertArrayEquals(new double[] {1 / z0, Math.exp(-3) / z0, 0},
                withTransform(OutputTransform.SOFTMAX_ZERO).outputsOfMargins(m), 1e-15);
        assertArrayEquals(new double[] {1 / (1 + Math.exp(-1)), 1 / (1 + Math.exp(2)), 0.5},
                withTransform(OutputTransform.LOGISTIC).outputsOfMargins(m), 1e-15);
        assertArrayEquals(m, raw.outputsOfMargins(m));
        // The logistic neither overflows nor loses the tail.
        assertEquals(Math.exp(-800) / (1 + Math.exp(-800)),
                withTransform(OutputTransform.LOGISTIC).outputsOfMargins(new double[] {-800, 800, 0})[0]);
        assertEquals(1.0, withTransform(OutputTransform.LOGISTIC).outputsOfMargins(new double[] {-800, 800, 0})[1]);
    }

    private static TreeEnsemble withTransform(OutputTransform t) {
        TreeEnsemble.Builder b = TreeEnsemble.builder(1, 3);
        int leaf = b.leaf();
        return b.tree(leaf).transform(t).build();
    }

    @Test
    void theTailAppliesInOrderWithScalarOrPerColumnConstants() {
        // σ(2·s) per column, as skl2onnx writes GradientBoosting(loss="exponential"): Mul(2) → Sigmoid.
        double s = 0.5 + 0.25;
        double[] out = oneMargin(0.5, ScoreLayout.NEGATED_PAIR, OutputTransform.NONE,
                OutputStep.mul(2), OutputStep.sigmoid()).outputs(new double[] {0});
        assertArrayEquals(new double[] {1 / (1 + Math.exp(2 * s)), 1 / (1 + Math.exp(-2 * s))}, out, 1e-16);
        // exp(s) · c, as XGBoost's Poisson export writes it; then per-column Add.
        double[] poisson = oneMargin(0.5, ScoreLayout.COMPLEMENT_PAIR, OutputTransform.NONE,
                OutputStep.exp(), OutputStep.mul(1.5), OutputStep.add(1, -1)).outputs(new double[] {0});
        assertArrayEquals(new double[] {Math.exp(1 - s) * 1.5 + 1, Math.exp(s) * 1.5 - 1}, poisson, 1e-15);
        assertThrows(IllegalArgumentException.class,
                () -> oneMargin(0.5, ScoreLayout.NEGATED_PAIR, OutputTransform.NONE, OutputStep.add(1, 2, 3)));
    }

    @Test
    void theBuilderRefusesWhatIsNotAForestOfFiniteTrees() {
        TreeEnsemble.Builder cycle = TreeEnsemble.builder(1, 1);
        int a = cycle.split(0, SplitMode.LEQ, 0, false);
        int b = cycle.split(0, SplitMode.LEQ, 1, false);
        int leaf = cycle.leaf();
        cycle.children(a, b, leaf).children(b, a, leaf).tree(a);
        assertEquals("node 1 leads back to node 0: a tree must not have cycles",
                assertThrows(IllegalArgumentException.class, cycle::build).getMessage());

        TreeEnsemble.Builder orphan = TreeEnsemble.builder(1, 1);
        int split = orphan.split(0, SplitMode.LEQ, 0, false);
        orphan.tree(split);
        assertEquals("node 0 has no child -1", assertThrows(IllegalArgumentException.class, orphan::build).getMessage());

        TreeEnsemble.Builder wide = TreeEnsemble.builder(2, 1);
        int s = wide.split(2, SplitMode.LEQ, 0, false);
        int l = wide.leaf();
        wide.children(s, l, l).tree(s);
        assertEquals("node 0 splits on feature 2; the input has 2",
                assertThrows(IllegalArgumentException.class, wide::build).getMessage());

        TreeEnsemble.Builder interiorVote = TreeEnsemble.builder(1, 1);
        int s2 = interiorVote.split(0, SplitMode.LEQ, 0, false);
        int l2 = interiorVote.leaf();
        interiorVote.children(s2, l2, l2).vote(s2, 0, 1).tree(s2);
        assertEquals("node 0 votes but is not a leaf",
                assertThrows(IllegalArgumentException.class, interiorVote::build).getMessage());

        TreeEnsemble.Builder target = TreeEnsemble.builder(1, 2);
        int l3 = target.leaf();
        target.vote(l3, 2, 1).tree(l3);
        assertEquals("leaf 0 votes for target 2; the ensemble has 2",
                assertThrows(IllegalArgumentException.class, target::build).getMessage());

        assertEquals("the ensemble has no trees",
                assertThrows(IllegalArgumentException.class, () -> TreeEnsemble.builder(1, 1).build()).getMessage());
    }

    @Test
    void marginsAreSummedInDouble() {
        // Ten votes of 0.1: float32 accumulation would give 1.0000001; double gives 0.9999999999999999.
        TreeEnsemble.Builder b = TreeEnsemble.builder(1, 1);
        int leaf = b.leaf();
        b.vote(leaf, 0, 0.1);
        for (int t = 0; t < 10; t++) {
            b.tree(leaf);
        }
        double sum = 0;
        for (int t = 0; t < 10; t++) {
            sum += 0.1;
        }
        assertEquals(sum, b.build().margins(new double[] {0})[0]);
    }

    /** A root splitting into two leaves, stating the covers given (root, yes, no). */
    private static TreeEnsemble statingCovers(double... covers) {
        TreeEnsemble.Builder b = TreeEnsemble.builder(1, 1);
        int split = b.split(0, SplitMode.LEQ, 0.5, false);
        int yes = b.leaf();
        int no = b.leaf();
        return b.children(split, yes, no).vote(yes, 0, 1).tree(split).covers(covers).build();
    }

    @Test
    void statedCoversAreUsedOnlyWhenTheyCountRowsThroughTheNodes() {
        assertArrayEquals(new double[] {10, 7, 3}, statingCovers(10, 7, 3).covers().orElseThrow());
        assertEquals("every node states the same cover (1.0), as converters write when they have none",
                statingCovers(1, 1, 1).coversUnusable().orElseThrow());
        assertEquals("node 0 states a cover of 10.0 but its children 9.0",
                statingCovers(10, 6, 3).coversUnusable().orElseThrow());
        assertEquals("node 1 states a cover of -1.0", statingCovers(0, -1, 1).coversUnusable().orElseThrow());
        assertTrue(statingCovers(10, 6, 3).covers().isEmpty());
        // Two parents sharing a child: one cover cannot stand for both paths.
        TreeEnsemble.Builder b = TreeEnsemble.builder(1, 1);
        int root = b.split(0, SplitMode.LEQ, 0.5, false);
        int inner = b.split(0, SplitMode.LEQ, 0.2, false);
        int shared = b.leaf();
        int other = b.leaf();
        b.children(root, inner, shared).children(inner, shared, other).vote(shared, 0, 1).tree(root);
        assertEquals("the trees share nodes, so a node's one cover would mix several parents'",
                b.covers(new double[] {10, 4, 8, 2}).build().coversUnusable().orElseThrow());
        TreeEnsemble none = stump(SplitMode.LEQ, 0.5, false, InputRounding.NONE, false);
        assertEquals("the model states no covers (nodes_hitrates)", none.coversUnusable().orElseThrow());
    }
}
