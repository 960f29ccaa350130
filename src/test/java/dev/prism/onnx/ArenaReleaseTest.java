package dev.prism.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.prism.model.RowBatch;
import dev.prism.tensor.RowBlock;
import org.junit.jupiter.api.Test;

class ArenaReleaseTest {
    private static RowBatch batch(boolean lastBeforeIdle) {
        RowBatch b = RowBatch.of(new RowBlock(1, 2, new double[2]));
        if (lastBeforeIdle) {
            b.markLastBeforeIdle();
        }
        return b;
    }

    @Test
    void shrinksOnlyBeforeIdleAndAtMostOncePerInterval() throws Exception {
        try (ArenaRelease release = ArenaRelease.forDevice(ExecutionDevice.CPU)) {
            assertNull(release.optionsFor(batch(false)), "rows wait: the arena stays");
            assertNotNull(release.optionsFor(batch(true)), "going idle: the arena shrinks");
            assertNull(release.optionsFor(batch(true)), "not twice within the interval");
            Thread.sleep(ArenaRelease.MIN_INTERVAL_NANOS / 1_000_000 + 50);
            assertNotNull(release.optionsFor(batch(true)));
        }
    }

    @Test
    void cudaRunsShrinkTheirGpuArenaToo() {
        assertEquals("cpu:0", ArenaRelease.arenas(ExecutionDevice.CPU));
        assertEquals("cpu:0;gpu:1", ArenaRelease.arenas(new ExecutionDevice(true, 1)));
    }
}
