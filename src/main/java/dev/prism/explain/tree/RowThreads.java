package dev.prism.explain.tree;

import dev.prism.linalg.Cancellation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * The server's threads for explanations computed in Prism itself (tree_shap reads trees, not model
 * rows), shared by all requests: a request's rows are taken one at a time by its own thread and by
 * up to {@code threads − 1} helpers queued here, so a lone request uses every core and many
 * requests share them in arrival order. The caller never waits for a helper that has not started:
 * once the rows run out those are withdrawn, so a busy pool slows a request down to one thread but
 * never stalls it.
 */
public final class RowThreads implements AutoCloseable {
    private final int threads;
    private final ExecutorService pool;

    /** @param threads the most threads one request's rows run on, its own included; 1 adds none */
    public RowThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("row threads must be positive, got " + threads);
        }
        this.threads = threads;
        AtomicInteger serial = new AtomicInteger();
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "prism-rows-" + serial.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() {
        return threads;
    }

    /** Reports rows done; called on the caller's thread only. */
    @FunctionalInterface
    public interface Done {
        void rows(int count);
    }

    /**
     * Runs {@code row} for 0..n−1, each once, on the caller's thread and helpers. The first failure
     * (a cancellation included) stops the rest and is thrown here, on the caller's thread.
     *
     * @param cancellation asked before each row, on every thread
     * @param done         told of finished rows (any thread's) after each of the caller's rows
     */
    public void run(int n, IntConsumer row, Cancellation cancellation, Done done) {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable work = () -> {
            int i;
            while (failure.get() == null && (i = next.getAndIncrement()) < n) {
                try {
                    cancellation.throwIfCancelled();
                    row.accept(i);
                    finished.incrementAndGet();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }
        };
        List<Helper> helpers = new ArrayList<>();
        int helperCount = pool == null ? 0 : Math.min(threads - 1, n - 1);
        for (int h = 0; h < helperCount; h++) {
            Helper helper = new Helper(work);
            helpers.add(helper);
            pool.execute(helper);
        }
        int reported = 0;
        int i;
        while (failure.get() == null && (i = next.getAndIncrement()) < n) {
            try {
                cancellation.throwIfCancelled();
                row.accept(i);
                finished.incrementAndGet();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
            int f = finished.get();
            done.rows(f - reported);
            reported = f;
        }
        for (Helper h : helpers) {
            h.withdrawOrAwait();
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        done.rows(finished.get() - reported);
    }

    /** One helper's turn at a request's rows: it runs unless the request withdrew it first. */
    private static final class Helper implements Runnable {
        private final Runnable work;
        private final AtomicBoolean claimed = new AtomicBoolean();
        private final CountDownLatch ended = new CountDownLatch(1);

        Helper(Runnable work) {
            this.work = work;
        }

        @Override
        public void run() {
            if (!claimed.compareAndSet(false, true)) {
                return;
            }
            try {
                work.run();
            } finally {
                ended.countDown();
            }
        }

        /** Withdraws the helper if it has not started, else waits for it to end. */
        void withdrawOrAwait() {
            if (claimed.compareAndSet(false, true)) {
                return;
            }
            boolean interrupted = false;
            while (true) {
                try {
                    ended.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
