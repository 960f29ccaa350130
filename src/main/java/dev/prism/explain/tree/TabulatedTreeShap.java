package dev.prism.explain.tree;

import dev.prism.linalg.Cancellation;
import dev.prism.model.trees.Trees;

/**
 * TreeSHAP read from tables: for every root-to-leaf path of width d (its distinct features,
 * numbered by {@link TreePaths}) and every mask p of the features whose splits on the path the
 * instance passes, the d values the path's leaf gives its features per unit of leaf value. In both
 * games an instance enters a path's term only through p, so once the tables are built
 * ({@link InterventionalTables} from a background, {@link PathDependentTables} from covers) an
 * instance costs one descent of each tree and one lookup per leaf, O(T·L·D). The tables hold
 * Σ 2^d·d doubles ({@link #tableBytes}), which is why callers fall back to walking for deep trees.
 *
 * <p>Optionally one more row of values, the reach game's (see {@link PathDependentTreeShap}): each
 * leaf weighing 1/T instead of its votes.
 *
 * <p>Immutable; {@link #explain} is safe from any number of threads.
 */
public final class TabulatedTreeShap {
    private final TreePaths paths;
    private final int features;
    /** Per path: where its 2^width · width values start in {@link #table}. */
    private final int[] tableStart;
    private final double[] table;
    private final double[] base;
    private final boolean withReach;

    /**
     * @param base one per target, and the reach game's after them when {@code withReach}
     */
    TabulatedTreeShap(TreePaths paths, int features, int[] tableStart, double[] table, double[] base,
                      boolean withReach) {
        this.paths = paths;
        this.features = features;
        this.tableStart = tableStart;
        this.table = table;
        this.base = base;
        this.withReach = withReach;
    }

    /** What a table for this unfolding holds, in bytes. */
    static long tableBytes(TreePaths paths) {
        return paths.tableLength() * Double.BYTES + (long) paths.pathCount() * Integer.BYTES;
    }

    /**
     * Where each path's values start in a table of this unfolding; one past the last at the end.
     *
     * @throws IllegalArgumentException when the table would not fit one array
     */
    static int[] tableStarts(TreePaths paths) {
        long length = paths.tableLength();
        if (length > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("a table of " + length + " values does not fit one array");
        }
        int[] start = new int[paths.pathCount() + 1];
        for (int p = 0; p < paths.pathCount(); p++) {
            int d = paths.width[p];
            start[p + 1] = start[p] + (d << d);
        }
        return start;
    }

    /** Bytes this instance holds beyond the unfolding it reads. */
    long bytes() {
        return (long) table.length * Double.BYTES + (long) tableStart.length * Integer.BYTES;
    }

    /**
     * Explains one instance.
     *
     * @param x            the instance, one value per feature
     * @param cancellation asked before every 64th tree
     */
    public TreeShapValues explain(double[] x, Cancellation cancellation) {
        if (x.length != features) {
            throw new IllegalArgumentException("an instance of " + x.length + " values for " + features + " features");
        }
        Trees trees = paths.trees();
        Lookup lookup = new Lookup(x, new double[trees.targetCount() + (withReach ? 1 : 0)][features], trees.scale());
        int[] roots = paths.roots;
        for (int t = 0; t < roots.length; t++) {
            if ((t & 63) == 0) {
                cancellation.throwIfCancelled();
            }
            lookup.descend(roots[t], -1);
        }
        double[] margins = lookup.votes;
        for (int k = 0; k < margins.length; k++) {
            margins[k] = margins[k] * trees.scale() + trees.base(k);
        }
        return new TreeShapValues(lookup.phi, base.clone(), margins);
    }

    /** One instance's descent: x's mask on every path, and the table's row for it added to φ. */
    private final class Lookup {
        private final double[] x;
        private final double[][] phi;
        /** Per target, the votes of the leaves x reaches (its path passes every split: a full mask). */
        private final double[] votes;
        private final double scale;
        private final TreePaths p = paths;
        private final Trees trees = paths.trees();

        Lookup(double[] x, double[][] phi, double scale) {
            this.x = x;
            this.phi = phi;
            this.votes = new double[trees.targetCount()];
            this.scale = scale;
        }

        /** Bit j of mask: x passes every split on the path's feature j met so far. */
        void descend(int node, int mask) {
            while (p.path[node] < 0) {
                int cleared = mask & ~(1 << p.bit[node]);
                if (trees.goesTrue(p.source[node], x[p.feature[node]])) {
                    descend(p.falseChild[node], cleared);
                    node = p.trueChild[node];
                } else {
                    descend(p.trueChild[node], cleared);
                    node = p.falseChild[node];
                }
            }
            int path = p.path[node];
            int d = p.width[path];
            int at = tableStart[path] + (mask & ((1 << d) - 1)) * d;
            int leaf = p.leaf[path];
            int first = p.featureStart[path];
            int count = trees.voteCount(leaf);
            boolean reached = (mask & ((1 << d) - 1)) == (1 << d) - 1;
            for (int v = 0; v < count; v++) {
                int target = trees.voteTarget(leaf, v);
                add(phi[target], scale * trees.voteWeight(leaf, v), at, first, d);
                if (reached) {
                    votes[target] += trees.voteWeight(leaf, v);
                }
            }
            if (withReach) {
                add(phi[trees.targetCount()], 1.0 / p.roots.length, at, first, d);
            }
        }

        private void add(double[] phiK, double w, int at, int first, int d) {
            for (int i = 0; i < d; i++) {
                phiK[p.pathFeatures[first + i]] += w * table[at + i];
            }
        }
    }
}
