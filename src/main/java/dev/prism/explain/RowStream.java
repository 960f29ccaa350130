package dev.prism.explain;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.NeededOutputs;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * The one way an explanation's rows reach the model. The explainer hands out chunks of rows; the
 * stream submits them through the runner while fewer than its bound of rows are in flight, checks
 * each chunk's outputs and hands them back strictly in the order the chunks were handed out, so
 * results never depend on chunk or batch sizes. Between chunks it looks at the request's
 * cancellation (its client, its deadline, the server's shutdown), which fails the explanation; it
 * reports progress as chunks come back; and it stops at the explanation's {@link TimeBudget},
 * leaving the explainer to answer from the chunks it absorbed (chunks still in flight are abandoned:
 * the request's end drops them from the model's queue). Memory stays bounded by the rows in flight
 * ({@link #bytesInFlight}) and what the explainer keeps.
 */
public final class RowStream {

    /** A chunk of rows, what of their outputs the explanation reads, and what it does with them. */
    public interface Chunk {
        /** The rows; read when their batch is assembled, so they must not change until absorbed. */
        RowSource rows();

        /** What the explanation reads of the outputs, checked (finite) before {@link #absorb}. */
        NeededOutputs needed();

        /** The rows' outputs, one row each. */
        void absorb(RowBlock out);
    }

    /** Where the chunks come from. */
    public interface Chunks {
        /** The next chunk to submit, or null when none is ready until chunks in flight come back. */
        Chunk next();

        /** True once every chunk has been handed out and absorbed. */
        boolean done();
    }

    private final BatchRunner runner;
    private final ProgressSink progress;
    private final RequestContext context;
    private final TimeBudget budget;
    private final long maxRowsInFlight;

    /**
     * @param budget          where the stream stops early; {@link TimeBudget#NONE} for explainers that
     *                        have no answer before their end
     * @param maxRowsInFlight rows submitted and not yet absorbed; one more chunk goes out while fewer are
     */
    public RowStream(BatchRunner runner, ProgressSink progress, RequestContext context, TimeBudget budget,
                     long maxRowsInFlight) {
        this.runner = runner;
        this.progress = progress;
        this.context = context;
        this.budget = budget;
        this.maxRowsInFlight = maxRowsInFlight;
    }

    /**
     * Bytes the rows in flight hold: their outputs, and {@code heldPerRow} values for each of them
     * (their inputs where the chunk holds them, the explainer's bookkeeping).
     */
    public static long bytesInFlight(long maxRowsInFlight, int outputWidth, int heldPerRow) {
        return maxRowsInFlight * ((long) outputWidth + heldPerRow) * Double.BYTES;
    }

    /**
     * Evaluates rows every answer needs (the instances themselves), whatever the time budget.
     *
     * @throws PrismException DEADLINE_EXCEEDED when the time budget is spent before they are
     *                        submitted: no answer could come without them
     */
    public RowBlock evaluate(RowSource rows, NeededOutputs needed) {
        if (budget.spent()) {
            throw new PrismException(Reason.DEADLINE_EXCEEDED, "the time budget ran out before the explanation"
                    + " started (while the request waited for an explain thread); give it more time");
        }
        context.throwIfCancelled();
        RowBlock out = runner.evaluate(rows, needed);
        context.throwIfCancelled();
        progress.advance(out.rows());
        return out;
    }

    /**
     * Streams the chunks until every one is absorbed.
     *
     * @return true when done; false when the time budget ran out first, with the chunks absorbed until then
     * @throws PrismException the request's cancellation reason, or the model's failure
     * @throws IllegalStateException when nothing is in flight, no chunk is ready and the chunks are not done
     */
    public boolean run(Chunks chunks) {
        ArrayDeque<Submitted> inFlight = new ArrayDeque<>();
        long rowsInFlight = 0;
        while (true) {
            while (rowsInFlight < maxRowsInFlight) {
                context.throwIfCancelled();
                Chunk chunk = chunks.next();
                if (chunk == null) {
                    break;
                }
                inFlight.add(new Submitted(chunk, runner.submit(chunk.rows())));
                rowsInFlight += chunk.rows().rows();
            }
            if (inFlight.isEmpty()) {
                if (chunks.done()) {
                    return true;
                }
                throw new IllegalStateException("the explanation stalled with nothing to evaluate");
            }
            Submitted head = inFlight.peek();
            RowBlock out = BatchRunner.await(head.future, budget.nanosLeft(), head.chunk.needed());
            context.throwIfCancelled();
            if (out == null) {
                return false;
            }
            inFlight.poll();
            rowsInFlight -= out.rows();
            progress.advance(out.rows());
            head.chunk.absorb(out);
            if (budget.spent()) {
                return inFlight.isEmpty() && chunks.done();
            }
        }
    }

    private record Submitted(Chunk chunk, CompletableFuture<RowBlock> future) {}
}
