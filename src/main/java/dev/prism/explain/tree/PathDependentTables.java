package dev.prism.explain.tree;

import dev.prism.linalg.Cancellation;

/**
 * The tables of path-dependent TreeSHAP ({@link TabulatedTreeShap}) for one set of covers: the game
 * of {@link PathDependentTreeShap}, read by lookup. On a path of width d, feature j's factors are p_j
 * (1 when the instance passes every split on j along the path, else 0) and q_j (the product of the
 * path's cover ratios at those splits); q depends on the covers alone, and p on the instance only
 * through its mask. So for each of the 2^d masks the path's values,
 * φ_i(p) = (p_i − q_i)·∫₀¹ Π_{j≠i} (q_j + t(p_j − q_j)) dt, are integrated once, exactly, by
 * ⌈d/2⌉-point Gauss–Legendre quadrature (the integrand has degree d − 1), with prefix and suffix
 * products for every "all but i". Cost: O(2^d·d²/2) a path, once per (ensemble, covers); an
 * instance then costs a lookup per leaf instead of the walk's O(D²).
 */
final class PathDependentTables {
    private PathDependentTables() {
    }

    /**
     * Tabulates the game on these covers.
     *
     * @param covers       counted on the same ensemble as {@code paths}; their path nodes are the
     *                     unfolding's nodes, both numbered tree by tree in depth-first order, true
     *                     child first
     * @param withReach    also the reach game's values, as one more target
     * @param cancellation asked before each block of paths
     */
    static TabulatedTreeShap build(TreePaths paths, int features, PathCovers covers, boolean withReach,
                                   Cancellation cancellation) {
        if (covers.size() != paths.nodeCount()) {
            throw new IllegalArgumentException(covers.size() + " covers for " + paths.nodeCount() + " unfolded nodes");
        }
        int[] tableStart = TabulatedTreeShap.tableStarts(paths);
        double[] table = new double[tableStart[paths.pathCount()]];
        int widest = 0;
        for (byte w : paths.width) {
            widest = Math.max(widest, w);
        }
        Tabulation t = new Tabulation(paths, covers, table, tableStart, widest, cancellation);
        for (int root : paths.roots) {
            t.descend(root, 0);
        }
        return new TabulatedTreeShap(paths, features, tableStart, table, covers.emptyCoalition(withReach), withReach);
    }

    /** One descent of every unfolded tree, keeping each path feature's q. Confined to {@link #build}. */
    private static final class Tabulation {
        private final TreePaths paths;
        private final PathCovers covers;
        private final double[] table;
        private final int[] tableStart;
        private final Cancellation cancellation;
        private final GaussLegendre[] rules;
        /** Per bit of the current path: q, the product of the cover ratios of its feature's splits. */
        private final double[] q;
        private final double[] factor;
        private final double[] prefix;
        private final double[] integral;
        private int pathsDone;

        Tabulation(TreePaths paths, PathCovers covers, double[] table, int[] tableStart, int widest,
                   Cancellation cancellation) {
            this.paths = paths;
            this.covers = covers;
            this.table = table;
            this.tableStart = tableStart;
            this.cancellation = cancellation;
            this.rules = GaussLegendre.exactUpTo(widest);
            this.q = new double[Math.max(1, widest)];
            this.factor = new double[widest];
            this.prefix = new double[widest + 1];
            this.integral = new double[widest];
        }

        /** Descends from unfolded node {@code node} with {@code bits} features on the path so far. */
        void descend(int node, int bits) {
            if (paths.path[node] >= 0) {
                tabulate(paths.path[node]);
                return;
            }
            int b = paths.bit[node];
            boolean fresh = b == bits;
            double before = fresh ? 1 : q[b];
            int below = fresh ? bits + 1 : bits;
            double parent = covers.cover(node);
            q[b] = before * covers.cover(paths.trueChild[node]) / parent;
            descend(paths.trueChild[node], below);
            q[b] = before * covers.cover(paths.falseChild[node]) / parent;
            descend(paths.falseChild[node], below);
            q[b] = before;
        }

        private void tabulate(int path) {
            if ((pathsDone++ & 255) == 0) {
                cancellation.throwIfCancelled();
            }
            int d = paths.width[path];
            if (d == 0) {
                return;
            }
            GaussLegendre rule = rules[d];
            int at = tableStart[path];
            for (int p = 0; p < 1 << d; p++, at += d) {
                java.util.Arrays.fill(integral, 0, d, 0.0);
                for (int m = 0; m < rule.nodes.length; m++) {
                    double t = rule.nodes[m];
                    prefix[0] = 1;
                    for (int j = 0; j < d; j++) {
                        double pj = (p >> j) & 1;
                        factor[j] = q[j] + t * (pj - q[j]);
                        prefix[j + 1] = prefix[j] * factor[j];
                    }
                    double suffix = rule.weights[m];
                    for (int j = d - 1; j >= 0; j--) {
                        integral[j] += prefix[j] * suffix;
                        suffix *= factor[j];
                    }
                }
                for (int j = 0; j < d; j++) {
                    table[at + j] = (((p >> j) & 1) - q[j]) * integral[j];
                }
            }
        }
    }
}
