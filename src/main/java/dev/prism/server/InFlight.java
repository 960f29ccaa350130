package dev.prism.server;

/**
 * The requests using one version of a served model. A retired version takes no new requests and is
 * closed once the last one it had is released, so a reload never fails a request it had accepted.
 */
final class InFlight {
    private int requests;
    private boolean retired;
    private boolean closing;
    private boolean closed;
    private Runnable onIdle;

    /** Counts a new request; false once the version is retired (the caller looks the model up again). */
    synchronized boolean tryAcquire() {
        if (retired) {
            return false;
        }
        requests++;
        return true;
    }

    void release() {
        Runnable close;
        synchronized (this) {
            requests--;
            if (!retired || requests > 0 || onIdle == null) {
                return;
            }
            close = onIdle;
            onIdle = null;
        }
        close.run();
    }

    /** Takes no more requests and runs close when the last running one is released (at once if none). */
    void retire(Runnable close) {
        synchronized (this) {
            retired = true;
            if (requests > 0) {
                onIdle = close;
                return;
            }
        }
        close.run();
    }

    /** True the first time only: the caller then closes the version and calls {@link #closed()}. */
    synchronized boolean beginClose() {
        boolean first = !closing;
        closing = true;
        return first;
    }

    /** Its schedulers have stopped and its model is closed. */
    synchronized void closed() {
        closed = true;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    synchronized int requests() {
        return requests;
    }
}
