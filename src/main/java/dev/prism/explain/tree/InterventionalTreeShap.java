package dev.prism.explain.tree;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.model.trees.Trees;

/**
 * Exact interventional TreeSHAP: the Shapley values of the margin game
 * v(S) = Σ_r w_r · margin_k(x_S, r_S̄) over weighted background rows r, for every target k, where
 * the players are the elements of the flattened input.
 *
 * <p>The game is linear in the rows and the trees, so each (row, tree) pair is solved on its own.
 * For one row r, the leaf ℓ is reached by the hybrid (x_S, r_S̄) iff S holds every feature whose
 * splits on ℓ's path x passes and r fails (the set A) and none of those r passes and x fails (B)
 * ({@link HybridPaths} finds every such leaf with its A and B). That indicator is a unanimity game
 * with a sign, whose Shapley values are value·(|A|−1)!|B|!/(|A|+|B|)! for each member of A and
 * −value·|A|!(|B|−1)!/(|A|+|B|)! for each member of B. The leaf reached with A empty is r's own
 * leaf, which gives the base value Σ_r w_r · margin_k(r) on the way.
 *
 * <p>Cost: O(T·L·R·D) per instance for T trees of L leaves (root-to-leaf paths, in a DAG), depth D
 * and R background rows, reached only when x and r part at every split: the walk descends both
 * children only where they part, so a tree where they agree costs one path, O(D). Memory: the
 * instance's values and O(min(M, D)²) Shapley weights for M features. Every routing decision is
 * {@link Trees#goesTrue}, so split modes, the model's precision and NaN routing are the
 * ensemble's.
 *
 * <p>Immutable and safe to share between threads; {@link #explain} allocates its scratch once per
 * call and nothing per background row.
 */
public final class InterventionalTreeShap {
    private final Trees trees;
    private final int features;
    /** The most features that can be assigned on one path: min(features, longest path). */
    private final int maxPlayers;
    /** [n][k] = (k−1)!(n−k)!/n!, the Shapley weight of a leaf with n players to one of the k on its side. */
    private final double[][] leafWeight;

    /**
     * @param features elements of the flattened input
     * @throws IllegalArgumentException when the ensemble does not fit such an input or loops
     */
    public InterventionalTreeShap(Trees trees, int features) {
        this.trees = trees;
        this.features = features;
        this.maxPlayers = Math.min(features, EnsembleCheck.longestPath(trees, features));
        this.leafWeight = leafWeights(maxPlayers);
    }

    /**
     * (k−1)!(n−k)!/n! by the ratio of neighbours, (k/(n−k)), from 1/n at k = 1: no factorial
     * overflows however long a path is.
     */
    static double[][] leafWeights(int maxPlayers) {
        double[][] w = new double[maxPlayers + 1][];
        for (int n = 0; n <= maxPlayers; n++) {
            w[n] = new double[n + 1];
            if (n > 0) {
                w[n][1] = 1.0 / n;
                for (int k = 1; k < n; k++) {
                    w[n][k + 1] = w[n][k] * k / (n - k);
                }
            }
        }
        return w;
    }

    /**
     * Explains one instance against a background.
     *
     * @param x            the instance, one value per feature
     * @param background   rows of the same width; its weights are normalised to sum 1
     * @param cancellation asked before each background row
     */
    public TreeShapValues explain(double[] x, Background background, Cancellation cancellation) {
        HybridPaths.checkWidths(x, background, features);
        Walk walk = new Walk(x, background.rows().data());
        walk.walkAll(background, cancellation);
        for (int k = 0; k < walk.base.length; k++) {
            walk.base[k] += trees.base(k);
        }
        return new TreeShapValues(walk.phi, walk.base);
    }

    /** One instance's walk: its sums. Confined to the calling thread. */
    private final class Walk extends HybridPaths {
        private final double[][] phi;
        private final double[] base;

        Walk(double[] x, double[] rows) {
            super(InterventionalTreeShap.this.trees, x, rows, maxPlayers);
            this.phi = new double[trees.targetCount()][features];
            this.base = new double[trees.targetCount()];
        }

        @Override
        void leaf(int leaf, int inX, int inR) {
            int votes = trees.voteCount(leaf);
            if (inX == 0) {
                for (int v = 0; v < votes; v++) {
                    base[trees.voteTarget(leaf, v)] += rowScale * trees.voteWeight(leaf, v);
                }
            }
            int n = inX + inR;
            if (n == 0) {
                return;
            }
            double toX = inX > 0 ? rowScale * leafWeight[n][inX] : 0;
            double toR = inR > 0 ? -rowScale * leafWeight[n][inR] : 0;
            for (int v = 0; v < votes; v++) {
                double[] phiK = phi[trees.voteTarget(leaf, v)];
                double value = trees.voteWeight(leaf, v);
                double plus = toX * value;
                double minus = toR * value;
                for (int i = 0; i < n; i++) {
                    int f = assigned[i];
                    phiK[f] += fromX(f) ? plus : minus;
                }
            }
        }
    }
}
