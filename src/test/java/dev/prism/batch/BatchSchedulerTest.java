package dev.prism.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.model.Model;
import dev.prism.model.ModelSignature;
import dev.prism.model.RowBatch;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;
import dev.prism.testing.FunctionModel;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BatchSchedulerTest {

    /**
     * Each row is [job id, row index]; the model returns the row's values and records which jobs
     * each run held. Runs can be held at a gate to build up a queue.
     */
    static final class TaggingModel implements Model {
        final FunctionModel signatureSource = new FunctionModel(2, 2, x -> x);
        final List<List<Integer>> runs = new ArrayList<>();
        volatile CountDownLatch gate = new CountDownLatch(0);
        volatile double failOnJob = -1;
        /** Thrown by the next run, once: an Error from the runtime, as an OutOfMemoryError would be. */
        volatile Error nextError;
        /** Each run takes at least this long, whatever its size. */
        volatile long runMillis;
        /** Per event, in order: "run" for each run, "release" for each time the scheduler said the model was idle. */
        final List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public ModelSignature signature() {
            return signatureSource.signature();
        }

        @Override
        public String device() {
            return "cpu";
        }

        @Override
        public RowBlock run(RowBatch batch) {
            try {
                gate.await();
                Thread.sleep(runMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            events.add("run");
            Error error = nextError;
            if (error != null) {
                nextError = null;
                throw error;
            }
            List<Integer> jobs = new ArrayList<>();
            double[] out = new double[batch.rows() * 2];
            int row = 0;
            for (RowBatch.Segment s : batch.segments()) {
                for (int r = s.from(); r < s.from() + s.count(); r++) {
                    double[] x = new double[2];
                    s.source().copyRows(r, 1, x, 0);
                    double job = x[0];
                    if (job == failOnJob) {
                        throw new IllegalStateException("row of job " + (int) job + " rejected");
                    }
                    jobs.add((int) job);
                    out[row * 2] = job;
                    out[row * 2 + 1] = x[1];
                    row++;
                }
            }
            synchronized (runs) {
                runs.add(jobs);
            }
            return new RowBlock(batch.rows(), 2, out);
        }

        @Override
        public void releaseIdleMemory() {
            events.add("release");
        }

        List<List<Integer>> runs() {
            synchronized (runs) {
                return new ArrayList<>(runs);
            }
        }

        @Override
        public void close() {}
    }

    private static RowBlock rows(int job, int count) {
        double[] d = new double[count * 2];
        for (int i = 0; i < count; i++) {
            d[i * 2] = job;
            d[i * 2 + 1] = i;
        }
        return new RowBlock(count, 2, d);
    }

    private static BatchingSettings settings(int maxBatchRows) {
        return new BatchingSettings(maxBatchRows, 0, 10_000_000, true, 1);
    }

    @Test
    void outputsReturnToTheRowsThatProducedThem() throws Exception {
        TaggingModel model = new TaggingModel();
        try (BatchScheduler s = new BatchScheduler("m", model, settings(100), new SimpleMeterRegistry())) {
            List<CompletableFuture<RowBlock>> futures = new ArrayList<>();
            for (int job = 0; job < 5; job++) {
                futures.add(s.open(new RequestContext()).submit(rows(job, 57 + job)));
            }
            for (int job = 0; job < 5; job++) {
                RowBlock out = futures.get(job).get(10, TimeUnit.SECONDS);
                assertArrayEquals(rows(job, 57 + job).data(), out.data(), 0.0);
            }
            assertTrue(model.runs().stream().allMatch(r -> r.size() <= 100));
        }
    }

    @Test
    void rowsOfDifferentRequestsShareRunsUnlessCrossRequestBatchingIsOff() throws Exception {
        for (boolean cross : new boolean[] {true, false}) {
            TaggingModel model = new TaggingModel();
            model.gate = new CountDownLatch(1);
            BatchingSettings b = new BatchingSettings(64, 0, 10_000_000, cross, 1);
            try (BatchScheduler s = new BatchScheduler("m", model, b, new SimpleMeterRegistry())) {
                CompletableFuture<RowBlock> first = s.open(new RequestContext()).submit(rows(9, 1));
                waitUntil(() -> s.jobsQueued() == 0); // the first run is being held at the gate
                List<CompletableFuture<RowBlock>> futures = new ArrayList<>();
                for (int job = 0; job < 4; job++) {
                    futures.add(s.open(new RequestContext()).submit(rows(job, 16)));
                }
                model.gate.countDown();
                first.get(10, TimeUnit.SECONDS);
                for (CompletableFuture<RowBlock> f : futures) {
                    f.get(10, TimeUnit.SECONDS);
                }
                List<List<Integer>> runs = model.runs();
                if (cross) {
                    assertEquals(2, runs.size(), runs.toString());
                    assertEquals(4, runs.get(1).stream().distinct().count(), "one run holds all four requests");
                } else {
                    assertEquals(5, runs.size(), runs.toString());
                    assertTrue(runs.stream().allMatch(r -> r.stream().distinct().count() == 1));
                }
            }
        }
    }

    @Test
    void anExpensiveQueueIsSplitAmongIdleWorkersOnceTheCostPerRowIsKnown() throws Exception {
        TaggingModel model = new TaggingModel();
        model.runMillis = 20;
        BatchingSettings b = new BatchingSettings(1000, 0, 10_000_000, true, 2);
        try (BatchScheduler s = new BatchScheduler("m", model, b, new SimpleMeterRegistry())) {
            // No run yet, so no cost known: one run of 256.
            assertArrayEquals(rows(1, 256).data(), s.open(new RequestContext()).submit(rows(1, 256))
                    .get(10, TimeUnit.SECONDS).data(), 0.0);
            assertEquals(List.of(256), sizes(model));

            // At 20 ms a run of 256 (78 µs a row, or more on a slow machine), 128 rows are over a
            // millisecond: two runs of 128, in flight at once (both held at the gate).
            model.gate = new CountDownLatch(1);
            CompletableFuture<RowBlock> split = s.open(new RequestContext()).submit(rows(2, 256));
            waitUntil(() -> s.jobsQueued() == 0);
            model.gate.countDown();
            assertArrayEquals(rows(2, 256).data(), split.get(10, TimeUnit.SECONDS).data(), 0.0);
            assertEquals(List.of(256, 128, 128), sizes(model));

            // Fewer than twice MIN_SPLIT_ROWS: one run.
            s.open(new RequestContext()).submit(rows(3, 100)).get(10, TimeUnit.SECONDS);
            assertEquals(100, sizes(model).get(3));

            // A queue that would fill both workers' batches is not split: 2,500 rows start with a full
            // run of 1,000. The 1,500 left run as 750 + 750 when both workers are idle by then, or as
            // a full 1,000 when the other worker takes them while the first runs, and then the last
            // 500 whole, or as 250 + 250 if both are idle again by then (which one depends on when
            // each worker last woke, so all three are right).
            model.runs.clear();
            assertEquals(2_500, s.open(new RequestContext()).submit(rows(4, 2_500)).get(10, TimeUnit.SECONDS).rows());
            assertEquals(1_000, sizes(model).get(0));
            List<Integer> rest = sizes(model).subList(1, sizes(model).size()).stream().sorted().toList();
            assertTrue(rest.equals(List.of(750, 750)) || rest.equals(List.of(500, 1_000))
                    || rest.equals(List.of(250, 250, 1_000)), sizes(model).toString());
        }
    }

    @Test
    void aCheapQueueIsNotSplit() throws Exception {
        TaggingModel model = new TaggingModel();
        BatchingSettings b = new BatchingSettings(200_000, 0, 10_000_000, true, 2);
        try (BatchScheduler s = new BatchScheduler("m", model, b, new SimpleMeterRegistry())) {
            s.open(new RequestContext()).submit(rows(1, 100_000)).get(30, TimeUnit.SECONDS);
            // Well under 1 µs a row: 1,000 rows are under a millisecond of work, not worth two runs.
            s.open(new RequestContext()).submit(rows(2, 1_000)).get(10, TimeUnit.SECONDS);
            assertEquals(List.of(100_000, 1_000), sizes(model));
        }
    }

    private static List<Integer> sizes(TaggingModel model) {
        return model.runs().stream().map(List::size).toList();
    }

    @Test
    void aHugeJobDoesNotHoldBackASmallOne() throws Exception {
        TaggingModel model = new TaggingModel();
        model.gate = new CountDownLatch(1);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (BatchScheduler s = new BatchScheduler("m", model, settings(1000), registry)) {
            CompletableFuture<RowBlock> huge = s.open(new RequestContext()).submit(rows(1, 200_000));
            waitUntil(() -> queued(registry) == 199_000); // run 0 (huge rows only) is held at the gate
            CompletableFuture<RowBlock> small = s.open(new RequestContext()).submit(rows(2, 2_000));
            model.gate.countDown();
            small.get(30, TimeUnit.SECONDS);
            assertEquals(200_000, huge.get(60, TimeUnit.SECONDS).rows());
            List<List<Integer>> runs = model.runs();
            int lastSmallRun = 0;
            for (int i = 0; i < runs.size(); i++) {
                if (runs.get(i).contains(2)) {
                    lastSmallRun = i;
                }
            }
            // Run 0 held only the huge job (the small one was not queued yet). From then on each run
            // gives both jobs a half share, so the small job is done in runs 1-4 of about 200.
            assertEquals(4, lastSmallRun, "the small job's last rows ran in run " + lastSmallRun);
            assertEquals(500, runs.get(1).stream().filter(j -> j == 2).count(), "equal shares: " + runs.get(1).size());
        }
    }

    @Test
    void cancellingDropsQueuedRowsAtOnce() throws Exception {
        TaggingModel model = new TaggingModel();
        model.gate = new CountDownLatch(1);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (BatchScheduler s = new BatchScheduler("m", model, settings(100), registry)) {
            RequestContext context = new RequestContext();
            BatchRunner runner = s.open(context);
            CompletableFuture<RowBlock> a = runner.submit(rows(1, 5_000));
            CompletableFuture<RowBlock> b = runner.submit(rows(1, 5_000));
            waitUntil(() -> queued(registry) == 9_900); // one run of 100 rows is held at the gate
            context.cancel(Reason.CANCELLED);
            assertEquals(0.0, queued(registry));
            for (CompletableFuture<RowBlock> f : List.of(a, b)) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
                assertEquals(Reason.CANCELLED, ((PrismException) e.getCause()).reason());
            }
            model.gate.countDown();
            CompletableFuture<RowBlock> later = runner.submit(rows(1, 10));
            assertThrows(ExecutionException.class, () -> later.get(5, TimeUnit.SECONDS));
            assertEquals(10, s.open(new RequestContext()).submit(rows(2, 10)).get(5, TimeUnit.SECONDS).rows());
            assertTrue(model.runs().size() <= 2, "cancelled rows were run: " + model.runs().size());
        }
    }

    /**
     * A request that has its answer releases its job with rows it no longer wants still queued (an
     * explanation stopped at its time budget): they are dropped, and nothing is cancelled.
     */
    @Test
    void aReleasedJobHasItsQueuedRowsDroppedWithoutACancellation() throws Exception {
        TaggingModel model = new TaggingModel();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (BatchScheduler s = new BatchScheduler("m", model, settings(100), registry)) {
            RequestContext context = new RequestContext();
            List<String> ended = new ArrayList<>();
            context.onCancel(() -> ended.add("cancelled"));
            BatchRunner runner = s.open(context);
            assertEquals(100, runner.submit(rows(1, 100)).get(10, TimeUnit.SECONDS).rows());
            model.gate = new CountDownLatch(1);
            CompletableFuture<RowBlock> unwanted = runner.submit(rows(1, 5_000));
            waitUntil(() -> queued(registry) == 4_900); // one run of 100 rows is held at the gate
            context.release();
            assertEquals(0.0, queued(registry));
            ExecutionException e = assertThrows(ExecutionException.class, () -> unwanted.get(5, TimeUnit.SECONDS));
            assertEquals(Reason.INTERNAL_ERROR, ((PrismException) e.getCause()).reason(), "nobody waits for them");
            assertFalse(context.isCancelled());
            context.cancel(Reason.CANCELLED);
            assertFalse(context.isCancelled(), "a cancellation after the release is a no-op");
            assertEquals(List.of(), ended);
            model.gate.countDown();
            assertThrows(ExecutionException.class, () -> runner.submit(rows(1, 10)).get(5, TimeUnit.SECONDS));
            assertEquals(10, s.open(new RequestContext()).submit(rows(2, 10)).get(5, TimeUnit.SECONDS).rows());
            // Runs: the answer's 100 rows, the 100 held at the gate, the other job's 10.
            assertEquals(List.of(100, 100, 10), model.runs().stream().map(List::size).toList(),
                    "the released rows ran only as far as the run already started");
        }
    }

    /** A prediction's rows fail in the scheduler's words when its deadline passes: rows, not explanations. */
    @Test
    void aJobPastItsDeadlineFailsWithWordsAboutItsRows() throws Exception {
        TaggingModel model = new TaggingModel();
        model.gate = new CountDownLatch(1);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (BatchScheduler s = new BatchScheduler("m", model, settings(100), registry)) {
            RequestContext context = new RequestContext();
            CompletableFuture<RowBlock> late = s.open(context).submit(rows(1, 1_000));
            waitUntil(() -> queued(registry) == 900);
            context.cancel(Reason.DEADLINE_EXCEEDED);
            ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(5, TimeUnit.SECONDS));
            PrismException p = (PrismException) e.getCause();
            assertEquals(Reason.DEADLINE_EXCEEDED, p.reason());
            assertEquals("the deadline passed before the model evaluated the request's rows", p.getMessage());
            model.gate.countDown();
        }
    }

    @Test
    void newRequestsAreRefusedWhileTheQueueIsFull() throws Exception {
        TaggingModel model = new TaggingModel();
        model.gate = new CountDownLatch(1);
        BatchingSettings b = new BatchingSettings(10, 0, 1_000, true, 1);
        try (BatchScheduler s = new BatchScheduler("m", model, b, new SimpleMeterRegistry())) {
            s.admit();
            CompletableFuture<RowBlock> big = s.open(new RequestContext()).submit(rows(1, 1_500));
            PrismException e = assertThrows(PrismException.class, s::admit);
            assertEquals(Reason.QUEUE_FULL, e.reason());
            assertNotNull(e.retryAfter());
            model.gate.countDown();
            big.get(10, TimeUnit.SECONDS);
            s.admit();
        }
    }

    /**
     * An Error in a run (an OutOfMemoryError while copying outputs, a StackOverflowError in the
     * runtime), or in a request's own row writer, fails that batch's requests and nothing else: the
     * worker, here the only one, goes on serving.
     */
    @Test
    void anErrorFailsItsBatchAndTheWorkerCarriesOn() throws Exception {
        TaggingModel model = new TaggingModel();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (BatchScheduler s = new BatchScheduler("m", model, settings(1000), registry)) {
            for (Error error : List.of(new OutOfMemoryError("Java heap space"), new StackOverflowError())) {
                model.nextError = error;
                CompletableFuture<RowBlock> hit = s.open(new RequestContext()).submit(rows(1, 10));
                ExecutionException e = assertThrows(ExecutionException.class, () -> hit.get(10, TimeUnit.SECONDS));
                PrismException p = (PrismException) e.getCause();
                assertEquals(Reason.MODEL_EXECUTION_FAILED, p.reason());
                // The client reads an id; the log has the error under it.
                assertEquals("the model failed (error " + p.errorId() + "; the server's log has the details)",
                        p.getMessage());
                assertSame(error, p.getCause());
                assertEquals(10, s.open(new RequestContext()).submit(rows(2, 10)).get(10, TimeUnit.SECONDS).rows(),
                        "the worker survived the " + error);
            }
            RowSource throwing = new RowSource() {
                @Override
                public int rows() {
                    return 3;
                }

                @Override
                public int width() {
                    return 2;
                }

                @Override
                public void copyRows(int from, int count, double[] dest, int offset) {
                    throw new StackOverflowError();
                }

                @Override
                public void copyRows(int from, int count, float[] dest, int offset) {
                    throw new StackOverflowError();
                }
            };
            CompletableFuture<RowBlock> writer = s.open(new RequestContext()).submit(throwing);
            ExecutionException e = assertThrows(ExecutionException.class, () -> writer.get(10, TimeUnit.SECONDS));
            assertEquals(Reason.MODEL_EXECUTION_FAILED, ((PrismException) e.getCause()).reason());
            assertEquals(10, s.open(new RequestContext()).submit(rows(3, 10)).get(10, TimeUnit.SECONDS).rows());
            assertEquals(3.0, registry.get("prism.model.run.failures").counter().count());
        }
    }

    /**
     * The model is told it is idle once it has had no rows and no run for a second: once after a
     * burst, whichever worker ran its last batch, and never while requests keep coming.
     */
    @Test
    void theModelIsToldWhenItHasBeenIdleForASecond() throws Exception {
        TaggingModel model = new TaggingModel();
        model.runMillis = 20;
        try (BatchScheduler s = new BatchScheduler("m", model, new BatchingSettings(100, 0, 10_000_000, true, 2),
                new SimpleMeterRegistry())) {
            // 450 rows for two workers: runs overlap, and one release follows the last of them.
            assertEquals(450, s.open(new RequestContext()).submit(rows(1, 450)).get(10, TimeUnit.SECONDS).rows());
            long burstEnd = System.nanoTime();
            waitUntil(() -> model.events.contains("release"));
            long quiet = System.nanoTime() - burstEnd;
            assertTrue(quiet >= BatchScheduler.IDLE_NANOS * 9 / 10, "released after " + quiet / 1e6 + " ms");
            Thread.sleep(1500);
            List<String> events = List.copyOf(model.events);
            assertEquals(1, events.stream().filter("release"::equals).count(), "one release: " + events);
            assertEquals("release", events.get(events.size() - 1), "after every run: " + events);

            // Requests every 200 ms for 2 s: the model is never idle for a second, so nothing is released.
            model.events.clear();
            for (int i = 0; i < 10; i++) {
                s.open(new RequestContext()).submit(rows(2, 10)).get(10, TimeUnit.SECONDS);
                Thread.sleep(200);
            }
            assertTrue(model.events.stream().noneMatch("release"::equals), "no release under steady load: "
                    + model.events);
        }
    }

    @Test
    void aFailingRowFailsOnlyItsOwnRequest() throws Exception {
        TaggingModel model = new TaggingModel();
        model.gate = new CountDownLatch(1);
        model.failOnJob = 3;
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (BatchScheduler s = new BatchScheduler("m", model, settings(1000), registry)) {
            CompletableFuture<RowBlock> first = s.open(new RequestContext()).submit(rows(9, 1));
            waitUntil(() -> s.jobsQueued() == 0);
            CompletableFuture<RowBlock> good = s.open(new RequestContext()).submit(rows(2, 50));
            CompletableFuture<RowBlock> bad = s.open(new RequestContext()).submit(rows(3, 50));
            model.gate.countDown();
            first.get(10, TimeUnit.SECONDS);
            assertEquals(50, good.get(10, TimeUnit.SECONDS).rows());
            ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(10, TimeUnit.SECONDS));
            PrismException p = (PrismException) e.getCause();
            assertEquals(Reason.MODEL_EXECUTION_FAILED, p.reason());
            assertEquals("the model failed (error " + p.errorId() + "; the server's log has the details)",
                    p.getMessage());
            assertTrue(p.getCause().getMessage().contains("row of job 3 rejected"), p.getCause().getMessage());
            assertEquals(2.0, registry.get("prism.model.run.failures").counter().count());
        }
    }

    @Test
    void closingFailsQueuedWorkWithShuttingDown() throws Exception {
        TaggingModel model = new TaggingModel();
        model.gate = new CountDownLatch(1);
        BatchScheduler s = new BatchScheduler("m", model, settings(10), new SimpleMeterRegistry());
        CompletableFuture<RowBlock> f = s.open(new RequestContext()).submit(rows(1, 1_000));
        Thread closer = new Thread(s::close);
        closer.start();
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        assertEquals(Reason.SHUTTING_DOWN, ((PrismException) e.getCause()).reason());
        model.gate.countDown();
        closer.join(10_000);
        assertFalse(closer.isAlive());
        assertEquals(Reason.SHUTTING_DOWN, assertThrows(PrismException.class, s::admit).reason());
    }

    /**
     * A graph nobody asks for costs the endpoint its gauges and counters, at zero, and no histogram
     * buckets: those come with the first batch.
     */
    @Test
    void histogramsComeWithTheFirstBatchWhileCountersAndGaugesStartAtZero() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Tags tags = Tags.of("model", "m", "graph", "deep_lift");
        try (BatchScheduler s = new BatchScheduler("m", "deep_lift", new TaggingModel(), settings(100), registry)) {
            assertEquals(0.0, registry.get("prism.model.rows").tags(tags).counter().count());
            assertEquals(0.0, registry.get("prism.model.run.failures").tags(tags).counter().count());
            assertEquals(0.0, registry.get("prism.scheduler.queue.rows").tags(tags).gauge().value());
            assertEquals(0.0, registry.get("prism.scheduler.jobs").tags(tags).gauge().value());
            List<String> histograms = List.of("prism.scheduler.batch.rows", "prism.scheduler.queue.wait",
                    "prism.model.run");
            for (String name : histograms) {
                assertEquals(List.of(), List.copyOf(registry.find(name).meters()), name);
            }
            assertEquals(4, registry.getMeters().size());

            s.open(new RequestContext()).submit(rows(1, 10)).get(10, TimeUnit.SECONDS);
            assertEquals(1, registry.get("prism.scheduler.batch.rows").tags(tags).summary().count());
            assertEquals(1, registry.get("prism.scheduler.queue.wait").tags(tags).timer().count());
            assertEquals(1, registry.get("prism.model.run").tags(tags).timer().count());
            assertEquals(10.0, registry.get("prism.model.rows").tags(tags).counter().count());
            assertEquals(7, registry.getMeters().size());
        }
    }

    @Test
    void metricsCountRowsAndRuns() throws Exception {
        TaggingModel model = new TaggingModel();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (BatchScheduler s = new BatchScheduler("m", model, settings(100), registry)) {
            s.open(new RequestContext()).submit(rows(1, 250)).get(10, TimeUnit.SECONDS);
            assertEquals(250.0, registry.get("prism.model.rows").tag("model", "m").counter().count());
            assertEquals(250.0, registry.get("prism.scheduler.batch.rows").summary().totalAmount());
            assertEquals(3, registry.get("prism.scheduler.batch.rows").summary().count());
            assertEquals(3, registry.get("prism.model.run").timer().count());
        }
    }

    private static double queued(SimpleMeterRegistry registry) {
        return registry.get("prism.scheduler.queue.rows").gauge().value();
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached in 10 s");
            }
            Thread.sleep(2);
        }
    }
}
