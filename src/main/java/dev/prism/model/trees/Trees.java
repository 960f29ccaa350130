package dev.prism.model.trees;

/**
 * A tree ensemble as the explainers read it: nodes numbered across all trees, each an interior
 * split or a leaf with sparse votes over the targets. A node may be reached along several paths
 * (a tree can be a DAG: chains of equality splits that share a child); the explainers walk paths,
 * not nodes, so that is fine.
 *
 * <p>The margin of target k is {@code base(k) + scale() · Σ_trees Σ_votes{target = k} weight} over the
 * leaf each tree routes x to; the model's outputs are a transform of the margins (see the ensemble
 * that implements this view).
 */
public interface Trees {

    /** Trees in the ensemble. */
    int treeCount();

    /** The root node of a tree. */
    int root(int tree);

    /** Nodes, interior and leaves, of all trees together. */
    int nodeCount();

    boolean isLeaf(int node);

    /** The input element an interior node splits on. */
    int feature(int node);

    /**
     * Whether a row whose value at {@link #feature} is {@code value} takes the node's true child:
     * the node's comparison in the model's precision (float32 for a float model), a NaN going where
     * the node says (ONNX Runtime's rule: true when the comparison holds, or the value is NaN and
     * the node tracks missing values to true).
     */
    boolean goesTrue(int node, double value);

    int trueChild(int node);

    int falseChild(int node);

    /** Votes of a leaf: how many (target, weight) pairs it carries. */
    int voteCount(int leaf);

    int voteTarget(int leaf, int vote);

    double voteWeight(int leaf, int vote);

    /** Targets (margin columns). */
    int targetCount();

    /** What each tree's votes are multiplied by: 1 for SUM, 1 / treeCount() for AVERAGE. */
    double scale();

    /** The constant added to target k's margin. */
    double base(int target);
}
