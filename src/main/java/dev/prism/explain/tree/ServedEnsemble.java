package dev.prism.explain.tree;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.model.trees.TreeEnsemble;
import java.util.Optional;

/**
 * A served model's tree ensemble as tree_shap runs it: the ensemble, its unfolding into paths (when
 * it fits), and the server's table cache and row threads. One per model version; {@link #close}
 * drops its tables when the version closes. Immutable apart from the shared cache; thread safe.
 */
public final class ServedEnsemble implements AutoCloseable {
    /** Unfolded nodes allowed beyond the ensemble's own: a DAG that multiplies past this is walked. */
    private static final int EXTRA_UNFOLDED_NODES = 1 << 20;

    private final TreeEnsemble trees;
    private final int features;
    private final Optional<TreePaths> paths;
    private final BackgroundTableCache cache;
    private final RowThreads rows;
    private final InterventionalTreeShap walk;
    /** The model's default background: every request without its own reads it, so its table always pays. */
    private final Background shared;

    /**
     * @param shared the model's default background, or null
     * @throws IllegalArgumentException when the ensemble loops or does not fit its input
     */
    public ServedEnsemble(TreeEnsemble trees, Background shared, BackgroundTableCache cache, RowThreads rows) {
        this.trees = trees;
        this.shared = shared;
        this.features = trees.featureCount();
        this.walk = new InterventionalTreeShap(trees, features);
        int limit = (int) Math.min(Integer.MAX_VALUE - 64L, 2L * trees.nodeCount() + EXTRA_UNFOLDED_NODES);
        this.paths = TreePaths.unfold(trees, features, limit)
                .filter(p -> BackgroundTreeShap.tableBytes(p) <= cache.budgetBytes());
        this.cache = cache;
        this.rows = rows;
    }

    public TreeEnsemble trees() {
        return trees;
    }

    RowThreads rows() {
        return rows;
    }

    /** How one request's instances are explained: from tables, or by walking every background row. */
    @FunctionalInterface
    interface Plan {
        TreeShapValues explain(double[] x, Cancellation cancellation);
    }

    /**
     * The plan for a request of {@code instances} rows: a kept table; else a new table, kept for
     * the next request, when the background is the model's default or the build costs less than
     * walking would; else the walk.
     */
    Plan plan(Background background, int instances, Cancellation cancellation) {
        if (paths.isPresent()) {
            TreePaths p = paths.get();
            Optional<BackgroundTreeShap> kept = cache.find(p, background);
            if (kept.isPresent()) {
                return tables(kept.get());
            }
            if (worthBuilding(p, background, instances)) {
                return tables(cache.keep(p, background, BackgroundTreeShap.build(p, features, background, cancellation)));
            }
        }
        return (x, c) -> walk.explain(x, background, c);
    }

    private static Plan tables(BackgroundTreeShap t) {
        return t::explain;
    }

    /**
     * Whether a request of {@code instances} rows on this background will read a table (kept, or
     * built for it), as {@link #plan} decides unless the cache drops the table in between.
     */
    boolean tabulates(Background background, int instances) {
        if (paths.isEmpty()) {
            return false;
        }
        TreePaths p = paths.get();
        return cache.holds(p, background) || worthBuilding(p, background, instances);
    }

    private boolean worthBuilding(TreePaths p, Background background, int instances) {
        return background == shared || buildCost(p, background) <= walkCost(background, instances);
    }

    /** Tree walks a request takes: one per tree and instance from a table (and its build), else per row too. */
    long walks(Background background, int instances) {
        long trees = this.trees.treeCount();
        if (!tabulates(background, instances)) {
            return (long) instances * background.size() * trees;
        }
        boolean kept = cache.holds(paths.get(), background);
        return (long) instances * trees + (kept ? 0 : (long) background.size() * trees);
    }

    /** Bytes a request's plan may allocate beyond its answer: a table and its build, unless kept. */
    long planBytes(Background background, int instances) {
        if (!tabulates(background, instances) || cache.holds(paths.get(), background)) {
            return 0;
        }
        TreePaths p = paths.get();
        return BackgroundTreeShap.tableBytes(p) + BackgroundTreeShap.buildBytes(p);
    }

    /** Steps to tabulate: every background row down every unfolded node, then 2^d·(d+1)² a path. */
    private static double buildCost(TreePaths p, Background background) {
        double cost = (double) background.size() * p.nodeCount();
        for (byte d : p.width) {
            cost += (double) (1 << d) * (d + 1) * (d + 1);
        }
        return cost;
    }

    /**
     * Steps the walk takes at least: one path of every tree per instance and background row, about
     * as long as the deepest. Counted four times over, as the walk's steps cost more than a table's.
     */
    private double walkCost(Background background, int instances) {
        return 4.0 * instances * background.size() * trees.treeCount() * Math.max(1, trees.maxDepth());
    }

    /** Drops the version's tables from the server's cache. */
    @Override
    public void close() {
        paths.ifPresent(cache::forget);
    }
}
