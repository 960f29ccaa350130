package dev.prism.explain.shap;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The final solves of a request's instances (the regressions and their adjustment), run beside the
 * request's thread so that it goes on feeding the model's scheduler with the next instances'
 * coalitions meanwhile. One per request; only the request's thread calls it, so it needs no lock.
 * At most {@link #MAX_PENDING} solves wait or run at once: a further one first waits for the
 * oldest, which bounds the finished designs a request holds beyond its active ones.
 */
final class Solvers {
    /** Solves of one request waiting or running at once. */
    static final int MAX_PENDING = 4;
    /** Shared by every request: as many threads as processors, which the solves keep busy at most. */
    private static final ExecutorService POOL = Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors()), r -> {
                Thread t = new Thread(r, "prism-solver");
                t.setDaemon(true);
                return t;
            });

    private final ArrayDeque<CompletableFuture<Void>> pending = new ArrayDeque<>();

    /** Runs the solve on the pool, after the oldest pending one ends if {@link #MAX_PENDING} are pending. */
    void submit(Runnable solve) {
        if (pending.size() >= MAX_PENDING) {
            join(pending.poll());
        }
        pending.add(CompletableFuture.runAsync(solve, POOL));
    }

    /** Waits for every pending solve; the first failure is thrown as it was thrown. */
    void awaitAll() {
        while (!pending.isEmpty()) {
            join(pending.poll());
        }
    }

    /**
     * Waits for every pending solve, dropping their failures: for a request that already failed
     * (they end early, as each looks at the request's cancellation), so that none outlives it.
     */
    void awaitQuietly() {
        while (!pending.isEmpty()) {
            try {
                pending.poll().join();
            } catch (CompletionException ignored) {
                // the request's own failure is the one reported
            }
        }
    }

    private static void join(CompletableFuture<Void> solve) {
        try {
            solve.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }
}
