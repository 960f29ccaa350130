package dev.prism.explain.tree;

import dev.prism.model.trees.Trees;
import java.util.Arrays;
import java.util.Optional;

/**
 * An ensemble unfolded into trees of paths, each node numbered on its own, with the bit each split
 * gives its feature on the way down: the first feature met on a path is bit 0, the next new one bit
 * 1, and a feature met again keeps its bit. A DAG's shared subtree is copied once per path that
 * reaches it, so every node here has one path from its root and a fixed set of bits; a leaf's path
 * is one row of {@link TabulatedTreeShap}'s tables, its {@link #width} bits wide.
 *
 * <p>Immutable after {@link #unfold}; safe to share between threads.
 */
final class TreePaths {
    /** The widest path the tables take: 2^width · width doubles a path. */
    static final int MAX_WIDTH = 16;
    /** The longest path unfolded: deeper ensembles are walked instead (the unfolding recurses). */
    static final int MAX_DEPTH = 1024;

    private final Trees trees;
    /** The roots of the unfolded trees, one per tree of the ensemble. */
    final int[] roots;
    /** Per unfolded node: the ensemble's node it copies. */
    final int[] source;
    /** Per unfolded node: the element it splits on (interior) or −1. */
    final int[] feature;
    /** Per unfolded interior node: its feature's bit on its path. */
    final byte[] bit;
    final int[] trueChild;
    final int[] falseChild;
    /** Per unfolded node: the path it ends, −1 for an interior node. */
    final int[] path;
    /** Per path: the ensemble's leaf it reaches. */
    final int[] leaf;
    /** Per path: distinct features on it. */
    final byte[] width;
    /** Per path: where its features, in bit order, start in {@link #pathFeatures}. */
    final int[] featureStart;
    final int[] pathFeatures;

    private TreePaths(Trees trees, Builder b) {
        this.trees = trees;
        this.roots = b.roots;
        this.source = Arrays.copyOf(b.source, b.nodes);
        this.feature = Arrays.copyOf(b.feature, b.nodes);
        this.bit = Arrays.copyOf(b.bit, b.nodes);
        this.trueChild = Arrays.copyOf(b.trueChild, b.nodes);
        this.falseChild = Arrays.copyOf(b.falseChild, b.nodes);
        this.path = Arrays.copyOf(b.path, b.nodes);
        this.leaf = Arrays.copyOf(b.leaf, b.paths);
        this.width = Arrays.copyOf(b.width, b.paths);
        this.featureStart = Arrays.copyOf(b.featureStart, b.paths + 1);
        this.pathFeatures = Arrays.copyOf(b.pathFeatures, b.featureCount);
    }

    /**
     * Unfolds an ensemble, or says it does not fit: more than {@code maxNodes} unfolded nodes (a DAG
     * whose paths multiply) or a path wider than {@link #MAX_WIDTH} features.
     *
     * @param features elements of the input; the ensemble must have passed {@link EnsembleCheck}
     */
    static Optional<TreePaths> unfold(Trees trees, int features, int maxNodes) {
        Builder b = new Builder(features, trees.treeCount());
        for (int t = 0; t < trees.treeCount(); t++) {
            int root = b.copy(trees, trees.root(t), 0, 0, maxNodes);
            if (root < 0) {
                return Optional.empty();
            }
            b.roots[t] = root;
        }
        b.featureStart[b.paths] = b.featureCount;
        return Optional.of(new TreePaths(trees, b));
    }

    Trees trees() {
        return trees;
    }

    int nodeCount() {
        return source.length;
    }

    int pathCount() {
        return leaf.length;
    }

    /** The doubles of a table with one row per path: Σ 2^width · width. */
    long tableLength() {
        long n = 0;
        for (byte w : width) {
            n += (long) w << w;
        }
        return n;
    }

    /** Growing arrays while unfolding; confined to {@link #unfold}. */
    private static final class Builder {
        final int[] roots;
        int[] source = new int[64];
        int[] feature = new int[64];
        byte[] bit = new byte[64];
        int[] trueChild = new int[64];
        int[] falseChild = new int[64];
        int[] path = new int[64];
        int nodes;
        int[] leaf = new int[16];
        byte[] width = new byte[16];
        int[] featureStart = new int[17];
        int[] pathFeatures = new int[64];
        int featureCount;
        int paths;
        /** Per feature: its bit on the current path, or −1. */
        final byte[] featureBit;
        /** The features given bits on the current path, in bit order. */
        final int[] onPath = new int[MAX_WIDTH];

        Builder(int features, int treeCount) {
            this.roots = new int[treeCount];
            this.featureBit = new byte[features];
            Arrays.fill(featureBit, (byte) -1);
        }

        /**
         * Copies node's subtree below a path of {@code depth} splits on {@code bits} features; −1
         * when it does not fit.
         */
        int copy(Trees trees, int node, int bits, int depth, int maxNodes) {
            if (nodes >= maxNodes || depth > MAX_DEPTH) {
                return -1;
            }
            int at = nodes++;
            grow();
            source[at] = node;
            if (trees.isLeaf(node)) {
                feature[at] = -1;
                trueChild[at] = -1;
                falseChild[at] = -1;
                path[at] = addPath(node, bits);
                return at;
            }
            int f = trees.feature(node);
            int b = featureBit[f];
            boolean fresh = b < 0;
            if (fresh) {
                if (bits == MAX_WIDTH) {
                    return -1;
                }
                b = bits;
                featureBit[f] = (byte) b;
                onPath[b] = f;
            }
            feature[at] = f;
            bit[at] = (byte) b;
            path[at] = -1;
            int below = fresh ? bits + 1 : bits;
            int t = copy(trees, trees.trueChild(node), below, depth + 1, maxNodes);
            int e = t < 0 ? -1 : copy(trees, trees.falseChild(node), below, depth + 1, maxNodes);
            if (fresh) {
                featureBit[f] = -1;
            }
            if (e < 0) {
                return -1;
            }
            trueChild[at] = t;
            falseChild[at] = e;
            return at;
        }

        private int addPath(int node, int bits) {
            if (paths + 1 >= leaf.length) {
                leaf = Arrays.copyOf(leaf, leaf.length * 2);
                width = Arrays.copyOf(width, width.length * 2);
                featureStart = Arrays.copyOf(featureStart, featureStart.length * 2 + 1);
            }
            while (featureCount + bits > pathFeatures.length) {
                pathFeatures = Arrays.copyOf(pathFeatures, pathFeatures.length * 2);
            }
            leaf[paths] = node;
            width[paths] = (byte) bits;
            featureStart[paths] = featureCount;
            System.arraycopy(onPath, 0, pathFeatures, featureCount, bits);
            featureCount += bits;
            return paths++;
        }

        private void grow() {
            if (nodes > source.length) {
                int n = source.length * 2;
                source = Arrays.copyOf(source, n);
                feature = Arrays.copyOf(feature, n);
                bit = Arrays.copyOf(bit, n);
                trueChild = Arrays.copyOf(trueChild, n);
                falseChild = Arrays.copyOf(falseChild, n);
                path = Arrays.copyOf(path, n);
            }
        }
    }
}
