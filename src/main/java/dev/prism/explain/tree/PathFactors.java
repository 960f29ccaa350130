package dev.prism.explain.tree;

import dev.prism.model.trees.Trees;
import java.util.Arrays;

/**
 * The walk of the path-dependent game over one tree for one instance: it visits every root-to-leaf
 * path (a DAG's shared subtree once per path that reaches it) keeping, for each distinct feature
 * split on along the path, the pair of factors the leaf's term takes with the feature in the
 * coalition or out of it:
 *
 * <ul>
 *   <li>p_j, 1 when x passes every split on j along the path, else 0;</li>
 *   <li>q_j, the product of the child/parent cover ratios of those splits.</li>
 * </ul>
 *
 * The tree's game is then Σ_ℓ value_ℓ · Π_{j∈S} p_j · Π_{j∉S} q_j over its leaves ℓ, and each leaf
 * reached is handed to {@link #leaf} with its factors in slots 0..d−1. Covers are never 0 (see
 * {@link PathCovers}), so q > 0 and every path counts. Recursion is as deep as the longest path.
 *
 * <p>Confined to the thread that made it.
 */
abstract class PathFactors {
    protected final Trees trees;
    private final PathCovers covers;
    private final double[] x;
    /** The slot of each feature on the current path, −1 when it is not on it. */
    private final int[] slotOf;
    /** Per slot: the feature, p and q. */
    protected final int[] slotFeature;
    protected final double[] p;
    protected final double[] q;

    /**
     * @param maxPlayers the most distinct features on one path
     */
    PathFactors(Trees trees, PathCovers covers, double[] x, int maxPlayers) {
        this.trees = trees;
        this.covers = covers;
        this.x = x;
        this.slotOf = new int[x.length];
        Arrays.fill(slotOf, -1);
        this.slotFeature = new int[maxPlayers];
        this.p = new double[maxPlayers];
        this.q = new double[maxPlayers];
    }

    /** Walks one tree. */
    final void walk(int tree) {
        descend(trees.root(tree), covers.rootAt(tree), 0);
    }

    /** A leaf reached with {@code d} distinct features on its path, their factors in slots 0..d−1. */
    abstract void leaf(int leaf, int d);

    private void descend(int node, int at, int slots) {
        if (trees.isLeaf(node)) {
            leaf(node, slots);
            return;
        }
        int f = trees.feature(node);
        int trueChild = trees.trueChild(node);
        int trueAt = PathCovers.trueAt(at);
        int falseAt = covers.falseAt(at, trueChild);
        boolean xTrue = trees.goesTrue(node, x[f]);
        double parent = covers.cover(at);
        follow(trueChild, trueAt, slots, f, xTrue ? 1 : 0, covers.cover(trueAt) / parent);
        follow(trees.falseChild(node), falseAt, slots, f, xTrue ? 0 : 1, covers.cover(falseAt) / parent);
    }

    /** Takes one edge: multiplies its p and q into the feature's, descends, and restores them. */
    private void follow(int child, int at, int slots, int f, double edgeP, double edgeQ) {
        int s = slotOf[f];
        if (s < 0) {
            slotOf[f] = slots;
            slotFeature[slots] = f;
            p[slots] = edgeP;
            q[slots] = edgeQ;
            descend(child, at, slots + 1);
            slotOf[f] = -1;
            return;
        }
        double oldP = p[s];
        double oldQ = q[s];
        p[s] = oldP * edgeP;
        q[s] = oldQ * edgeQ;
        descend(child, at, slots);
        p[s] = oldP;
        q[s] = oldQ;
    }
}
