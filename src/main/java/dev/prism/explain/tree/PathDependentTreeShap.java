package dev.prism.explain.tree;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.model.trees.Trees;
import java.util.Arrays;

/**
 * Path-dependent TreeSHAP (shap's {@code tree_path_dependent}) with covers counted from a
 * background, as shap counts them when it is given data: the Shapley values of the game where v(S)
 * descends each tree following x at splits on features in S and, at the others, averages the
 * children weighted by the background's cover of each.
 *
 * <p><b>Covers.</b> A node's cover is the background weight that reaches it, in rows (the weights
 * scaled to sum to the row count, so a uniform background counts rows, as shap does). ONNX files
 * carry no usable cover, hence the background. In a DAG a shared node is reached along several
 * paths, and the child/parent ratios must be those of one path, so covers are kept per path: per
 * node of the tree the DAG unfolds to, numbered in depth-first order with the true child first. A
 * cover of zero is raised to {@value #EMPTY_COVER}, as shap does since 0.51: both children of a node
 * no row reaches then weigh 1, which is shap's game, not an average. Beyond terms of order
 * 1e-6 / rows, the rule matters only where x's path leaves the background's.
 *
 * <p><b>Algorithm.</b> For a leaf ℓ whose path splits on the distinct features F_ℓ, let p_j be 1
 * when x passes every split on j along the path (else 0) and q_j the product of the child/parent
 * cover ratios of those splits; the tree's game is Σ_ℓ value_ℓ·Π_{j∈S} p_j·Π_{j∉S} q_j. The
 * Shapley weight |S|!(d−1−|S|)!/d! is ∫₀¹ t^|S|(1−t)^(d−1−|S|) dt, so
 * φ_i = Σ_ℓ value_ℓ·(p_i − q_i)·∫₀¹ Π_{j∈F_ℓ, j≠i} (q_j + t·(p_j − q_j)) dt, a polynomial of degree
 * d − 1 in t that ⌈d/2⌉-point Gauss–Legendre quadrature integrates exactly. Prefix and suffix
 * products give every "all but i" product at a node in O(d). No step divides by a cover ratio
 * (the classic algorithm's unwinding does), so small ratios lose no precision. A subtree where some
 * feature has p = q = 0 adds nothing for any S and is skipped.
 *
 * <p>Cost: O(T·L·D²/2) per instance for T trees of L leaves (root-to-leaf paths, in a DAG) and
 * depth D: each leaf evaluates its d ≤ D factors at ⌈d/2⌉ quadrature nodes. It does not depend on
 * the background's size; counting the covers is O(R·T·D), once. Memory: one double per path node,
 * which is the node count for trees.
 *
 * <p>Immutable after construction and safe to share between threads; {@link #explain} allocates
 * its scratch once per call and nothing per tree.
 */
public final class PathDependentTreeShap {
    /** What a cover of zero is raised to, shap's choice, in rows. */
    static final double EMPTY_COVER = 1e-6;

    private final Trees trees;
    private final int features;
    /** The most distinct features on one path: min(features, longest path). */
    private final int maxPlayers;
    /** Path nodes in each node's unfolded subtree, the node included. */
    private final int[] unfoldedSize;
    /** Where each tree's path nodes start in {@link #covers}. */
    private final int[] treeOffset;
    /** Covers of path nodes, tree after tree, each tree in depth-first order, true child first. */
    private final double[] covers;
    /** [d] the rule exact for a leaf with d distinct features: ⌈d/2⌉ points. */
    private final GaussLegendre[] rules;
    private final double[] base;

    private PathDependentTreeShap(Trees trees, int features, Background background, Cancellation cancellation) {
        this.trees = trees;
        this.features = features;
        this.maxPlayers = Math.min(features, EnsembleCheck.longestPath(trees, features));
        this.unfoldedSize = new int[trees.nodeCount()];
        this.treeOffset = new int[trees.treeCount() + 1];
        for (int t = 0; t < trees.treeCount(); t++) {
            long end = (long) treeOffset[t] + unfold(trees.root(t));
            if (end > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("the trees unfold to more than " + (Integer.MAX_VALUE - 8)
                        + " path nodes");
            }
            treeOffset[t + 1] = (int) end;
        }
        this.covers = count(background, cancellation);
        this.rules = new GaussLegendre[maxPlayers + 1];
        for (int d = 1; d <= maxPlayers; d++) {
            rules[d] = GaussLegendre.of((d + 1) / 2);
        }
        this.base = expectedMargins();
    }

    /**
     * Counts the covers of an ensemble's paths over a background.
     *
     * @param features     elements of the flattened input, the background's width
     * @param cancellation asked before each background row
     * @throws IllegalArgumentException when the ensemble does not fit such an input or loops, or
     *                                  when its DAGs unfold to more path nodes than an array holds
     */
    public static PathDependentTreeShap fromBackground(Trees trees, int features, Background background,
                                                       Cancellation cancellation) {
        if (background.rows().width() != features) {
            throw new IllegalArgumentException("background rows of " + background.rows().width() + " values for "
                    + features + " features");
        }
        return new PathDependentTreeShap(trees, features, background, cancellation);
    }

    /** Memoised over nodes; saturates at Integer.MAX_VALUE, which the caller refuses. */
    private int unfold(int node) {
        if (unfoldedSize[node] == 0) {
            long size = 1;
            if (!trees.isLeaf(node)) {
                size += (long) unfold(trees.trueChild(node)) + unfold(trees.falseChild(node));
            }
            unfoldedSize[node] = (int) Math.min(size, Integer.MAX_VALUE);
        }
        return unfoldedSize[node];
    }

    private double[] count(Background background, Cancellation cancellation) {
        double[] c = new double[treeOffset[trees.treeCount()]];
        double[] rows = background.rows().data();
        for (int r = 0; r < background.size(); r++) {
            cancellation.throwIfCancelled();
            double w = background.weight(r) * background.size();
            int offset = r * features;
            for (int t = 0; t < trees.treeCount(); t++) {
                int node = trees.root(t);
                int at = treeOffset[t];
                while (true) {
                    c[at] += w;
                    if (trees.isLeaf(node)) {
                        break;
                    }
                    int trueChild = trees.trueChild(node);
                    if (trees.goesTrue(node, rows[offset + trees.feature(node)])) {
                        at += 1;
                        node = trueChild;
                    } else {
                        at += 1 + unfoldedSize[trueChild];
                        node = trees.falseChild(node);
                    }
                }
            }
        }
        for (int i = 0; i < c.length; i++) {
            if (c[i] == 0) {
                c[i] = EMPTY_COVER;
            }
        }
        return c;
    }

    /** v(∅) per target: each leaf's votes weighted by its cover over the root's. */
    private double[] expectedMargins() {
        double[] e = new double[trees.targetCount()];
        for (int t = 0; t < trees.treeCount(); t++) {
            int root = treeOffset[t];
            addLeaves(trees.root(t), root, trees.scale() / covers[root], e);
        }
        for (int k = 0; k < e.length; k++) {
            e[k] += trees.base(k);
        }
        return e;
    }

    private void addLeaves(int node, int at, double perCover, double[] e) {
        if (trees.isLeaf(node)) {
            for (int v = 0; v < trees.voteCount(node); v++) {
                e[trees.voteTarget(node, v)] += perCover * covers[at] * trees.voteWeight(node, v);
            }
            return;
        }
        int trueChild = trees.trueChild(node);
        addLeaves(trueChild, at + 1, perCover, e);
        addLeaves(trees.falseChild(node), at + 1 + unfoldedSize[trueChild], perCover, e);
    }

    /**
     * Explains one instance.
     *
     * @param cancellation asked before each tree
     */
    public TreeShapValues explain(double[] x, Cancellation cancellation) {
        if (x.length != features) {
            throw new IllegalArgumentException("an instance of " + x.length + " values for " + features + " features");
        }
        Walk walk = new Walk(x);
        for (int t = 0; t < trees.treeCount(); t++) {
            cancellation.throwIfCancelled();
            walk.descend(trees.root(t), treeOffset[t], 0);
        }
        return new TreeShapValues(walk.phi, base.clone());
    }

    /** One instance's walk: the distinct features on the current path with their p and q. */
    private final class Walk {
        private final double[] x;
        private final double[][] phi;
        /** The slot of each feature on the current path, −1 when it is not on it. */
        private final int[] slotOf;
        private final int[] slotFeature;
        private final double[] p;
        private final double[] q;
        /** Per slot at a leaf: the factor at the current quadrature node, the products before it, the integral. */
        private final double[] factor;
        private final double[] prefix;
        private final double[] integral;

        Walk(double[] x) {
            this.x = x;
            this.phi = new double[trees.targetCount()][features];
            this.slotOf = new int[features];
            Arrays.fill(slotOf, -1);
            this.slotFeature = new int[maxPlayers];
            this.p = new double[maxPlayers];
            this.q = new double[maxPlayers];
            this.factor = new double[maxPlayers];
            this.prefix = new double[maxPlayers + 1];
            this.integral = new double[maxPlayers];
        }

        /** Descends from node, path node {@code at}, with {@code slots} distinct features on the path. */
        void descend(int node, int at, int slots) {
            if (trees.isLeaf(node)) {
                leaf(node, slots);
                return;
            }
            int f = trees.feature(node);
            int trueChild = trees.trueChild(node);
            int trueAt = at + 1;
            int falseAt = at + 1 + unfoldedSize[trueChild];
            boolean xTrue = trees.goesTrue(node, x[f]);
            double parent = covers[at];
            follow(trueChild, trueAt, slots, f, xTrue ? 1 : 0, covers[trueAt] / parent);
            follow(trees.falseChild(node), falseAt, slots, f, xTrue ? 0 : 1, covers[falseAt] / parent);
        }

        /** Takes one edge: multiplies its p and q into the feature's, descends, and restores them. */
        private void follow(int child, int at, int slots, int f, double edgeP, double edgeQ) {
            int s = slotOf[f];
            if (s < 0) {
                if (edgeP == 0 && edgeQ == 0) {
                    return;
                }
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
            if (p[s] != 0 || q[s] != 0) {
                descend(child, at, slots);
            }
            p[s] = oldP;
            q[s] = oldQ;
        }

        private void leaf(int leaf, int d) {
            if (d == 0) {
                return;
            }
            Arrays.fill(integral, 0, d, 0.0);
            GaussLegendre rule = rules[d];
            for (int m = 0; m < rule.nodes.length; m++) {
                double t = rule.nodes[m];
                prefix[0] = 1;
                for (int j = 0; j < d; j++) {
                    factor[j] = q[j] + t * (p[j] - q[j]);
                    prefix[j + 1] = prefix[j] * factor[j];
                }
                double suffix = rule.weights[m];
                for (int j = d - 1; j >= 0; j--) {
                    integral[j] += prefix[j] * suffix;
                    suffix *= factor[j];
                }
            }
            double scale = trees.scale();
            for (int v = 0; v < trees.voteCount(leaf); v++) {
                double[] phiK = phi[trees.voteTarget(leaf, v)];
                double value = scale * trees.voteWeight(leaf, v);
                for (int j = 0; j < d; j++) {
                    phiK[slotFeature[j]] += value * (p[j] - q[j]) * integral[j];
                }
            }
        }
    }
}
