package dev.prism.explain.tree;

import dev.prism.explain.tree.ArrayTrees.Mode;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random ensembles that exercise everything a tree explainer must handle: every split mode with
 * thresholds on the data's values (so ≤ and < differ), NaN sent either way, features split on
 * several times along a path, equality chains sharing their true child and other shared subtrees
 * (DAGs), leaves voting for a sparse subset of several targets (or none), AVERAGE, base values.
 * Data take the values 0..3 or NaN, so rows often agree and part at every kind of split.
 */
final class RandomEnsembles {
    private static final double[] VALUES = {0, 1, 2, 3};
    private static final double[] THRESHOLDS = {0, 0.5, 1, 1.5, 2, 2.5, 3};

    /** How often each construct was built, so a test can show that it met them. */
    int shared;
    int chains;
    int members;
    int averaged;
    int sparseLeaves;

    private final Random rng;
    private final int features;
    private final int targets;
    private ArrayTrees trees;
    /** Finished subtrees of the current tree and their heights, which a later node may share. */
    private final List<int[]> finished = new ArrayList<>();

    RandomEnsembles(Random rng, int features, int targets) {
        this.rng = rng;
        this.features = features;
        this.targets = targets;
    }

    /** Rows side by side as one block. */
    static RowBlock block(double[]... rows) {
        double[] data = new double[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, data, r * rows[0].length, rows[0].length);
        }
        return new RowBlock(rows.length, rows[0].length, data);
    }

    ArrayTrees ensemble(int treeCount, int maxDepth) {
        trees = new ArrayTrees(targets);
        for (int t = 0; t < treeCount; t++) {
            finished.clear();
            trees.tree(build(maxDepth));
        }
        for (int k = 0; k < targets; k++) {
            trees.base(k, rng.nextGaussian());
        }
        if (rng.nextInt(3) == 0) {
            averaged++;
            trees.average();
        }
        return trees;
    }

    /** A row of values 0..3, NaN at the given rate. */
    double[] row(double nanRate) {
        double[] row = new double[features];
        for (int f = 0; f < features; f++) {
            row[f] = rng.nextDouble() < nanRate ? Double.NaN : VALUES[rng.nextInt(VALUES.length)];
        }
        return row;
    }

    /** Rows with unequal weights, some zero. */
    Background background(int rows, double nanRate) {
        double[] data = new double[rows * features];
        double[] weights = new double[rows];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(row(nanRate), 0, data, r * features, features);
            weights[r] = rng.nextInt(5) == 0 ? 0 : 0.25 + rng.nextDouble();
        }
        weights[0] = 1;
        return new Background(new RowBlock(rows, features, data), weights);
    }

    /** A subtree of at most {@code depth} splits along any path. */
    private int build(int depth) {
        if (depth == 0 || rng.nextInt(5) == 0) {
            return finish(leaf(), 0);
        }
        int choice = rng.nextInt(10);
        if (choice == 0) {
            List<int[]> fits = finished.stream().filter(n -> n[1] <= depth).toList();
            if (!fits.isEmpty()) {
                shared++;
                return fits.get(rng.nextInt(fits.size()))[0];
            }
        }
        int f = rng.nextInt(features);
        boolean missingTrue = rng.nextBoolean();
        if (choice == 1 && depth >= 2) {
            // An equality chain over categories that share their true child, as converters expand a
            // categorical split.
            int links = 2 + rng.nextInt(Math.min(2, depth - 1));
            int sharedTrue = build(depth - links);
            int next = build(depth - links);
            int height = Math.max(height(sharedTrue), height(next));
            for (int c = links - 1; c >= 0; c--) {
                next = trees.split(Mode.EQ, f, c, missingTrue, sharedTrue, next);
                height++;
            }
            chains++;
            return finish(next, height);
        }
        int t = build(depth - 1);
        int e = build(depth - 1);
        int height = 1 + Math.max(height(t), height(e));
        if (choice == 2) {
            members++;
            double[] set = rng.ints(1 + rng.nextInt(2), 0, 4).asDoubleStream().toArray();
            return finish(trees.member(f, set, missingTrue, t, e), height);
        }
        Mode mode = Mode.values()[rng.nextInt(Mode.MEMBER.ordinal())];
        double threshold = mode == Mode.EQ || mode == Mode.NEQ
                ? VALUES[rng.nextInt(VALUES.length)]
                : THRESHOLDS[rng.nextInt(THRESHOLDS.length)];
        return finish(trees.split(mode, f, threshold, missingTrue, t, e), height);
    }

    private int leaf() {
        int[] voted = rng.ints(rng.nextInt(targets + 1), 0, targets).distinct().toArray();
        if (voted.length < targets) {
            sparseLeaves++;
        }
        double[] weights = new double[voted.length];
        for (int v = 0; v < voted.length; v++) {
            weights[v] = rng.nextGaussian();
        }
        return trees.leaf(voted, weights);
    }

    private int finish(int node, int height) {
        finished.add(new int[] {node, height});
        return node;
    }

    private int height(int node) {
        for (int[] n : finished) {
            if (n[0] == node) {
                return n[1];
            }
        }
        throw new IllegalStateException("node " + node + " is not finished");
    }
}
