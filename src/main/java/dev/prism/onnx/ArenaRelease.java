package dev.prism.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.prism.model.RowBatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gives ONNX Runtime's memory arena back after a model's last run before it goes idle. The arena
 * keeps every chunk it ever grew to, so one large burst would pin its memory for the life of the
 * session; a run made with the arena-shrinkage option frees the chunks nothing uses once it ends.
 * Shrinking costs the next run its allocations, so it is asked for only when no rows wait
 * ({@link RowBatch#lastBeforeIdle()}), and at most once per {@link #MIN_INTERVAL_NANOS} per model,
 * so that a steady trickle of small requests does not pay it on every run.
 *
 * <p>Thread-safe: the options are immutable once built; the last release time is atomic.
 */
final class ArenaRelease implements AutoCloseable {
    /** ONNX Runtime's run option naming the arenas to shrink when the run ends. */
    static final String SHRINKAGE_KEY = "memory.enable_memory_arena_shrinkage";
    static final long MIN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final OrtSession.RunOptions shrinking;
    private final AtomicLong lastRelease = new AtomicLong(System.nanoTime() - MIN_INTERVAL_NANOS);

    private ArenaRelease(OrtSession.RunOptions shrinking) {
        this.shrinking = shrinking;
    }

    static ArenaRelease forDevice(ExecutionDevice device) {
        try {
            OrtSession.RunOptions options = new OrtSession.RunOptions();
            options.addRunConfigEntry(SHRINKAGE_KEY, arenas(device));
            return new ArenaRelease(options);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime refused its run options: " + e.getMessage(), e);
        }
    }

    /** The arenas a run on the device allocates from: the CPU's, and the GPU's for CUDA. */
    static String arenas(ExecutionDevice device) {
        return device.cuda() ? "cpu:0;gpu:" + device.deviceId() : "cpu:0";
    }

    /** The options for running this batch: shrinking ones when the model goes idle after it, else null. */
    OrtSession.RunOptions optionsFor(RowBatch batch) {
        if (!batch.lastBeforeIdle()) {
            return null;
        }
        long now = System.nanoTime();
        long last = lastRelease.get();
        if (now - last < MIN_INTERVAL_NANOS || !lastRelease.compareAndSet(last, now)) {
            return null;
        }
        return shrinking;
    }

    @Override
    public void close() {
        shrinking.close();
    }
}
