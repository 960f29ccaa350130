package dev.prism.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * The run options that give ONNX Runtime's memory arena back. The arena keeps every chunk it ever
 * grew to, so one large burst would pin its memory for the life of the session; a run made with
 * the arena-shrinkage option frees the chunks nothing uses once it ends. The scheduler says when a
 * model has been idle for a while ({@link dev.prism.model.Model#releaseIdleMemory()}), and the
 * model then makes one small run with these options.
 *
 * <p>Thread-safe: the options are built once and only read.
 */
final class ArenaRelease implements AutoCloseable {
    /** ONNX Runtime's run option naming the arenas to shrink when the run ends. */
    static final String SHRINKAGE_KEY = "memory.enable_memory_arena_shrinkage";

    private final OrtSession.RunOptions shrinking;

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

    /** Options for a run after which the arena gives back what nothing uses. */
    OrtSession.RunOptions shrinking() {
        return shrinking;
    }

    @Override
    public void close() {
        shrinking.close();
    }
}
