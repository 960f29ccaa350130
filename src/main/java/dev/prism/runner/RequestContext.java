package dev.prism.runner;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import java.util.ArrayList;
import java.util.List;

/**
 * Cancellation state of one request, shared by the transport that receives it, the explainer
 * that works on it and the scheduler that queues its rows. Cancelling runs the registered
 * listeners once, on the cancelling thread. The reason is volatile, so that the checks explainers
 * make in their inner loops cost one read; listeners are guarded by this object's monitor.
 */
public final class RequestContext {
    private final List<Runnable> listeners = new ArrayList<>();
    private volatile Reason cancelReason;
    /** System.nanoTime() of the cancellation; written before the reason, so meaningful once it is set. */
    private volatile long cancelledAtNanos;

    /** A context that is never cancelled from outside (tools, benchmarks, tests). */
    public static RequestContext detached() {
        return new RequestContext();
    }

    /** Cancels with CANCELLED, DEADLINE_EXCEEDED or SHUTTING_DOWN; later calls are ignored. */
    public void cancel(Reason reason) {
        List<Runnable> toRun;
        synchronized (this) {
            if (cancelReason != null) {
                return;
            }
            cancelledAtNanos = System.nanoTime();
            cancelReason = reason;
            toRun = new ArrayList<>(listeners);
            listeners.clear();
        }
        toRun.forEach(Runnable::run);
    }

    public boolean isCancelled() {
        return cancelReason != null;
    }

    /** Nanoseconds since the cancellation, or -1 when not cancelled. */
    public long nanosSinceCancel() {
        return cancelReason == null ? -1 : System.nanoTime() - cancelledAtNanos;
    }

    /** Why the request was cancelled, or null. */
    public Reason cancelReason() {
        return cancelReason;
    }

    /** Runs the listener on cancellation, at once if already cancelled. */
    public void onCancel(Runnable listener) {
        synchronized (this) {
            if (cancelReason == null) {
                listeners.add(listener);
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

    public static PrismException cancelledException(Reason reason) {
        return new PrismException(reason, switch (reason) {
            case DEADLINE_EXCEEDED -> "the deadline passed before the explanation finished";
            case SHUTTING_DOWN -> "the server is shutting down";
            default -> "the request was cancelled";
        });
    }
}
