package dev.prism.model;

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

    /** Submits and waits. */
    default RowBlock evaluate(RowSource rows) {
        return await(submit(rows));
    }

    /** Waits for a submitted block, rethrowing its failure as a {@link PrismException}. */
    static RowBlock await(CompletableFuture<RowBlock> future) {
        return await(future, Long.MAX_VALUE);
    }

    /** The rows' outputs, or null when they are not there within the timeout. */
    static RowBlock await(CompletableFuture<RowBlock> future, long timeoutNanos) {
        try {
            return timeoutNanos == Long.MAX_VALUE ? future.get() : future.get(Math.max(0, timeoutNanos),
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
    }
}
