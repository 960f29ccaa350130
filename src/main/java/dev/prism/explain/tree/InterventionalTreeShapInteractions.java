package dev.prism.explain.tree;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.model.trees.Trees;

/**
 * Exact Shapley interaction values of the interventional game
 * v(S) = Σ_r w_r · margin_k(x_S, r_S̄) ({@link InterventionalTreeShap}), which shap refuses to
 * compute. Convention, shap's for the path-dependent game (Lundberg et al.'s SHAP interaction
 * values): the entry (i, j), i ≠ j, is half the Shapley interaction index
 * I_ij = Σ_{S ⊆ N∖{i,j}} |S|!(M−|S|−2)!/(M−1)! · (v(S∪{i,j}) − v(S∪{i}) − v(S∪{j}) + v(S)), so the
 * pair's two entries add up to it; the diagonal entry (i, i) is φ_i less the rest of row i, so rows
 * sum to the Shapley values and the matrix to margin(x) − base.
 *
 * <p>The index is linear in the game, so each (row, tree) pair is solved on its own, and per leaf:
 * {@link HybridPaths} finds each leaf that a hybrid (x_S, r_S̄) reaches, reached iff A ⊆ S and
 * B ∩ S = ∅ for the leaf's sets A (x passes, r fails) and B (r passes, x fails), of sizes a and b,
 * n = a + b. Other features are null players of that indicator and do not change the index among
 * these. Only one S can make the second difference nonzero, which gives, times the leaf's value:
 *
 * <ul>
 *   <li>i, j both in A: S = A∖{i,j} (only v(S∪{i,j}) is 1): (a−2)!·b!/(n−1)!;</li>
 *   <li>i, j both in B: S = A (only v(S) is 1): a!·(b−2)!/(n−1)!;</li>
 *   <li>i in A, j in B: S = A∖{i} (only v(S∪{i}) is 1): −(a−1)!·(b−1)!/(n−1)!.</li>
 * </ul>
 *
 * The Shapley values for the diagonal are {@link InterventionalTreeShap}'s, found in the same walk.
 *
 * <p>Cost: O(T·L·R·D²) per instance for T trees of L leaves (root-to-leaf paths, in a DAG), depth D
 * and R background rows, reached only where x and r part at every split (see
 * {@link InterventionalTreeShap}), plus O(K·M²) for K targets and M features; memory the K·M² result.
 *
 * <p>Immutable and safe to share between threads; {@link #explain} allocates its scratch once per
 * call and nothing per background row.
 */
public final class InterventionalTreeShapInteractions {
    private final Trees trees;
    private final int features;
    /** The most features that can be assigned on one path: min(features, longest path). */
    private final int maxPlayers;
    /** [n][k] = (k−1)!(n−k)!/n!, the Shapley weight of a leaf with n players to one of the k on its side. */
    private final double[][] leafWeight;
    /** [n][s] = s!(n−2−s)!/(2·(n−1)!), half the index's weight of a coalition of s among n players. */
    private final double[][] pairWeight;

    /**
     * @param features elements of the flattened input
     * @throws IllegalArgumentException when the ensemble does not fit such an input or loops
     */
    public InterventionalTreeShapInteractions(Trees trees, int features) {
        this.trees = trees;
        this.features = features;
        this.maxPlayers = Math.min(features, EnsembleCheck.longestPath(trees, features));
        this.leafWeight = InterventionalTreeShap.leafWeights(maxPlayers);
        this.pairWeight = pairWeights(maxPlayers);
    }

    /**
     * s!(n−2−s)!/(n−1)! by the ratio of neighbours, (s+1)/(n−2−s), from 1/(n−1) at s = 0, halved: no
     * factorial overflows however long a path is.
     */
    private static double[][] pairWeights(int maxPlayers) {
        double[][] w = new double[maxPlayers + 1][];
        for (int n = 0; n <= maxPlayers; n++) {
            w[n] = new double[Math.max(0, n - 1)];
            if (n >= 2) {
                w[n][0] = 0.5 / (n - 1);
                for (int s = 0; s < n - 2; s++) {
                    w[n][s + 1] = w[n][s] * (s + 1) / (n - 2 - s);
                }
            }
        }
        return w;
    }

    /**
     * Explains one instance against a background: values[target][feature][feature], base[target].
     *
     * @param x            the instance, one value per feature
     * @param background   rows of the same width; its weights are normalised to sum 1
     * @param cancellation asked before each background row and each target's diagonal
     */
    public TreeShapInteractions explain(double[] x, Background background, Cancellation cancellation) {
        HybridPaths.checkWidths(x, background, features);
        Walk walk = new Walk(x, background.rows().data());
        walk.walkAll(background, cancellation);
        for (int k = 0; k < trees.targetCount(); k++) {
            cancellation.throwIfCancelled();
            walk.base[k] += trees.base(k);
            for (int i = 0; i < features; i++) {
                double[] row = walk.values[k][i];
                double rest = 0;
                for (int j = 0; j < features; j++) {
                    rest += j == i ? 0 : row[j];
                }
                row[i] = walk.phi[k][i] - rest;
            }
        }
        return new TreeShapInteractions(walk.values, walk.base);
    }

    /** One instance's walk: its sums. Confined to the calling thread. */
    private final class Walk extends HybridPaths {
        private final double[][] phi;
        private final double[][][] values;
        private final double[] base;

        Walk(double[] x, double[] rows) {
            super(InterventionalTreeShapInteractions.this.trees, x, rows, maxPlayers);
            this.phi = new double[trees.targetCount()][features];
            this.values = new double[trees.targetCount()][features][features];
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
            double bothX = inX >= 2 ? rowScale * pairWeight[n][inX - 2] : 0;
            double bothR = inR >= 2 ? rowScale * pairWeight[n][inX] : 0;
            double across = inX >= 1 && inR >= 1 ? -rowScale * pairWeight[n][inX - 1] : 0;
            for (int v = 0; v < votes; v++) {
                int k = trees.voteTarget(leaf, v);
                double value = trees.voteWeight(leaf, v);
                double[] phiK = phi[k];
                double[][] valuesK = values[k];
                for (int i = 0; i < n; i++) {
                    int fi = assigned[i];
                    boolean iFromX = fromX(fi);
                    phiK[fi] += value * (iFromX ? toX : toR);
                    double[] row = valuesK[fi];
                    for (int j = i + 1; j < n; j++) {
                        int fj = assigned[j];
                        boolean jFromX = fromX(fj);
                        double e = value * (iFromX == jFromX ? (iFromX ? bothX : bothR) : across);
                        row[fj] += e;
                        valuesK[fj][fi] += e;
                    }
                }
            }
        }
    }
}
