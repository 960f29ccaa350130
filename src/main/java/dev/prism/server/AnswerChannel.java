package dev.prism.server;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.runner.RequestContext;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The outbound side of one call that may carry a large answer (Explain, StreamExplain, Predict),
 * with the call's cancellation tied to a {@link RequestContext}.
 *
 * <p>Flow control: the last messages go to the transport only once the client has read what was
 * sent before ({@code isReady}); a client that reads nothing for the stall limit gets SLOW_READER
 * instead, and what was waiting is dropped. Once the last message or status is with the transport,
 * a call that has not closed within the stall limit (the client stopped reading half way, or never
 * read its status) has its stream reset, which frees the transport's copy. The memory
 * {@linkplain #hold reserved} for the answer is given back when the call closes, is cancelled or is
 * reset, so answers nobody reads stay inside the budget and leave it in bounded time.
 *
 * <p>Locking: every use of the observer and every field is guarded by this object's monitor, so
 * progress ticks, the explainer's answer and transport callbacks never interleave.
 */
final class AnswerChannel<T> {
    /**
     * A client whose deadline passes cancels the call itself, and its cancellation can reach the
     * server shortly before the server's copy of the deadline (taken from grpc-timeout on arrival)
     * passes. Cancellations this close to the deadline are the deadline.
     */
    static final long DEADLINE_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final ServerCallStreamObserver<T> call;
    private final RequestContext context;
    private final ScheduledExecutorService timer;
    private final long stallNanos;
    private final Runnable reset;
    /** The call's deadline as System.nanoTime(), or Long.MAX_VALUE without one. */
    private final long deadlineNanos;
    private MemoryBudget.Reservation reservation;
    /** The last messages, waiting for the client to read what came before; null when none wait. */
    private List<T> pending;
    private ScheduledFuture<?> stallCheck;
    /** onCompleted or onError has been handed to the transport. */
    private boolean finished;
    /** The call is over: closed by the transport, cancelled, or reset. */
    private boolean closed;
    /** The request's work has stopped, so it holds nothing beyond what the call holds. */
    private boolean workEnded;

    /**
     * Binds to the call; must run on the thread that starts the call, before the handler returns.
     *
     * @param writer where an answer that waited for the reader is serialized and handed over, so
     *               that a large one never holds a gRPC thread
     */
    AnswerChannel(ServerCallStreamObserver<T> call, ScheduledExecutorService timer, Executor writer, Duration stall) {
        this.call = call;
        this.context = new RequestContext();
        this.timer = timer;
        this.stallNanos = stall.toNanos();
        this.reset = StreamReset.forCurrentCall("the client read nothing for " + stall.toSeconds() + " s");
        Deadline deadline = Context.current().getDeadline();
        this.deadlineNanos = deadline == null ? Long.MAX_VALUE
                : System.nanoTime() + deadline.timeRemaining(TimeUnit.NANOSECONDS);
        call.setOnCancelHandler(() -> {
            close();
            context.cancel(deadline != null && deadline.timeRemaining(TimeUnit.NANOSECONDS) <= DEADLINE_SLACK_NANOS
                    ? Reason.DEADLINE_EXCEEDED : Reason.CANCELLED);
        });
        call.setOnCloseHandler(this::close);
        call.setOnReadyHandler(() -> {
            if (waiting()) {
                writer.execute(this::flush);
            }
        });
    }

    RequestContext context() {
        return context;
    }

    /** The call's deadline as System.nanoTime(), or Long.MAX_VALUE without one. */
    long deadlineNanos() {
        return deadlineNanos;
    }

    /**
     * Holds the reservation until the call is over and the request's work has ended (a cancelled
     * explanation still holds its memory until it notices).
     */
    void hold(MemoryBudget.Reservation r) {
        synchronized (this) {
            reservation = r;
        }
        releaseIfOver();
    }

    /** The request's work has stopped: its answer, if any, is with this channel. */
    void workEnded() {
        synchronized (this) {
            workEnded = true;
        }
        releaseIfOver();
    }

    /** True while the client keeps up with what was sent and no answer is on its way. */
    synchronized boolean readyForProgress() {
        return !finished && pending == null && !closed && call.isReady();
    }

    /** Sends an intermediate message now; the caller checked {@link #readyForProgress()} under this lock. */
    synchronized void sendProgress(T message) {
        if (!finished && pending == null && !closed && !call.isCancelled()) {
            call.onNext(message);
        }
    }

    /** Sends the last messages and completes the call, as soon as the client has read what came before. */
    synchronized void finish(List<T> messages) {
        if (finished || pending != null || closed) {
            return;
        }
        pending = messages;
        flush();
        if (pending != null) {
            stallCheck = timer.schedule(this::stalled, stallNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Ends the call with the status (nothing waiting is sent). */
    synchronized void fail(StatusRuntimeException status) {
        if (finished || closed) {
            return;
        }
        pending = null;
        cancelStallCheck();
        finished = true;
        if (!call.isCancelled()) {
            call.onError(status);
        }
        afterFinish();
    }

    private synchronized boolean waiting() {
        return pending != null;
    }

    private synchronized void flush() {
        if (pending == null || closed || !call.isReady()) {
            return;
        }
        List<T> messages = pending;
        pending = null;
        cancelStallCheck();
        finished = true;
        if (!call.isCancelled()) {
            messages.forEach(call::onNext);
            call.onCompleted();
        }
        afterFinish();
    }

    /** The client did not read for the stall limit: what waited is dropped and the call ends. */
    private synchronized void stalled() {
        if (pending == null || closed) {
            return;
        }
        pending = null;
        finished = true;
        if (!call.isCancelled()) {
            call.onError(StatusMapper.toStatus(PrismException.retryLater(Reason.SLOW_READER,
                    "the client read nothing of the answer for " + TimeUnit.NANOSECONDS.toSeconds(stallNanos)
                            + " s; the server dropped it", MemoryBudget.RETRY_AFTER)));
        }
        releaseReservation();
        afterFinish();
    }

    /** Everything is with the transport: a call still open after the stall limit is reset. */
    private void afterFinish() {
        if (!closed) {
            stallCheck = timer.schedule(this::resetIfOpen, stallNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void resetIfOpen() {
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        reset.run();
        close();
    }

    private void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            pending = null;
            cancelStallCheck();
        }
        releaseIfOver();
    }

    private void releaseIfOver() {
        MemoryBudget.Reservation r;
        synchronized (this) {
            if (!closed || !workEnded) {
                return;
            }
            r = reservation;
            reservation = null;
        }
        if (r != null) {
            r.release();
        }
    }

    /** What waited was dropped, and the work that made it is over: the memory is free. */
    private void releaseReservation() {
        MemoryBudget.Reservation r;
        synchronized (this) {
            r = reservation;
            reservation = null;
        }
        if (r != null) {
            r.release();
        }
    }

    private void cancelStallCheck() {
        if (stallCheck != null) {
            stallCheck.cancel(false);
            stallCheck = null;
        }
    }
}
