package dev.prism.explain.tree;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.model.trees.Trees;
import java.util.Arrays;

/**
 * The tables of exact interventional TreeSHAP for one background ({@link TabulatedTreeShap}),
 * built once per (ensemble, background) so that an instance costs one lookup per leaf instead of a
 * walk per background row: the same values as {@link InterventionalTreeShap}, O(T·L·D) per instance
 * instead of O(T·L·R·D).
 *
 * <p>Why a table works: on one path of width d (its distinct features, numbered by
 * {@link TreePaths}), a row enters the leaf's game only through its mask q, the features whose
 * splits on the path it passes; the instance likewise through its mask p. A reference row reaches
 * the leaf from some hybrid only if q covers every feature p fails (q ⊇ ¬p); then A = ¬q (the
 * instance's features) and B = ¬p (the row's), and the unanimity game of
 * {@link InterventionalTreeShap} gives each member of A the weight (a−1)!b!/(a+b)! and each member
 * of B −a!(b−1)!/(a+b)!, with a = d − |q| and b = d − |p|. So, with H[q] the background's weight
 * of mask q and G_c[m] = Σ{H[q] : q ⊇ m, |q| = c} (a superset sum per popcount layer):
 * <ul>
 *   <li>for i ∉ p (in B): φ_i(p) = −Σ_c w(a+b, b) · G_c[¬p];</li>
 *   <li>for i ∈ p: φ_i(p) = Σ_c w(a+b, a) · (G_c[¬p] − G_c[¬p ∪ {i}]), the rows with i ∉ q.</li>
 * </ul>
 * A path's table holds these d values for each of the 2^d masks p, times the leaf's votes at
 * lookup. Building costs O(R·N) to count masks over N unfolded nodes and O(2^d·d²) a path. The base
 * value, Σ_r w_r·margin(r), is each leaf's value times H[full mask].
 */
final class InterventionalTables {
    private InterventionalTables() {
    }

    /** What {@link #build} holds while it runs, beyond what it keeps: each path's mask histogram. */
    static long buildBytes(TreePaths paths) {
        long cells = 0;
        int widest = 0;
        for (byte w : paths.width) {
            cells += 1L << w;
            widest = Math.max(widest, w);
        }
        return (cells + ((long) widest + 1 << widest)) * Double.BYTES;
    }

    /**
     * Tabulates a background.
     *
     * @param features     elements of the input
     * @param cancellation asked before each background row and each block of paths
     * @throws IllegalArgumentException when the table would not fit one array
     */
    static TabulatedTreeShap build(TreePaths paths, int features, Background background, Cancellation cancellation) {
        if (background.rows().width() != features) {
            throw new IllegalArgumentException("background rows of " + background.rows().width() + " values for "
                    + features + " features");
        }
        int[] tableStart = TabulatedTreeShap.tableStarts(paths);
        int pathCount = paths.pathCount();
        int[] maskStart = new int[pathCount + 1];
        int widest = 0;
        for (int p = 0; p < pathCount; p++) {
            int d = paths.width[p];
            widest = Math.max(widest, d);
            maskStart[p + 1] = maskStart[p] + (1 << d);
        }
        double[] histogram = new double[maskStart[pathCount]];
        double[] row = new double[features];
        Masks masks = new Masks(paths);
        double[] rows = background.rows().data();
        for (int r = 0; r < background.size(); r++) {
            cancellation.throwIfCancelled();
            double w = background.weight(r);
            if (w == 0) {
                continue;
            }
            System.arraycopy(rows, r * features, row, 0, features);
            masks.visit(row, (path, mask) -> histogram[maskStart[path] + mask] += w);
        }
        Trees trees = paths.trees();
        double[] base = new double[trees.targetCount()];
        for (int k = 0; k < base.length; k++) {
            base[k] = trees.base(k);
        }
        double[] table = new double[tableStart[pathCount]];
        double[][] weights = InterventionalTreeShap.leafWeights(widest);
        double[][] layers = new double[widest + 1][1 << widest];
        double[] alpha = new double[widest];
        for (int p = 0; p < pathCount; p++) {
            if ((p & 255) == 0) {
                cancellation.throwIfCancelled();
            }
            int d = paths.width[p];
            int full = (1 << d) - 1;
            int leaf = paths.leaf[p];
            double reached = histogram[maskStart[p] + full];
            for (int v = 0; v < trees.voteCount(leaf); v++) {
                base[trees.voteTarget(leaf, v)] += trees.scale() * trees.voteWeight(leaf, v) * reached;
            }
            tabulate(histogram, maskStart[p], d, weights, layers, alpha, table, tableStart[p]);
        }
        return new TabulatedTreeShap(paths, features, tableStart, table, base, false);
    }

    /** One path's table from its histogram H at {@code from}, written at {@code to}. */
    private static void tabulate(double[] histogram, int from, int d, double[][] weights, double[][] layers,
                                 double[] alpha, double[] table, int to) {
        int size = 1 << d;
        int full = size - 1;
        for (int c = 0; c <= d; c++) {
            double[] g = layers[c];
            for (int q = 0; q < size; q++) {
                g[q] = Integer.bitCount(q) == c ? histogram[from + q] : 0;
            }
            for (int i = 0; i < d; i++) {
                int b = 1 << i;
                for (int m = 0; m < size; m++) {
                    if ((m & b) == 0) {
                        g[m] += g[m | b];
                    }
                }
            }
        }
        for (int p = 0; p < size; p++) {
            int notP = full & ~p;
            int b = d - Integer.bitCount(p);
            double beta = 0;
            Arrays.fill(alpha, 0, d, 0);
            for (int c = b; c <= d; c++) {
                int a = d - c;
                int n = a + b;
                if (n == 0) {
                    continue;
                }
                double[] g = layers[c];
                double reach = g[notP];
                if (b > 0) {
                    beta += weights[n][b] * reach;
                }
                if (a > 0) {
                    double w = weights[n][a];
                    for (int i = 0; i < d; i++) {
                        if ((p & (1 << i)) != 0) {
                            alpha[i] += w * (reach - g[notP | (1 << i)]);
                        }
                    }
                }
            }
            int at = to + p * d;
            for (int i = 0; i < d; i++) {
                table[at + i] = (p & (1 << i)) != 0 ? alpha[i] : -beta;
            }
        }
    }

    /** Receives each path's mask for one row. */
    @FunctionalInterface
    interface PathMask {
        void accept(int path, int mask);
    }

    /**
     * A background row's mask on every path, for the build: bit j set while the row passes every
     * split on the path's feature j so far. One descent per unfolded tree that follows both
     * children, so a row costs every unfolded node once. Scratch for one thread.
     */
    static final class Masks {
        private final TreePaths paths;

        Masks(TreePaths paths) {
            this.paths = paths;
        }

        void visit(double[] row, PathMask out) {
            for (int root : paths.roots) {
                descend(root, -1, row, out);
            }
        }

        private void descend(int node, int mask, double[] row, PathMask out) {
            TreePaths t = paths;
            Trees trees = t.trees();
            while (t.path[node] < 0) {
                int cleared = mask & ~(1 << t.bit[node]);
                if (trees.goesTrue(t.source[node], row[t.feature[node]])) {
                    descend(t.falseChild[node], cleared, row, out);
                    node = t.trueChild[node];
                } else {
                    descend(t.trueChild[node], cleared, row, out);
                    node = t.falseChild[node];
                }
            }
            int path = t.path[node];
            out.accept(path, mask & ((1 << t.width[path]) - 1));
        }
    }
}
