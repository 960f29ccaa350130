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
    private final TreeTableCache cache;
    private final RowThreads rows;
    private final InterventionalTreeShap walk;
    /** The model's default background: every request without its own reads it, so its table always pays. */
    private final Background shared;

    /**
     * @param shared the model's default background, or null
     * @throws IllegalArgumentException when the ensemble loops or does not fit its input
     */
    public ServedEnsemble(TreeEnsemble trees, Background shared, TreeTableCache cache, RowThreads rows) {
        this.trees = trees;
        this.shared = shared;
        this.features = trees.featureCount();
        this.walk = new InterventionalTreeShap(trees, features);
        int limit = (int) Math.min(Integer.MAX_VALUE - 64L, 2L * trees.nodeCount() + EXTRA_UNFOLDED_NODES);
        this.paths = TreePaths.unfold(trees, features, limit)
                .filter(p -> TabulatedTreeShap.tableBytes(p) <= cache.budgetBytes());
        this.cache = cache;
        this.rows = rows;
    }

    public TreeEnsemble trees() {
        return trees;
    }

    RowThreads rows() {
        return rows;
    }

    /** How one request's instances are explained: from tables, or by walking the trees. */
    @FunctionalInterface
    interface Plan {
        TreeShapValues explain(double[] x, Cancellation cancellation);
    }

    /**
     * The plan for a request of {@code instances} rows: a kept table; else a new table, kept for
     * the next request, when it comes from covers every request shares (the model's default
     * background, the model's stated covers) or its build costs less than walking would; else the
     * walk: of every background row (interventional) or of every path with its covers
     * (path-dependent).
     *
     * @param kind       the game, and for path-dependent whether the covers are the model's stated
     *                   ones and whether the reach game is wanted
     * @param background the request's background: the interventional game's, or what covers are
     *                   counted from
     */
    Plan plan(TreeTableCache.Kind kind, Background background, int instances, Cancellation cancellation) {
        Background key = keyOf(kind, background);
        if (paths.isPresent()) {
            TreePaths p = paths.get();
            Optional<TabulatedTreeShap> kept = cache.find(p, kind, key);
            if (kept.isPresent()) {
                return kept.get()::explain;
            }
            if (worthBuilding(p, kind, background, instances)) {
                TabulatedTreeShap built = kind.game() == TreeShapParams.Game.INTERVENTIONAL
                        ? InterventionalTables.build(p, features, background, cancellation)
                        : PathDependentTables.build(p, features, covers(kind, background, cancellation),
                                kind.withReach(), cancellation);
                return cache.keep(p, kind, key, built)::explain;
            }
        }
        if (kind.game() == TreeShapParams.Game.INTERVENTIONAL) {
            return (x, c) -> walk.explain(x, background, c);
        }
        PathDependentTreeShap pd = kind.statedCovers()
                ? new PathDependentTreeShap(trees, features, trees.covers().orElseThrow())
                : new PathDependentTreeShap(trees, features, background, cancellation);
        return kind.withReach() ? pd::explainWithReach : pd::explain;
    }

    private PathCovers covers(TreeTableCache.Kind kind, Background background, Cancellation cancellation) {
        return kind.statedCovers() ? new PathCovers(trees, trees.covers().orElseThrow())
                : new PathCovers(trees, features, background, cancellation);
    }

    /** The background a table is kept under: none for the model's stated covers. */
    private static Background keyOf(TreeTableCache.Kind kind, Background background) {
        return kind.statedCovers() ? null : background;
    }

    /**
     * Whether a request of {@code instances} rows will read a table (kept, or built for it), as
     * {@link #plan} decides unless the cache drops the table in between.
     */
    boolean tabulates(TreeTableCache.Kind kind, Background background, int instances) {
        if (paths.isEmpty()) {
            return false;
        }
        TreePaths p = paths.get();
        return cache.holds(p, kind, keyOf(kind, background)) || worthBuilding(p, kind, background, instances);
    }

    private boolean worthBuilding(TreePaths p, TreeTableCache.Kind kind, Background background, int instances) {
        return kind.statedCovers() || background == shared
                || buildCost(p, kind, background) <= walkCost(p, kind, background, instances);
    }

    /**
     * Tree walks a request takes: one per tree and instance from a table (and, to build it, one per
     * tree and background row); walking, one per tree, instance and background row (interventional)
     * or per tree and instance (path-dependent, after counting the covers).
     */
    long walks(TreeTableCache.Kind kind, Background background, int instances) {
        long trees = this.trees.treeCount();
        long counting = kind.statedCovers() ? 0 : (long) background.size() * trees;
        if (!tabulates(kind, background, instances)) {
            return kind.game() == TreeShapParams.Game.INTERVENTIONAL
                    ? (long) instances * background.size() * trees : (long) instances * trees + counting;
        }
        boolean kept = cache.holds(paths.get(), kind, keyOf(kind, background));
        return (long) instances * trees + (kept ? 0 : counting);
    }

    /** Bytes a request's plan may allocate beyond its answer: a table and its build, unless kept. */
    long planBytes(TreeTableCache.Kind kind, Background background, int instances) {
        if (!tabulates(kind, background, instances) || cache.holds(paths.get(), kind, keyOf(kind, background))) {
            return 0;
        }
        TreePaths p = paths.get();
        return TabulatedTreeShap.tableBytes(p) + (kind.game() == TreeShapParams.Game.INTERVENTIONAL
                ? InterventionalTables.buildBytes(p) : (long) p.nodeCount() * Double.BYTES);
    }

    /**
     * Steps to tabulate: every background row down every unfolded node (unless the covers are
     * stated), then per path 2^d·(d+1)² (interventional) or 2^d·d·⌈d/2⌉ (path-dependent).
     */
    private static double buildCost(TreePaths p, TreeTableCache.Kind kind, Background background) {
        double cost = kind.statedCovers() ? 0 : (double) background.size() * p.nodeCount();
        boolean interventional = kind.game() == TreeShapParams.Game.INTERVENTIONAL;
        for (byte d : p.width) {
            cost += interventional ? (double) (1 << d) * (d + 1) * (d + 1) : (double) (1 << d) * d * ((d + 1) / 2);
        }
        return cost;
    }

    /**
     * Steps the walk takes at least, counted four times over as its steps cost more than a table's:
     * interventional, one path of every tree per instance and background row, about as long as the
     * deepest; path-dependent, d·⌈d/2⌉ per path and instance.
     */
    private double walkCost(TreePaths p, TreeTableCache.Kind kind, Background background, int instances) {
        if (kind.game() == TreeShapParams.Game.INTERVENTIONAL) {
            return 4.0 * instances * background.size() * trees.treeCount() * Math.max(1, trees.maxDepth());
        }
        double perInstance = 0;
        for (byte d : p.width) {
            perInstance += (double) d * ((d + 1) / 2) + 1;
        }
        return 4.0 * instances * perInstance;
    }

    /** Drops the version's tables from the server's cache. */
    @Override
    public void close() {
        paths.ifPresent(cache::forget);
    }
}
