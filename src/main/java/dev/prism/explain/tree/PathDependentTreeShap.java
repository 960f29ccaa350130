package dev.prism.explain.tree;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.model.trees.Trees;
import java.util.Arrays;

/**
 * Path-dependent TreeSHAP, the game shap 0.51 plays for
 * {@code TreeExplainer(model, data=background, feature_perturbation="tree_path_dependent")}: for each
 * target k, the Shapley values of
 *
 * <pre>v_k(S) = base_k + scale · Σ_trees Σ_ℓ value_ℓk · Π_{j∈S} p_ℓj · Π_{j∉S} q_ℓj</pre>
 *
 * where ℓ runs over a tree's leaves (root-to-leaf paths, in a DAG), p_ℓj is 1 when x passes every
 * split on feature j along ℓ's path and 0 otherwise, and q_ℓj is the product of the cover ratios
 * cover(child)/cover(parent) of those splits (j not split on along the path: both 1). That is: descend each
 * tree; at a split on a feature in S follow x, at any other take both children weighted by their
 * covers over the node's. Covers are counted from the background ({@link PathCovers}): the rows'
 * weight through each node, in rows, a node no row reaches weighing 1e-6 as in shap. Routing, of x
 * and of the rows, is {@link Trees#goesTrue}: the model's split modes, precision and NaN rule
 * (shap's ≤ on the native model's thresholds routes the same rows the same way).
 *
 * <p><b>The floor and the reach game.</b> Below a node no row reaches, both children weigh 1e-6 over
 * a parent of 1e-6, so when S leads x into such a region the weights of the leaves it spreads over
 * sum to more than 1. The game of a constant leaf value is then no constant: the reach game
 * R(S) = (1/T) Σ_trees Σ_ℓ Π_{j∈S} p_ℓj Π_{j∉S} q_ℓj, which is 1 for every S when every node has
 * rows, differs from 1 there, and its Shapley values are not 0. That matters for a column laid out
 * as 1 − s (a binary forest's first class): shap explains it on the native forest, whose leaves in
 * each of the T trees hold 1/T − w for the other's w, so its values are R's minus s's, not −φ(s).
 * {@link #explainWithReach} gives R's values and v_R(∅) as one more row. No rounding matter: on a
 * 15-tree breast-cancer forest with 40 background rows, R's values reach 18% of the largest value.
 *
 * <p><b>Base and additivity.</b> The base is v(∅) (each leaf's value times its cover over its root's,
 * summed), so the values add up to v(all) − v(∅) = margin(x) − base exactly. shap reports the mean
 * prediction over the background instead, which differs from v(∅) only by the floors' terms, of
 * order 1e-6 / rows; it does not add its values up to the margin (its golden values are made with
 * check_additivity off).
 *
 * <p><b>Algorithm.</b> The Shapley weight |S|!(d−1−|S|)!/d! is ∫₀¹ t^|S|(1−t)^(d−1−|S|) dt, so for a
 * leaf with d distinct path features, φ_i += value·(p_i − q_i)·∫₀¹ Π_{j≠i} (q_j + t(p_j − q_j)) dt,
 * a polynomial of degree d − 1 in t that ⌈d/2⌉-point Gauss–Legendre quadrature integrates exactly.
 * Prefix and suffix products give every "all but i" product at a node in O(d). Unlike the classic
 * algorithm's unwinding, nothing divides by a cover ratio, so the tiny ratios the floor makes lose
 * no precision.
 *
 * <p>Cost: O(T·L·D²/2) per instance for T trees of L leaves (root-to-leaf paths) and depth D,
 * whatever the background's size; counting covers is O(R·T·D), once. Memory: one double per path
 * node.
 *
 * <p>Immutable after construction and safe to share between threads; {@link #explain} allocates its
 * scratch once per call and nothing per tree.
 */
public final class PathDependentTreeShap {
    private final Trees trees;
    private final int features;
    /** The most distinct features on one path: min(features, longest path). */
    private final int maxPlayers;
    private final PathCovers covers;
    /** [d] the rule exact for a leaf with d distinct features: ⌈d/2⌉ points. */
    private final GaussLegendre[] rules;
    /** v(∅) per target, then the reach game's. */
    private final double[] empty;

    /**
     * Counts the covers of the ensemble's paths over the background rows.
     *
     * @param features     elements of the flattened input, the rows' width
     * @param cancellation asked before each background row
     * @throws IllegalArgumentException when the ensemble does not fit such an input or loops, when
     *                                  the rows have another width, or when its DAGs unfold to more
     *                                  path nodes than an array holds
     */
    public PathDependentTreeShap(Trees trees, int features, Background coverRows, Cancellation cancellation) {
        this(PathDependentGame.counted(trees, features, coverRows, cancellation));
    }

    /**
     * With the covers the model states per node (see {@link dev.prism.model.trees.TreeEnsemble#covers})
     * instead of counting a background's.
     */
    public PathDependentTreeShap(Trees trees, int features, double[] nodeCovers) {
        this(PathDependentGame.stated(trees, features, nodeCovers));
    }

    private PathDependentTreeShap(PathDependentGame game) {
        this.trees = game.trees();
        this.features = game.features();
        this.maxPlayers = game.maxPlayers();
        this.covers = game.covers();
        this.rules = game.rules();
        this.empty = game.empty();
    }

    /**
     * Explains one instance: values[target][feature], base[target].
     *
     * @param cancellation asked before each tree
     */
    public TreeShapValues explain(double[] x, Cancellation cancellation) {
        return explain(x, false, cancellation);
    }

    /**
     * Explains one instance, with the reach game (see the class comment) as one more target: its
     * values in values[targetCount()] and v_R(∅) in base[targetCount()].
     *
     * @param cancellation asked before each tree
     */
    public TreeShapValues explainWithReach(double[] x, Cancellation cancellation) {
        return explain(x, true, cancellation);
    }

    private TreeShapValues explain(double[] x, boolean withReach, Cancellation cancellation) {
        if (x.length != features) {
            throw new IllegalArgumentException("an instance of " + x.length + " values for " + features + " features");
        }
        int rows = trees.targetCount() + (withReach ? 1 : 0);
        Walk walk = new Walk(x, rows, withReach);
        for (int t = 0; t < trees.treeCount(); t++) {
            cancellation.throwIfCancelled();
            walk.walk(t);
        }
        return new TreeShapValues(walk.phi, Arrays.copyOf(empty, rows));
    }

    /** One instance's walk and sums. Confined to the calling thread. */
    private final class Walk extends PathFactors {
        private final double[][] phi;
        private final boolean withReach;
        /** Per slot at a leaf: the factor at the current quadrature node, the products before it, the integral. */
        private final double[] factor;
        private final double[] prefix;
        private final double[] integral;

        Walk(double[] x, int rows, boolean withReach) {
            super(PathDependentTreeShap.this.trees, covers, x, maxPlayers);
            this.phi = new double[rows][features];
            this.withReach = withReach;
            this.factor = new double[maxPlayers];
            this.prefix = new double[maxPlayers + 1];
            this.integral = new double[maxPlayers];
        }

        @Override
        void leaf(int leaf, int d) {
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
            for (int j = 0; j < d; j++) {
                integral[j] *= p[j] - q[j];
            }
            double scale = trees.scale();
            for (int v = 0; v < trees.voteCount(leaf); v++) {
                add(phi[trees.voteTarget(leaf, v)], scale * trees.voteWeight(leaf, v), d);
            }
            if (withReach) {
                add(phi[trees.targetCount()], 1.0 / trees.treeCount(), d);
            }
        }

        private void add(double[] phiK, double value, int d) {
            for (int j = 0; j < d; j++) {
                phiK[slotFeature[j]] += value * integral[j];
            }
        }
    }
}
