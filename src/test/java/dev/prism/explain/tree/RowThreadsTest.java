package dev.prism.explain.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.linalg.Cancellation;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RowThreadsTest {

    @Test
    void everyRowRunsOnceAndEveryOneIsReported() {
        try (RowThreads threads = new RowThreads(3)) {
            int n = 2_000;
            int[] runs = new int[n];
            Set<String> names = ConcurrentHashMap.newKeySet();
            AtomicInteger reported = new AtomicInteger();
            threads.run(n, i -> {
                runs[i]++;
                names.add(Thread.currentThread().getName());
                busy();
            }, Cancellation.NEVER, reported::addAndGet);
            int[] once = new int[n];
            java.util.Arrays.fill(once, 1);
            assertArrayEquals(once, runs);
            assertEquals(n, reported.get());
            assertTrue(names.size() >= 2, "rows ran on " + names);
        }
    }

    @Test
    void aFailingRowStopsTheRestAndIsThrownToTheCaller() {
        try (RowThreads threads = new RowThreads(2)) {
            IllegalStateException boom = new IllegalStateException("row 10");
            AtomicInteger ran = new AtomicInteger();
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> threads.run(100_000, i -> {
                ran.incrementAndGet();
                if (i == 10) {
                    throw boom;
                }
            }, Cancellation.NEVER, c -> { }));
            assertSame(boom, thrown);
            assertTrue(ran.get() < 100_000);
        }
    }

    @Test
    void cancellationIsAskedBeforeEveryRow() {
        try (RowThreads threads = new RowThreads(2)) {
            AtomicInteger asked = new AtomicInteger();
            Cancellation afterFive = () -> {
                if (asked.incrementAndGet() > 5) {
                    throw new java.util.concurrent.CancellationException("stop");
                }
            };
            AtomicInteger ran = new AtomicInteger();
            assertThrows(java.util.concurrent.CancellationException.class,
                    () -> threads.run(1_000, i -> ran.incrementAndGet(), afterFive, c -> { }));
            assertTrue(ran.get() <= 5, ran.get() + " rows ran");
        }
    }

    @Test
    void aRequestDoesNotWaitForHelpersStuckBehindOthers() throws Exception {
        try (RowThreads threads = new RowThreads(2)) {
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch occupied = new java.util.concurrent.CountDownLatch(2);
            // One request's two rows hold its own thread and the only helper thread until released.
            Thread first = new Thread(() -> threads.run(2, i -> {
                occupied.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, Cancellation.NEVER, c -> { }));
            first.start();
            occupied.await();
            // A second request's helper queues behind it; the request finishes on its own thread.
            AtomicInteger ran = new AtomicInteger();
            threads.run(50, i -> ran.incrementAndGet(), Cancellation.NEVER, c -> { });
            assertEquals(50, ran.get());
            release.countDown();
            first.join();
        }
    }

    private static void busy() {
        long end = System.nanoTime() + 20_000;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }
}
