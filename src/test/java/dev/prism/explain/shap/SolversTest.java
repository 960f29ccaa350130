package dev.prism.explain.shap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SolversTest {

    @Test
    void everySolveHasRunWhenAwaitAllReturns() {
        Solvers solvers = new Solvers();
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 20; i++) {
            solvers.submit(ran::incrementAndGet);
        }
        solvers.awaitAll();
        assertEquals(20, ran.get());
    }

    /** A solve's failure comes out of awaitAll as it was thrown, not wrapped. */
    @Test
    void aFailureIsThrownAsItWas() {
        Solvers solvers = new Solvers();
        PrismException cancelled = new PrismException(Reason.CANCELLED, "cancelled");
        solvers.submit(() -> {
            throw cancelled;
        });
        assertSame(cancelled, assertThrows(PrismException.class, solvers::awaitAll));
        solvers.submit(() -> {
            throw new OutOfMemoryError("test");
        });
        assertThrows(OutOfMemoryError.class, solvers::awaitAll);
    }

    /** A request holds at most MAX_PENDING finished plans: one more waits for the oldest solve. */
    @Test
    void submittingBeyondTheBoundWaitsForTheOldest() throws Exception {
        Solvers solvers = new Solvers();
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < Solvers.MAX_PENDING; i++) {
            solvers.submit(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        CountDownLatch submitted = new CountDownLatch(1);
        Thread request = new Thread(() -> {
            solvers.submit(() -> { });
            submitted.countDown();
        });
        request.start();
        assertFalse(submitted.await(200, TimeUnit.MILLISECONDS), "waits while the oldest solve runs");
        release.countDown();
        assertTrue(submitted.await(10, TimeUnit.SECONDS));
        request.join();
        solvers.awaitAll();
    }

    /** After a request's failure every pending solve has ended, failed or not, and nothing is thrown. */
    @Test
    void awaitQuietlyWaitsForEverySolve() {
        Solvers solvers = new Solvers();
        AtomicInteger ran = new AtomicInteger();
        solvers.submit(() -> {
            throw new IllegalStateException("dropped");
        });
        solvers.submit(ran::incrementAndGet);
        solvers.awaitQuietly();
        assertEquals(1, ran.get());
    }
}
