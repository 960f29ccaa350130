package dev.prism.server;

import dev.prism.error.PrismException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded pool explainers run on. Explainers spend most of their time blocked on the
 * scheduler, so the pool is sized for concurrent requests, not cores; past its queue new requests
 * are refused with QUEUE_FULL rather than piling up. A request that reaches a thread only after
 * waiting longer than the queue wait bound is refused the same way, so the wait of what runs stays
 * bounded however slow the work ahead of it was.
 */
final class ExplainPool implements AutoCloseable {
    /** How long explanations get to answer once told to stop. */
    static final long STOP_MILLIS = 5_000;
    /** The delay RetryInfo suggests to refused requests. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    private final ThreadPoolExecutor executor;
    private final long maxWaitNanos;

    ExplainPool(int threads, int queue, Duration maxWait) {
        this.maxWaitNanos = maxWait.toNanos();
        AtomicInteger n = new AtomicInteger();
        executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queue),
                r -> {
                    Thread t = new Thread(r, "prism-explain-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        executor.allowCoreThreadTimeOut(true);
    }

    void submit(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            throw PrismException.overloaded("the server is running " + executor.getActiveCount()
                    + " explanations and has " + executor.getQueue().size() + " waiting; retry later",
                    RETRY_AFTER);
        }
    }

    /** Takes back a task still waiting in the queue; true when it was there, and so will not run. */
    boolean withdraw(Runnable task) {
        return executor.remove(task);
    }

    /** Refuses with QUEUE_FULL a request that was queued at {@code queuedNanos} and has waited past the bound. */
    void refuseIfWaitedTooLong(long queuedNanos) {
        long waited = System.nanoTime() - queuedNanos;
        if (waited > maxWaitNanos) {
            throw PrismException.overloaded("the request waited " + TimeUnit.NANOSECONDS.toMillis(waited)
                    + " ms for an explain thread (limit " + TimeUnit.NANOSECONDS.toMillis(maxWaitNanos)
                    + " ms); retry later", RETRY_AFTER);
        }
    }

    int active() {
        return executor.getActiveCount();
    }

    int queued() {
        return executor.getQueue().size();
    }

    /**
     * Lets running and queued explanations finish for up to grace; then runs {@code stop}, which
     * should make them end with an answer, waits a little more, and interrupts what is left.
     */
    void shutdown(Duration grace, Runnable stop) throws InterruptedException {
        executor.shutdown();
        if (!executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            stop.run();
            if (!executor.awaitTermination(STOP_MILLIS, TimeUnit.MILLISECONDS)) {
                executor.shutdownNow();
            }
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
