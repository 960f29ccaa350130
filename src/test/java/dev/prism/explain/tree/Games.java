package dev.prism.explain.tree;

import dev.prism.model.Background;

/**
 * The tree explainers' games by their definitions, written apart from the algorithms, evaluated at
 * every coalition (bit i of a coalition holds feature i), and their Shapley values and Shapley
 * interaction values by the formulas over all coalitions.
 */
final class Games {
    private Games() {
    }

    /**
     * The path-dependent game: [coalition][target], then the reach game as one more column. Descends
     * with the background rows that reach each node along this path; follows x at features in S,
     * else weighs each child by the rows' weight reaching it over the weight reaching the node (in
     * rows, a weight of zero counting as 1e-6).
     */
    static double[][] pathDependent(ArrayTrees trees, double[] x, Background bg) {
        double[][] v = new double[1 << x.length][];
        for (int s = 0; s < v.length; s++) {
            v[s] = pathDependent(trees, x, bg, s);
        }
        return v;
    }

    private static double[] pathDependent(ArrayTrees trees, double[] x, Background bg, int coalition) {
        int targets = trees.targetCount();
        double[] v = new double[targets + 1];
        double[] reaching = new double[bg.size()];
        for (int r = 0; r < bg.size(); r++) {
            reaching[r] = bg.weight(r) * bg.size();
        }
        for (int t = 0; t < trees.treeCount(); t++) {
            descend(trees, x, bg, coalition, trees.root(t), reaching, 1, v);
        }
        for (int k = 0; k < targets; k++) {
            v[k] = trees.base(k) + trees.scale() * v[k];
        }
        v[targets] /= trees.treeCount();
        return v;
    }

    private static void descend(ArrayTrees trees, double[] x, Background bg, int coalition, int node,
                                double[] reaching, double share, double[] v) {
        if (trees.isLeaf(node)) {
            for (int i = 0; i < trees.voteCount(node); i++) {
                v[trees.voteTarget(node, i)] += share * trees.voteWeight(node, i);
            }
            v[trees.targetCount()] += share;
            return;
        }
        int f = trees.feature(node);
        double[] toTrue = new double[bg.size()];
        double[] toFalse = new double[bg.size()];
        for (int r = 0; r < bg.size(); r++) {
            (trees.goesTrue(node, bg.rows().get(r, f)) ? toTrue : toFalse)[r] = reaching[r];
        }
        if ((coalition >> f & 1) == 1) {
            boolean xTrue = trees.goesTrue(node, x[f]);
            descend(trees, x, bg, coalition, xTrue ? trees.trueChild(node) : trees.falseChild(node),
                    xTrue ? toTrue : toFalse, share, v);
            return;
        }
        double here = cover(reaching);
        descend(trees, x, bg, coalition, trees.trueChild(node), toTrue, share * cover(toTrue) / here, v);
        descend(trees, x, bg, coalition, trees.falseChild(node), toFalse, share * cover(toFalse) / here, v);
    }

    private static double cover(double[] reaching) {
        double c = 0;
        for (double w : reaching) {
            c += w;
        }
        return c == 0 ? 1e-6 : c;
    }

    /** The interventional game: [coalition][target] = Σ_r w_r · margin(x_S, r_S̄). */
    static double[][] interventional(ArrayTrees trees, double[] x, Background bg) {
        int m = x.length;
        double[][] v = new double[1 << m][trees.targetCount()];
        for (int s = 0; s < v.length; s++) {
            for (int r = 0; r < bg.size(); r++) {
                double[] row = bg.rows().row(r);
                for (int i = 0; i < m; i++) {
                    if ((s >> i & 1) == 1) {
                        row[i] = x[i];
                    }
                }
                double[] margin = trees.margin(row);
                for (int k = 0; k < margin.length; k++) {
                    v[s][k] += bg.weight(r) * margin[k];
                }
            }
        }
        return v;
    }

    private static double[] factorials(int m) {
        double[] f = new double[m + 1];
        f[0] = 1;
        for (int i = 1; i <= m; i++) {
            f[i] = f[i - 1] * i;
        }
        return f;
    }

    /** φ[column][feature] = Σ_{S ∌ i} |S|!(m−|S|−1)!/m! · (v(S ∪ i) − v(S)). */
    static double[][] shapley(double[][] v, int m) {
        double[] factorial = factorials(m);
        int columns = v[0].length;
        double[][] phi = new double[columns][m];
        for (int s = 0; s < 1 << m; s++) {
            int size = Integer.bitCount(s);
            for (int i = 0; i < m; i++) {
                if ((s >> i & 1) == 0) {
                    double w = factorial[size] * factorial[m - size - 1] / factorial[m];
                    for (int k = 0; k < columns; k++) {
                        phi[k][i] += w * (v[s | 1 << i][k] - v[s][k]);
                    }
                }
            }
        }
        return phi;
    }

    /**
     * [column][i][j]: off the diagonal half the Shapley interaction index
     * Σ_{S ⊆ N∖{i,j}} |S|!(m−|S|−2)!/(m−1)! · (v(S ∪ ij) − v(S ∪ i) − v(S ∪ j) + v(S)); on it φ_i
     * less the rest of the row.
     */
    static double[][][] interactions(double[][] v, int m) {
        double[] factorial = factorials(m);
        int columns = v[0].length;
        double[][] phi = shapley(v, m);
        double[][][] out = new double[columns][m][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                if (i == j) {
                    continue;
                }
                int pair = 1 << i | 1 << j;
                for (int s = 0; s < 1 << m; s++) {
                    if ((s & pair) != 0) {
                        continue;
                    }
                    int size = Integer.bitCount(s);
                    double w = factorial[size] * factorial[m - size - 2] / factorial[m - 1];
                    for (int k = 0; k < columns; k++) {
                        out[k][i][j] += w / 2 * (v[s | pair][k] - v[s | 1 << i][k] - v[s | 1 << j][k] + v[s][k]);
                    }
                }
            }
        }
        for (int k = 0; k < columns; k++) {
            for (int i = 0; i < m; i++) {
                double rest = 0;
                for (int j = 0; j < m; j++) {
                    if (j != i) {
                        rest += out[k][i][j];
                    }
                }
                out[k][i][i] = phi[k][i] - rest;
            }
        }
        return out;
    }
}
