package dev.prism.explain.tree;

import dev.prism.model.trees.Trees;

/**
 * The check the tree explainers make of an ensemble before they walk it: every node reachable
 * from a root is a node of the ensemble, splits on an element of the input and votes for one of
 * the targets, and no tree loops back on itself. It measures the longest root-to-leaf path on the
 * way, which bounds the explainers' per-path scratch.
 */
final class EnsembleCheck {
    /** A node's state starts at 0, unseen. */
    private static final byte ON_PATH = 1;
    private static final byte DONE = 2;

    private final Trees trees;
    private final int features;
    private final byte[] state;
    /** Interior nodes on the longest path from each node down to a leaf. */
    private final int[] height;

    private EnsembleCheck(Trees trees, int features) {
        this.trees = trees;
        this.features = features;
        this.state = new byte[trees.nodeCount()];
        this.height = new int[trees.nodeCount()];
    }

    /**
     * Checks the ensemble against an input of {@code features} elements.
     *
     * @return the interior nodes on the longest root-to-leaf path of any tree
     * @throws IllegalArgumentException naming the first node that breaks the rules
     */
    static int longestPath(Trees trees, int features) {
        if (features < 1) {
            throw new IllegalArgumentException("an input needs at least one element, got " + features);
        }
        EnsembleCheck check = new EnsembleCheck(trees, features);
        int longest = 0;
        for (int t = 0; t < trees.treeCount(); t++) {
            longest = Math.max(longest, check.height(check.node(trees.root(t), "the root of tree " + t)));
        }
        return longest;
    }

    /** Memoised over nodes: a DAG's shared subtree is measured once. */
    private int height(int node) {
        if (state[node] == DONE) {
            return height[node];
        }
        if (state[node] == ON_PATH) {
            throw new IllegalArgumentException("node " + node + " is its own descendant");
        }
        int h = 0;
        if (trees.isLeaf(node)) {
            for (int v = 0; v < trees.voteCount(node); v++) {
                int target = trees.voteTarget(node, v);
                if (target < 0 || target >= trees.targetCount()) {
                    throw new IllegalArgumentException("leaf " + node + " votes for target " + target + " of "
                            + trees.targetCount());
                }
            }
        } else {
            int f = trees.feature(node);
            if (f < 0 || f >= features) {
                throw new IllegalArgumentException("node " + node + " splits on element " + f
                        + " of an input of " + features);
            }
            state[node] = ON_PATH;
            int t = height(node(trees.trueChild(node), "the true child of node " + node));
            int e = height(node(trees.falseChild(node), "the false child of node " + node));
            h = 1 + Math.max(t, e);
        }
        state[node] = DONE;
        height[node] = h;
        return h;
    }

    private int node(int node, String what) {
        if (node < 0 || node >= trees.nodeCount()) {
            throw new IllegalArgumentException(what + " is node " + node + " of " + trees.nodeCount());
        }
        return node;
    }
}
