package dev.prism.explain.tree;

import dev.prism.model.trees.Trees;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A tree ensemble held in lists, built node by node, with ONNX Runtime's split modes and NaN rule:
 * a row takes the true child when the comparison holds (IEEE, so NaN fails every comparison but
 * NEQ) or its value is NaN and the node tracks missing values to true. A node may be the child of
 * several nodes, which makes DAGs.
 */
final class ArrayTrees implements Trees {

    enum Mode { LEQ, LT, GTE, GT, EQ, NEQ, MEMBER }

    private final List<Node> nodes = new ArrayList<>();
    private final List<Integer> roots = new ArrayList<>();
    private final int targets;
    private final double[] bases;
    private boolean average;

    private record Node(Mode mode, int feature, double threshold, double[] members, boolean missingTrue,
                        int trueChild, int falseChild, int[] targets, double[] weights) {
        boolean leaf() {
            return mode == null;
        }

        boolean test(double v) {
            boolean holds = switch (mode) {
                case LEQ -> v <= threshold;
                case LT -> v < threshold;
                case GTE -> v >= threshold;
                case GT -> v > threshold;
                case EQ -> v == threshold;
                case NEQ -> v != threshold;
                case MEMBER -> Arrays.stream(members).anyMatch(m -> m == v);
            };
            return holds || (Double.isNaN(v) && missingTrue);
        }
    }

    ArrayTrees(int targets) {
        this.targets = targets;
        this.bases = new double[targets];
    }

    /** A leaf with sparse votes: targets[i] gets weights[i]. */
    int leaf(int[] voteTargets, double[] voteWeights) {
        nodes.add(new Node(null, -1, 0, null, false, -1, -1, voteTargets.clone(), voteWeights.clone()));
        return nodes.size() - 1;
    }

    /** A leaf voting for target 0 only. */
    int leaf(double value) {
        return leaf(new int[] {0}, new double[] {value});
    }

    int split(Mode mode, int feature, double threshold, boolean missingTrue, int trueChild, int falseChild) {
        if (mode == Mode.MEMBER) {
            throw new IllegalArgumentException("membership splits take their set");
        }
        nodes.add(new Node(mode, feature, threshold, null, missingTrue, trueChild, falseChild, null, null));
        return nodes.size() - 1;
    }

    int member(int feature, double[] set, boolean missingTrue, int trueChild, int falseChild) {
        nodes.add(new Node(Mode.MEMBER, feature, Double.NaN, set.clone(), missingTrue, trueChild, falseChild,
                null, null));
        return nodes.size() - 1;
    }

    /** x[feature] ≤ threshold goes to low, else high; NaN goes high. */
    int leq(int feature, double threshold, int low, int high) {
        return split(Mode.LEQ, feature, threshold, false, low, high);
    }

    ArrayTrees tree(int root) {
        roots.add(root);
        return this;
    }

    ArrayTrees average() {
        average = true;
        return this;
    }

    ArrayTrees base(int target, double value) {
        bases[target] = value;
        return this;
    }

    /** The margins at a row, by routing it through every tree: the reference the tests compare with. */
    double[] margin(double[] row) {
        double[] m = new double[targets];
        for (int root : roots) {
            Node n = nodes.get(root);
            while (!n.leaf()) {
                n = nodes.get(n.test(row[n.feature]) ? n.trueChild : n.falseChild);
            }
            for (int v = 0; v < n.targets.length; v++) {
                m[n.targets[v]] += scale() * n.weights[v];
            }
        }
        for (int k = 0; k < targets; k++) {
            m[k] += bases[k];
        }
        return m;
    }

    @Override
    public int treeCount() {
        return roots.size();
    }

    @Override
    public int root(int tree) {
        return roots.get(tree);
    }

    @Override
    public int nodeCount() {
        return nodes.size();
    }

    @Override
    public boolean isLeaf(int node) {
        return nodes.get(node).leaf();
    }

    @Override
    public int feature(int node) {
        return nodes.get(node).feature;
    }

    @Override
    public boolean goesTrue(int node, double value) {
        return nodes.get(node).test(value);
    }

    @Override
    public int trueChild(int node) {
        return nodes.get(node).trueChild;
    }

    @Override
    public int falseChild(int node) {
        return nodes.get(node).falseChild;
    }

    @Override
    public int voteCount(int leaf) {
        return nodes.get(leaf).targets.length;
    }

    @Override
    public int voteTarget(int leaf, int vote) {
        return nodes.get(leaf).targets[vote];
    }

    @Override
    public double voteWeight(int leaf, int vote) {
        return nodes.get(leaf).weights[vote];
    }

    @Override
    public int targetCount() {
        return targets;
    }

    @Override
    public double scale() {
        return average ? 1.0 / roots.size() : 1.0;
    }

    @Override
    public double base(int target) {
        return bases[target];
    }
}
