package dev.prism.explain.tree;

import dev.prism.model.Background;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The server's {@link TabulatedTreeShap} tables, least recently used first out, bounded in bytes:
 * one per (unfolded ensemble, kind of table, background), so every request on a model's default
 * background after the first skips the build. A key holds its background's rows and weights and is
 * compared by value, so two requests carrying the same rows share a table and no two backgrounds
 * are ever confused; a table of the model's stated covers has no background. A table larger than the whole budget is never kept (its request uses it and drops it).
 *
 * <p>Two requests that miss on the same key at once both build; the second to finish finds the
 * first's table and keeps that. Locking: the map and the counters are guarded by {@code this};
 * builds run outside the lock.
 */
public final class TreeTableCache {
    private final long budgetBytes;
    private final Map<Key, TabulatedTreeShap> tables = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long hits;
    private long misses;
    private long evictions;

    /** @param budgetBytes the most the kept tables (with their keys) may hold; 0 keeps none */
    public TreeTableCache(long budgetBytes) {
        if (budgetBytes < 0) {
            throw new IllegalArgumentException("the table budget must not be negative");
        }
        this.budgetBytes = budgetBytes;
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    /** What a table tabulates: a game, from the background or the model's stated covers, with the reach game or not. */
    record Kind(TreeShapParams.Game game, boolean statedCovers, boolean withReach) {
        static final Kind INTERVENTIONAL = new Kind(TreeShapParams.Game.INTERVENTIONAL, false, false);
    }

    /** The table kept for this ensemble and background, counted as a hit, or empty (a miss). */
    synchronized Optional<TabulatedTreeShap> find(TreePaths paths, Kind kind, Background background) {
        TabulatedTreeShap t = tables.get(new Key(paths, kind, background));
        if (t == null) {
            misses++;
            return Optional.empty();
        }
        hits++;
        return Optional.of(t);
    }

    /** Whether a table for this ensemble and background is kept; counts nothing. */
    synchronized boolean holds(TreePaths paths, Kind kind, Background background) {
        return tables.containsKey(new Key(paths, kind, background));
    }

    /**
     * Keeps a table just built, evicting the least recently used ones to fit.
     *
     * @return the table to use: one another request kept meanwhile, or this one
     */
    synchronized TabulatedTreeShap keep(TreePaths paths, Kind kind, Background background, TabulatedTreeShap table) {
        Key key = new Key(paths, kind, background);
        TabulatedTreeShap kept = tables.get(key);
        if (kept != null) {
            return kept;
        }
        long size = key.bytes() + table.bytes();
        if (size > budgetBytes) {
            return table;
        }
        Iterator<Map.Entry<Key, TabulatedTreeShap>> oldest = tables.entrySet().iterator();
        while (bytes + size > budgetBytes && oldest.hasNext()) {
            Map.Entry<Key, TabulatedTreeShap> e = oldest.next();
            bytes -= e.getKey().bytes() + e.getValue().bytes();
            oldest.remove();
            evictions++;
        }
        tables.put(key, table);
        bytes += size;
        return table;
    }

    /** Drops every table of an ensemble, once its model version is closed. */
    public synchronized void forget(TreePaths paths) {
        Iterator<Map.Entry<Key, TabulatedTreeShap>> it = tables.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Key, TabulatedTreeShap> e = it.next();
            if (e.getKey().paths == paths) {
                bytes -= e.getKey().bytes() + e.getValue().bytes();
                it.remove();
            }
        }
    }

    public synchronized long bytes() {
        return bytes;
    }

    public synchronized int size() {
        return tables.size();
    }

    public synchronized long hits() {
        return hits;
    }

    public synchronized long misses() {
        return misses;
    }

    public synchronized long evictions() {
        return evictions;
    }

    /** An unfolding by identity, the kind of table, and a background (or none) by value. */
    private static final class Key {
        final TreePaths paths;
        final Kind kind;
        final double[] rows;
        final double[] weights;
        final int hash;

        Key(TreePaths paths, Kind kind, Background background) {
            this.paths = paths;
            this.kind = kind;
            this.rows = background == null ? new double[0] : background.rows().data();
            this.weights = background == null ? new double[0] : background.weights();
            this.hash = 31 * (31 * (31 * System.identityHashCode(paths) + kind.hashCode()) + Arrays.hashCode(rows))
                    + Arrays.hashCode(weights);
        }

        long bytes() {
            return (long) (rows.length + weights.length) * Double.BYTES + 64;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.paths == paths && k.kind.equals(kind) && k.hash == hash
                    && Arrays.equals(k.rows, rows)
                    && Arrays.equals(k.weights, weights);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
