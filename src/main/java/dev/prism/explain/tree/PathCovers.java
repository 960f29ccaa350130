package dev.prism.explain.tree;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.model.trees.Trees;

/**
 * The covers of an ensemble's paths, counted from background rows as shap counts node weights when
 * it is given data for {@code tree_path_dependent}: each row adds its weight to every node it
 * passes, and a node no row reaches gets {@value #EMPTY_COVER} instead of 0 (shap 0.51 does so, so
 * that its unwinding never divides by zero).
 *
 * <p>Weights are in rows: the background's weights scaled to sum to its row count, so a uniform
 * background counts rows, as shap does, and the empty cover weighs what it weighs in shap. The
 * floor makes the game differ from plain averaging: below a node no row reaches, both children
 * weigh 1 relative to their parent, so the weight a coalition spreads over a tree's leaves exceeds
 * 1 where x's path leaves the background's (see {@link PathDependentTreeShap}).
 *
 * <p>In a DAG a shared node is reached along several paths, and the child/parent ratios must be
 * those of one path: a node's count mixes all its parents' rows. So covers are kept per path node,
 * a node of the tree that the DAG unfolds to, numbered tree after tree in depth-first order with
 * the true child first; for a tree (no shared nodes) that is one cover per node, shap's.
 *
 * <p>Immutable after construction.
 */
final class PathCovers {
    /** What a cover of zero is raised to, in rows: shap's choice. */
    static final double EMPTY_COVER = 1e-6;

    private final Trees trees;
    /** Path nodes in each node's unfolded subtree, the node included. */
    private final int[] unfoldedSize;
    /** Where each tree's path nodes start; one past the last at the end. */
    private final int[] treeOffset;
    private final double[] covers;

    /**
     * Counts the covers.
     *
     * @param features     the background's width, the elements the trees split on
     * @param cancellation asked before each background row
     * @throws IllegalArgumentException when the background has another width, or the DAGs unfold
     *                                  to more path nodes than an array holds
     */
    PathCovers(Trees trees, int features, Background background, Cancellation cancellation) {
        if (background.rows().width() != features) {
            throw new IllegalArgumentException("background rows of " + background.rows().width() + " values for "
                    + features + " features");
        }
        this.trees = trees;
        this.unfoldedSize = new int[trees.nodeCount()];
        this.treeOffset = offsets();
        this.covers = count(background, features, cancellation);
    }

    /**
     * Takes the covers the model states per node (e.g. the training set's, through nodes_hitrates),
     * a zero raised to {@value #EMPTY_COVER} as for counted ones.
     *
     * @param nodeCovers one per node of the ensemble; the trees share no nodes
     */
    PathCovers(Trees trees, double[] nodeCovers) {
        if (nodeCovers.length != trees.nodeCount()) {
            throw new IllegalArgumentException(nodeCovers.length + " covers for " + trees.nodeCount() + " nodes");
        }
        this.trees = trees;
        this.unfoldedSize = new int[trees.nodeCount()];
        this.treeOffset = offsets();
        this.covers = new double[treeOffset[trees.treeCount()]];
        for (int t = 0; t < trees.treeCount(); t++) {
            copy(trees.root(t), rootAt(t), nodeCovers);
        }
    }

    private void copy(int node, int at, double[] nodeCovers) {
        covers[at] = nodeCovers[node] == 0 ? EMPTY_COVER : nodeCovers[node];
        if (!trees.isLeaf(node)) {
            int trueChild = trees.trueChild(node);
            copy(trueChild, trueAt(at), nodeCovers);
            copy(trees.falseChild(node), falseAt(at, trueChild), nodeCovers);
        }
    }

    private int[] offsets() {
        int[] treeOffset = new int[trees.treeCount() + 1];
        for (int t = 0; t < trees.treeCount(); t++) {
            long end = (long) treeOffset[t] + unfold(trees.root(t));
            if (end > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("the trees unfold to more than " + (Integer.MAX_VALUE - 8)
                        + " path nodes");
            }
            treeOffset[t + 1] = (int) end;
        }
        return treeOffset;
    }

    /** Memoised over nodes; saturates at Integer.MAX_VALUE, which the constructor refuses. */
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

    private double[] count(Background background, int features, Cancellation cancellation) {
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
                        at = trueAt(at);
                        node = trueChild;
                    } else {
                        at = falseAt(at, trueChild);
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

    /** The path node of a tree's root. */
    int rootAt(int tree) {
        return treeOffset[tree];
    }

    /** The path node of the true child of the node at path node {@code at}. */
    static int trueAt(int at) {
        return at + 1;
    }

    /** The path node of the false child of the node at path node {@code at}, whose true child is given. */
    int falseAt(int at, int trueChild) {
        return at + 1 + unfoldedSize[trueChild];
    }

    double cover(int at) {
        return covers[at];
    }

    /** Path nodes of all trees together. */
    int size() {
        return covers.length;
    }

    /**
     * The game's value at the empty coalition: per target, each leaf's votes weighted by the product
     * of the cover ratios along its path, which telescopes to its cover over its root's; the
     * targets' base values added. With {@code withReach}, one more entry: the reach game's (see
     * {@link PathDependentTreeShap}), each tree's leaves weighing 1/T.
     */
    double[] emptyCoalition(boolean withReach) {
        int targets = trees.targetCount();
        double[] e = new double[targets + (withReach ? 1 : 0)];
        for (int t = 0; t < trees.treeCount(); t++) {
            int root = rootAt(t);
            addLeaves(trees.root(t), root, 1 / covers[root], e, withReach);
        }
        for (int k = 0; k < targets; k++) {
            e[k] = trees.scale() * e[k] + trees.base(k);
        }
        if (withReach && trees.treeCount() > 0) {
            e[targets] /= trees.treeCount();
        }
        return e;
    }

    private void addLeaves(int node, int at, double perCover, double[] e, boolean withReach) {
        if (trees.isLeaf(node)) {
            double share = perCover * covers[at];
            for (int v = 0; v < trees.voteCount(node); v++) {
                e[trees.voteTarget(node, v)] += share * trees.voteWeight(node, v);
            }
            if (withReach) {
                e[trees.targetCount()] += share;
            }
            return;
        }
        int trueChild = trees.trueChild(node);
        addLeaves(trueChild, trueAt(at), perCover, e, withReach);
        addLeaves(trees.falseChild(node), falseAt(at, trueChild), perCover, e, withReach);
    }
}
