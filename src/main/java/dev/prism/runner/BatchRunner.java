package dev.prism.runner;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The only handle on a model an explainer gets: rows in, score rows out. Rows submitted by one
 * runner belong to one request; the scheduler behind it batches them with other requests' rows.
 * {@link #submit} gives the model's raw outputs (Predict answers them as they are); explainers read
 * outputs only through {@link #evaluate} and {@link #await}, which refuse a NaN or an infinity in
 * what the explanation needs.
 */
public interface BatchRunner {

    /** Width of the rows the model takes. */
    int inputWidth();

    /** Width of the score rows the model returns. */
    int outputWidth();

    /**
     * Queues rows (each a flattened instance of the explained input); they are read when their
     * batch is assembled, so the source must not change until the future completes. The future
     * completes with one score row per input row, or fails with a {@link PrismException}
     * (cancelled, deadline, shutdown, model failure). May block while the model's queue is full.
     */
    CompletableFuture<RowBlock> submit(RowSource rows);

    /** Submits and waits; see {@link #await(CompletableFuture, NeededOutputs)}. */
    default RowBlock evaluate(RowSource rows, NeededOutputs needed) {
        return await(submit(rows), needed);
    }

    /**
     * Waits for a submitted block, rethrowing its failure as a {@link PrismException}.
     *
     * @throws PrismException MODEL_OUTPUT_NOT_FINITE when a value {@code needed} names is NaN or infinite
     */
    static RowBlock await(CompletableFuture<RowBlock> future, NeededOutputs needed) {
        return await(future, Long.MAX_VALUE, needed);
    }

    /** The rows' outputs, checked as {@link #await(CompletableFuture, NeededOutputs)}; null when not there in time. */
    static RowBlock await(CompletableFuture<RowBlock> future, long timeoutNanos, NeededOutputs needed) {
        RowBlock out;
        try {
            out = timeoutNanos == Long.MAX_VALUE ? future.get() : future.get(Math.max(0, timeoutNanos),
                    TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PrismException(Reason.CANCELLED, "interrupted while waiting for the model", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof PrismException p) {
                throw p;
            }
            throw new PrismException(Reason.INTERNAL_ERROR, "model evaluation failed", e.getCause());
        }
        return needed.requireFinite(out);
    }
}
