package dev.prism.explain.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackgroundTableCacheTest {
    private final Random rng = new Random(11);
    private final RandomEnsembles gen = new RandomEnsembles(rng, 5, 1);
    private final ArrayTrees trees = gen.ensemble(3, 4);
    private final TreePaths paths = TreePaths.unfold(trees, 5, 1 << 20).orElseThrow();

    private BackgroundTreeShap table(Background bg) {
        return BackgroundTreeShap.build(paths, 5, bg, Cancellation.NEVER);
    }

    /** What one entry of this background holds in the cache. */
    private long entryBytes(Background bg) {
        return table(bg).bytes() + (long) (bg.rows().data().length + bg.size()) * Double.BYTES + 64;
    }

    @Test
    void aBackgroundIsFoundByItsValuesAndCountedAsAHit() {
        Background bg = Background.uniform(gen.background(4, 0.1).rows());
        BackgroundTableCache cache = new BackgroundTableCache(1 << 20);
        assertTrue(cache.find(paths, bg).isEmpty());
        BackgroundTreeShap t = cache.keep(paths, bg, table(bg));
        // Another object with the same rows and weights finds the same table.
        Background same = Background.uniform(new dev.prism.tensor.RowBlock(4, 5, bg.rows().data().clone()));
        assertSame(t, cache.find(paths, same).orElseThrow());
        assertEquals(1, cache.hits());
        assertEquals(1, cache.misses());
        // The same rows with other weights are another background.
        double[] w = bg.weights().clone();
        w[0] *= 3;
        assertTrue(cache.find(paths, new Background(bg.rows(), w)).isEmpty());
        assertEquals(entryBytes(bg), cache.bytes());
    }

    @Test
    void theLeastRecentlyUsedTableGoesFirstAndTheBudgetHolds() {
        Background a = gen.background(4, 0);
        Background b = gen.background(4, 0);
        Background c = gen.background(4, 0);
        long entry = entryBytes(a);
        BackgroundTableCache cache = new BackgroundTableCache(2 * entry + entry / 2);
        cache.keep(paths, a, table(a));
        cache.keep(paths, b, table(b));
        assertTrue(cache.find(paths, a).isPresent());
        cache.keep(paths, c, table(c));
        // b was used least recently: it made room for c.
        assertTrue(cache.holds(paths, a));
        assertTrue(!cache.holds(paths, b));
        assertTrue(cache.holds(paths, c));
        assertEquals(1, cache.evictions());
        assertEquals(2, cache.size());
        assertTrue(cache.bytes() <= cache.budgetBytes());
    }

    @Test
    void aTableLargerThanTheBudgetIsUsedButNotKept() {
        Background bg = gen.background(4, 0);
        BackgroundTableCache cache = new BackgroundTableCache(entryBytes(bg) - 1);
        BackgroundTreeShap t = table(bg);
        assertSame(t, cache.keep(paths, bg, t));
        assertEquals(0, cache.size());
        assertEquals(0, cache.bytes());
    }

    @Test
    void theFirstTableKeptWinsAndAClosedModelsTablesAreDropped() {
        Background bg = gen.background(4, 0);
        BackgroundTableCache cache = new BackgroundTableCache(1 << 20);
        BackgroundTreeShap first = cache.keep(paths, bg, table(bg));
        assertSame(first, cache.keep(paths, bg, table(bg)));
        TreePaths other = TreePaths.unfold(trees, 5, 1 << 20).orElseThrow();
        cache.keep(other, bg, BackgroundTreeShap.build(other, 5, bg, Cancellation.NEVER));
        cache.forget(paths);
        assertTrue(!cache.holds(paths, bg));
        assertTrue(cache.holds(other, bg));
        assertEquals(entryBytes(bg), cache.bytes());
    }
}
