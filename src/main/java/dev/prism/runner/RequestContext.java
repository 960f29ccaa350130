package dev.prism.runner;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The job of one request, shared by the transport that receives it, the code that works on it (an
 * explainer, a prediction) and the scheduler that queues its rows. A job ends once, in one of two
 * ways: {@linkplain #cancel cancelled} by its client, its deadline or the server's shutdown, or
 * {@linkplain #release released} at its normal end, once its answer (a result or an error) is out.
 * Either end runs the end listeners once (the scheduler detaches the job; the model version acquired
 * for it is given back); a cancellation runs the cancel listeners first. The other end is then a
 * no-op: a cancellation after the release changes nothing.
 *
 * <p>The reason is volatile, so that the checks made in inner loops cost one read; the end and the
 * listeners are guarded by this object's monitor, and listeners run outside it, on the thread that
 * ends the job.
 */
public final class RequestContext {
    /** The reasons a job can be cancelled with: its client, its deadline, the server's shutdown. */
    public static final Set<Reason> CANCEL_REASONS = Collections.unmodifiableSet(
            EnumSet.of(Reason.CANCELLED, Reason.DEADLINE_EXCEEDED, Reason.SHUTTING_DOWN));

    private final List<Runnable> cancelListeners = new ArrayList<>();
    private final List<Runnable> endListeners = new ArrayList<>();
    private boolean ended;
    private volatile Reason cancelReason;
    /** System.nanoTime() of the cancellation; written before the reason, so meaningful once it is set. */
    private volatile long cancelledAtNanos;

    /** A job that is never cancelled from outside (tools, benchmarks, tests). */
    public static RequestContext detached() {
        return new RequestContext();
    }

    /**
     * Cancels with one of the {@link #CANCEL_REASONS} and ends the job; ignored once it has ended,
     * cancelled or released.
     *
     * @throws IllegalArgumentException for any other reason
     */
    public void cancel(Reason reason) {
        if (!CANCEL_REASONS.contains(reason)) {
            throw new IllegalArgumentException(reason + " is not a reason to cancel a request");
        }
        List<Runnable> cancelled;
        List<Runnable> ending;
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            cancelledAtNanos = System.nanoTime();
            cancelReason = reason;
            cancelled = new ArrayList<>(cancelListeners);
            ending = new ArrayList<>(endListeners);
            cancelListeners.clear();
            endListeners.clear();
        }
        cancelled.forEach(Runnable::run);
        ending.forEach(Runnable::run);
    }

    /**
     * Ends the job normally: its answer is out (or it failed on its own), nothing is cancelled.
     * Ignored once it has ended.
     */
    public void release() {
        List<Runnable> ending;
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            ending = new ArrayList<>(endListeners);
            cancelListeners.clear();
            endListeners.clear();
        }
        ending.forEach(Runnable::run);
    }

    public boolean isCancelled() {
        return cancelReason != null;
    }

    /** Nanoseconds since the cancellation, or -1 when not cancelled. */
    public long nanosSinceCancel() {
        return cancelReason == null ? -1 : System.nanoTime() - cancelledAtNanos;
    }

    /** Why the job was cancelled, or null. */
    public Reason cancelReason() {
        return cancelReason;
    }

    /** Runs the listener on cancellation: at once if already cancelled, never once released. */
    public void onCancel(Runnable listener) {
        synchronized (this) {
            if (!ended) {
                cancelListeners.add(listener);
                return;
            }
            if (cancelReason == null) {
                return;
            }
        }
        listener.run();
    }

    /** Runs the listener when the job ends, cancelled or released; at once if it has. */
    public void onEnd(Runnable listener) {
        synchronized (this) {
            if (!ended) {
                endListeners.add(listener);
                return;
            }
        }
        listener.run();
    }

    public void throwIfCancelled() {
        Reason reason = cancelReason();
        if (reason != null) {
            throw cancelledException(reason);
        }
    }

    /** The failure of work stopped by a cancellation with the reason, in words for any request. */
    public static PrismException cancelledException(Reason reason) {
        return new PrismException(reason, switch (reason) {
            case DEADLINE_EXCEEDED -> "the deadline passed before the request finished";
            case SHUTTING_DOWN -> "the server is shutting down";
            default -> "the request was cancelled";
        });
    }
}
