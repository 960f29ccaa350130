package dev.prism.explain.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TreeTableCacheTest {
    private static final TreeTableCache.Kind K = TreeTableCache.Kind.INTERVENTIONAL;
    private final Random rng = new Random(11);
    private final RandomEnsembles gen = new RandomEnsembles(rng, 5, 1);
    private final ArrayTrees trees = gen.ensemble(3, 4);
    private final TreePaths paths = TreePaths.unfold(trees, 5, 1 << 20).orElseThrow();

    private TabulatedTreeShap table(Background bg) {
        return InterventionalTables.build(paths, 5, bg, Cancellation.NEVER);
    }

    /** What one entry of this background holds in the cache. */
    private long entryBytes(Background bg) {
        return table(bg).bytes() + (long) (bg.rows().data().length + bg.size()) * Double.BYTES + 64;
    }

    @Test
    void aBackgroundIsFoundByItsValuesAndCountedAsAHit() {
        Background bg = Background.uniform(gen.background(4, 0.1).rows());
        TreeTableCache cache = new TreeTableCache(1 << 20);
        assertTrue(cache.find(paths, K, bg).isEmpty());
        TabulatedTreeShap t = cache.keep(paths, K, bg, table(bg));
        // Another object with the same rows and weights finds the same table.
        Background same = Background.uniform(new dev.prism.tensor.RowBlock(4, 5, bg.rows().data().clone()));
        assertSame(t, cache.find(paths, K, same).orElseThrow());
        assertEquals(1, cache.hits());
        assertEquals(1, cache.misses());
        // The same rows with other weights are another background.
        double[] w = bg.weights().clone();
        w[0] *= 3;
        assertTrue(cache.find(paths, K, new Background(bg.rows(), w)).isEmpty());
        assertEquals(entryBytes(bg), cache.bytes());
    }

    @Test
    void theLeastRecentlyUsedTableGoesFirstAndTheBudgetHolds() {
        Background a = gen.background(4, 0);
        Background b = gen.background(4, 0);
        Background c = gen.background(4, 0);
        long entry = entryBytes(a);
        TreeTableCache cache = new TreeTableCache(2 * entry + entry / 2);
        cache.keep(paths, K, a, table(a));
        cache.keep(paths, K, b, table(b));
        assertTrue(cache.find(paths, K, a).isPresent());
        cache.keep(paths, K, c, table(c));
        // b was used least recently: it made room for c.
        assertTrue(cache.holds(paths, K, a));
        assertTrue(!cache.holds(paths, K, b));
        assertTrue(cache.holds(paths, K, c));
        assertEquals(1, cache.evictions());
        assertEquals(2, cache.size());
        assertTrue(cache.bytes() <= cache.budgetBytes());
    }

    @Test
    void aTableLargerThanTheBudgetIsUsedButNotKept() {
        Background bg = gen.background(4, 0);
        TreeTableCache cache = new TreeTableCache(entryBytes(bg) - 1);
        TabulatedTreeShap t = table(bg);
        assertSame(t, cache.keep(paths, K, bg, t));
        assertEquals(0, cache.size());
        assertEquals(0, cache.bytes());
    }

    @Test
    void theFirstTableKeptWinsAndAClosedModelsTablesAreDropped() {
        Background bg = gen.background(4, 0);
        TreeTableCache cache = new TreeTableCache(1 << 20);
        TabulatedTreeShap first = cache.keep(paths, K, bg, table(bg));
        assertSame(first, cache.keep(paths, K, bg, table(bg)));
        TreePaths other = TreePaths.unfold(trees, 5, 1 << 20).orElseThrow();
        cache.keep(other, K, bg, InterventionalTables.build(other, 5, bg, Cancellation.NEVER));
        cache.forget(paths);
        assertTrue(!cache.holds(paths, K, bg));
        assertTrue(cache.holds(other, K, bg));
        assertEquals(entryBytes(bg), cache.bytes());
    }
}
