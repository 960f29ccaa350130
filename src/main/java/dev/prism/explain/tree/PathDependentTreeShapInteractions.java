package dev.prism.explain.tree;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.model.trees.Trees;
import java.util.Arrays;

/**
 * Shapley interaction values of the path-dependent game ({@link PathDependentTreeShap}, covers from
 * background rows), as shap 0.51's {@code shap_interaction_values} computes them for
 * {@code tree_path_dependent} with data: for each tree and each feature j it splits on, TreeSHAP with
 * j held present (its factor fixed at p_j) and held absent (fixed at q_j); the off-diagonal entry
 * (i, j) is half the difference of i's values, and the diagonal is φ_i less the rest of the row.
 *
 * <p>For a leaf whose path splits on the distinct features F with factors (p, q), the difference of
 * i's values with j present and absent is
 * (p_i − q_i)(p_j − q_j)·∫₀¹ Π_{k∈F∖{i,j}} (q_k + t(p_k − q_k)) dt: exactly the Shapley interaction
 * index of i and j in the leaf's product game, since the weight |S|!(d−2−|S|)!/(d−1)! is
 * ∫₀¹ t^|S|(1−t)^(d−2−|S|) dt. So the entries are half the Shapley interaction index of the
 * path-dependent game (Lundberg et al.'s SHAP interaction values), found in one walk per tree
 * rather than one per feature: at each leaf, Gauss–Legendre quadrature (exact, the integrand having
 * degree ≤ d − 2) with prefix and suffix products, and a running product between i and j, gives
 * every pair in O(d²) per quadrature node, with no division. The reach game (see
 * {@link PathDependentTreeShap}) is available as one more target, for a column laid out as 1 − s.
 *
 * <p>Cost: O(T·L·D³/2) per instance for T trees of L leaves (root-to-leaf paths) and depth D, plus
 * O(K·M²) for K targets and M features; memory the K·M² result.
 *
 * <p>Immutable after construction and safe to share between threads; {@link #explain} allocates its
 * scratch once per call and nothing per tree.
 */
public final class PathDependentTreeShapInteractions {
    private final Trees trees;
    private final int features;
    private final int maxPlayers;
    private final PathCovers covers;
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
    public PathDependentTreeShapInteractions(Trees trees, int features, Background coverRows, Cancellation cancellation) {
        this(PathDependentGame.counted(trees, features, coverRows, cancellation));
    }

    /**
     * With the covers the model states per node (see {@link dev.prism.model.trees.TreeEnsemble#covers})
     * instead of counting a background's.
     */
    public PathDependentTreeShapInteractions(Trees trees, int features, double[] nodeCovers) {
        this(PathDependentGame.stated(trees, features, nodeCovers));
    }

    private PathDependentTreeShapInteractions(PathDependentGame game) {
        this.trees = game.trees();
        this.features = game.features();
        this.maxPlayers = game.maxPlayers();
        this.covers = game.covers();
        this.rules = game.rules();
        this.empty = game.empty();
    }

    /**
     * Explains one instance: values[target][feature][feature], base[target].
     *
     * @param cancellation asked before each tree and each target's diagonal
     */
    public TreeShapInteractions explain(double[] x, Cancellation cancellation) {
        return explain(x, false, cancellation);
    }

    /**
     * Explains one instance with the reach game as one more target, at values[targetCount()] and
     * base[targetCount()].
     *
     * @param cancellation asked before each tree and each target's diagonal
     */
    public TreeShapInteractions explainWithReach(double[] x, Cancellation cancellation) {
        return explain(x, true, cancellation);
    }

    private TreeShapInteractions explain(double[] x, boolean withReach, Cancellation cancellation) {
        if (x.length != features) {
            throw new IllegalArgumentException("an instance of " + x.length + " values for " + features + " features");
        }
        int rows = trees.targetCount() + (withReach ? 1 : 0);
        Walk walk = new Walk(x, rows, withReach);
        for (int t = 0; t < trees.treeCount(); t++) {
            cancellation.throwIfCancelled();
            walk.walk(t);
        }
        for (int k = 0; k < rows; k++) {
            cancellation.throwIfCancelled();
            for (int i = 0; i < features; i++) {
                double[] row = walk.values[k][i];
                double rest = 0;
                for (int j = 0; j < features; j++) {
                    rest += j == i ? 0 : row[j];
                }
                row[i] = walk.phi[k][i] - rest;
            }
        }
        return new TreeShapInteractions(walk.values, Arrays.copyOf(empty, rows));
    }

    /** One instance's walk and sums. Confined to the calling thread. */
    private final class Walk extends PathFactors {
        private final double[][] phi;
        private final double[][][] values;
        private final boolean withReach;
        /** Per slot at a leaf: the factor at the current quadrature node and the products before and after it. */
        private final double[] factor;
        private final double[] prefix;
        private final double[] suffix;
        /** Per slot: ∫ of the product of the others, times (p − q). */
        private final double[] single;
        /** Per pair of slots i < j: half the ∫ of the product of the others, times both (p − q). */
        private final double[][] pair;

        Walk(double[] x, int rows, boolean withReach) {
            super(PathDependentTreeShapInteractions.this.trees, covers, x, maxPlayers);
            this.phi = new double[rows][features];
            this.values = new double[rows][features][features];
            this.withReach = withReach;
            this.factor = new double[maxPlayers];
            this.prefix = new double[maxPlayers + 1];
            this.suffix = new double[maxPlayers + 1];
            this.single = new double[maxPlayers];
            this.pair = new double[maxPlayers][maxPlayers];
        }

        @Override
        void leaf(int leaf, int d) {
            if (d == 0) {
                return;
            }
            integrate(d);
            double scale = trees.scale();
            for (int v = 0; v < trees.voteCount(leaf); v++) {
                int k = trees.voteTarget(leaf, v);
                add(phi[k], values[k], scale * trees.voteWeight(leaf, v), d);
            }
            if (withReach) {
                int k = trees.targetCount();
                add(phi[k], values[k], 1.0 / trees.treeCount(), d);
            }
        }

        private void integrate(int d) {
            Arrays.fill(single, 0, d, 0.0);
            for (int i = 0; i < d; i++) {
                Arrays.fill(pair[i], i + 1, d, 0.0);
            }
            GaussLegendre rule = rules[d];
            for (int m = 0; m < rule.nodes.length; m++) {
                double t = rule.nodes[m];
                double w = rule.weights[m];
                prefix[0] = 1;
                for (int j = 0; j < d; j++) {
                    factor[j] = q[j] + t * (p[j] - q[j]);
                    prefix[j + 1] = prefix[j] * factor[j];
                }
                suffix[d] = 1;
                for (int j = d - 1; j >= 0; j--) {
                    suffix[j] = suffix[j + 1] * factor[j];
                }
                for (int i = 0; i < d; i++) {
                    double before = w * prefix[i];
                    single[i] += before * suffix[i + 1];
                    double between = before;
                    for (int j = i + 1; j < d; j++) {
                        pair[i][j] += between * suffix[j + 1];
                        between *= factor[j];
                    }
                }
            }
            for (int i = 0; i < d; i++) {
                double di = p[i] - q[i];
                single[i] *= di;
                for (int j = i + 1; j < d; j++) {
                    pair[i][j] *= di * (p[j] - q[j]) / 2;
                }
            }
        }

        private void add(double[] phiK, double[][] valuesK, double value, int d) {
            for (int i = 0; i < d; i++) {
                int fi = slotFeature[i];
                phiK[fi] += value * single[i];
                double[] row = valuesK[fi];
                for (int j = i + 1; j < d; j++) {
                    int fj = slotFeature[j];
                    double v = value * pair[i][j];
                    row[fj] += v;
                    valuesK[fj][fi] += v;
                }
            }
        }
    }
}
