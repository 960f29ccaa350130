package dev.prism.batch;

import dev.prism.error.InternalFailure;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.model.Model;
import dev.prism.model.RowBatch;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Owns one model and packs rows from every open job into model runs of at most
 * {@code max_batch_rows}. A worker waits at most {@code max_queue_delay} for an under-full batch,
 * then fills it round-robin across jobs, each taking an equal share per turn, so a huge job never
 * holds back a small one. {@code workers} threads each run one batch at a time, so several runs
 * may be in flight. When fewer rows are queued than the idle workers could take in full batches,
 * they are split evenly among those workers, in shares of at least {@value #MIN_SPLIT_ROWS} rows and
 * a millisecond of work by the recent cost per row, so one expensive request on an otherwise idle
 * server uses every worker rather than one. The queue is bounded in rows: {@link #admit()} refuses new requests past
 * the bound, and a job's further submits wait until there is room. A job that ends, cancelled or
 * released, has its queued rows dropped at once; rows already in a running batch are discarded when
 * it returns. The scheduler speaks of jobs and rows: its failures say nothing of what the rows are for.
 */
public final class BatchScheduler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BatchScheduler.class.getName());
    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    /**
     * A split share is worth a run of its own only when it takes at least this long (by the recent
     * cost per row): a run has a fixed cost, and on a busy server many short runs cost throughput.
     */
    static final long MIN_SPLIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** ... and holds at least this many rows. */
    static final int MIN_SPLIT_ROWS = 64;
    /**
     * A model with no rows and no run for this long is idle: what its runtime keeps for runs may go
     * back ({@link Model#releaseIdleMemory()}). Long enough that steady traffic never pays for
     * regrowing it, short enough that a burst's memory does not stay.
     */
    static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** What nextBatch returns to a worker that should release the model's idle memory. */
    private static final List<Slice> RELEASE = java.util.Collections.unmodifiableList(new ArrayList<>());
    /** A submit waiting for queue room looks at its job's cancellation at least this often. */
    private static final long SPACE_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final String name;
    private final Model model;
    private final BatchingSettings settings;
    private final SchedulerMetrics metrics;
    private final int width;
    private final int outputWidth;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workAvailable = lock.newCondition();
    private final Condition spaceAvailable = lock.newCondition();
    /** Jobs with queued rows, in round-robin order. */
    private final ArrayDeque<Job> ring = new ArrayDeque<>();
    private long queuedRows;
    private boolean closed;
    private final List<Thread> workers = new ArrayList<>();
    private final int workerCount;
    /** Workers running a batch (changed under the lock). */
    private int running;
    /** Recent ONNX Runtime nanoseconds per row, 0 before the first run (under the lock). */
    private long runNanosPerRow;
    /** A run has ended since the model last released its idle memory (under the lock). */
    private boolean ranSinceRelease;
    /** System.nanoTime() when the last run ended (under the lock). */
    private long lastRunEnd;

    /** The scheduler of a model's own runs; its meters carry the model's name and an empty graph. */
    public BatchScheduler(String model, Model runs, BatchingSettings settings, MeterRegistry registry) {
        this(model, "", runs, settings, registry);
    }

    /**
     * @param modelName the served model's name, its meters' {@code model} tag
     * @param graph     the attribution graph it runs (e.g. "deep_lift"), its meters' {@code graph} tag;
     *                  empty for the model's own runs
     */
    public BatchScheduler(String modelName, String graph, Model model, BatchingSettings settings,
                          MeterRegistry registry) {
        this.name = graph.isEmpty() ? modelName : modelName + "/" + graph;
        this.model = model;
        this.settings = settings;
        this.width = model.signature().featureCount();
        this.outputWidth = model.signature().outputCount();
        this.metrics = new SchedulerMetrics(registry, modelName, graph, this::queuedRowsSnapshot, this::jobsSnapshot);
        this.workerCount = Math.max(1, settings.workers());
        for (int i = 0; i < workerCount; i++) {
            Thread worker = new Thread(this::workLoop, "prism-batch-" + name + "-" + i);
            worker.setDaemon(true);
            worker.start();
            workers.add(worker);
        }
    }

    public BatchingSettings settings() {
        return settings;
    }

    /** Values per row the model takes. */
    public int inputWidth() {
        return width;
    }

    /** Score values per row the model returns. */
    public int outputWidth() {
        return outputWidth;
    }

    /** Refuses new work with QUEUE_FULL (RESOURCE_EXHAUSTED) while the queue is at its bound. */
    public void admit() {
        lock.lock();
        try {
            if (closed) {
                throw stopped(Reason.SHUTTING_DOWN);
            }
            if (queuedRows >= settings.maxQueueRows()) {
                throw PrismException.overloaded("model '" + name + "' has " + queuedRows
                        + " rows queued (limit " + settings.maxQueueRows() + "); retry later", RETRY_AFTER);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Opens a job for one request. When the job ends its queued rows are dropped and its pending
     * futures fail: with the cancellation's reason, or, once released, as rows nobody waits for
     * (those in flight when an explanation stopped at its time budget). Later submits fail alike.
     */
    public BatchRunner open(RequestContext context) {
        Job job = new Job(context);
        context.onEnd(() -> drop(job, context.isCancelled() ? stopped(context.cancelReason()) : released()));
        return job;
    }

    /** Why a job's rows will not run, in the scheduler's words. */
    private static PrismException stopped(Reason reason) {
        return new PrismException(reason, switch (reason) {
            case DEADLINE_EXCEEDED -> "the deadline passed before the model evaluated the request's rows";
            case SHUTTING_DOWN -> "the server is shutting down";
            default -> "the request was cancelled before the model evaluated its rows";
        });
    }

    private static PrismException released() {
        return new PrismException(Reason.INTERNAL_ERROR, "the request had ended before the model evaluated these rows");
    }

    private final class Job implements BatchRunner {
        final RequestContext context;
        final ArrayDeque<Pending> pending = new ArrayDeque<>();
        boolean inRing;
        /**
         * Set once the job has ended (cancelled, released) or failed; later submits fail with it.
         * Written under the lock; volatile for the checks of a run in flight.
         */
        volatile PrismException failure;

        Job(RequestContext context) {
            this.context = context;
        }

        @Override
        public int inputWidth() {
            return width;
        }

        @Override
        public int outputWidth() {
            return outputWidth;
        }

        @Override
        public CompletableFuture<RowBlock> submit(RowSource rows) {
            if (rows.width() != width) {
                throw new IllegalArgumentException("rows of width " + rows.width() + " for a model of " + width);
            }
            return enqueue(this, rows);
        }
    }

    /**
     * One submitted block: rows are taken from {@code next} (under the scheduler lock);
     * {@code remaining} have no output yet (under the block's own lock, as workers finish slices).
     */
    private static final class Pending {
        final Job job;
        final RowSource input;
        final double[] output;
        final CompletableFuture<RowBlock> future = new CompletableFuture<>();
        final long enqueuedNanos = System.nanoTime();
        int next;
        int remaining;

        Pending(Job job, RowSource input, int outputWidth) {
            this.job = job;
            this.input = input;
            this.output = new double[input.rows() * outputWidth];
            this.remaining = input.rows();
        }
    }

    /** Rows [from, from + count) of a pending block placed in a batch. */
    private record Slice(Pending pending, int from, int count) {}

    private CompletableFuture<RowBlock> enqueue(Job job, RowSource rows) {
        Pending p = new Pending(job, rows, outputWidth);
        if (rows.rows() == 0) {
            p.future.complete(new RowBlock(0, outputWidth, new double[0]));
            return p.future;
        }
        lock.lock();
        try {
            // Back-pressure: wait for room, unless the queue is empty (so one oversized block can't deadlock).
            // Every wake-up is bounded: a job cancelled meanwhile is failed by drop(), which signals.
            while (!closed && job.failure == null && queuedRows > 0
                    && queuedRows + rows.rows() > settings.maxQueueRows()) {
                try {
                    spaceAvailable.awaitNanos(SPACE_RECHECK_NANOS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    job.failure = stopped(Reason.CANCELLED);
                }
                if (job.context.isCancelled() && job.failure == null) {
                    job.failure = stopped(job.context.cancelReason());
                }
            }
            if (closed) {
                p.future.completeExceptionally(stopped(Reason.SHUTTING_DOWN));
            } else if (job.failure != null) {
                p.future.completeExceptionally(job.failure);
            } else {
                job.pending.addLast(p);
                queuedRows += rows.rows();
                if (!job.inRing) {
                    job.inRing = true;
                    ring.addLast(job);
                }
                workAvailable.signal();
            }
        } finally {
            lock.unlock();
        }
        return p.future;
    }

    /** Drops the job's queued rows and fails its pending blocks, and any later ones, with failure. */
    private void drop(Job job, PrismException failure) {
        List<Pending> dropped;
        lock.lock();
        try {
            if (job.failure == null) {
                job.failure = failure;
            }
            dropped = new ArrayList<>(job.pending);
            for (Pending p : dropped) {
                queuedRows -= p.input.rows() - p.next;
            }
            job.pending.clear();
            if (job.inRing) {
                ring.remove(job);
                job.inRing = false;
            }
            spaceAvailable.signalAll();
        } finally {
            lock.unlock();
        }
        dropped.forEach(p -> p.future.completeExceptionally(failure));
    }

    /**
     * Takes and runs batches until the scheduler closes. Nothing thrown ends it: a batch whose run or
     * hand-out fails, with an {@link Error} too (an OutOfMemoryError while copying outputs, a
     * StackOverflowError in the runtime), fails only the jobs in that batch.
     */
    private void workLoop() {
        while (true) {
            List<Slice> batch;
            lock.lock();
            try {
                batch = nextBatch();
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            if (batch == null) {
                return;
            }
            if (batch == RELEASE) {
                releaseIdleMemory();
                continue;
            }
            try {
                execute(batch);
            } catch (Throwable t) {
                failBatch(batch, t);
            }
        }
    }

    /** A batch failed past its own handling: its jobs get the failure, and the worker goes on. */
    private void failBatch(List<Slice> batch, Throwable t) {
        try {
            metrics.failed();
            PrismException error = modelFailure(t);
            for (Slice s : batch) {
                fail(s.pending, error);
            }
        } catch (Throwable ignored) {
            // Nothing more can be done for this batch without memory; the worker must stay.
        }
    }

    /**
     * Waits for work and gathers the next batch; null once closed; {@link #RELEASE} once the model
     * has been idle for {@link #IDLE_NANOS} after a run. Called with the lock held.
     */
    private List<Slice> nextBatch() throws InterruptedException {
        long delayNanos = TimeUnit.MICROSECONDS.toNanos(settings.maxQueueDelayMicros());
        while (true) {
            while (ring.isEmpty() && !closed) {
                if (ranSinceRelease && running == 0) {
                    long quiet = lastRunEnd + IDLE_NANOS - System.nanoTime();
                    if (quiet <= 0) {
                        ranSinceRelease = false;
                        return RELEASE;
                    }
                    workAvailable.awaitNanos(quiet);
                } else {
                    workAvailable.await();
                }
            }
            if (closed) {
                return null;
            }
            long wait = oldestEnqueue() + delayNanos - System.nanoTime();
            if (wait > 0 && rowsReady() < settings.maxBatchRows()) {
                workAvailable.awaitNanos(wait);
                continue; // re-check: more rows, a cancellation, or the delay has passed
            }
            return gather();
        }
    }

    private long rowsReady() {
        if (settings.crossRequestBatching()) {
            return queuedRows;
        }
        long rows = 0;
        for (Pending p : ring.peekFirst().pending) {
            rows += p.input.rows() - p.next;
        }
        return rows;
    }

    private long oldestEnqueue() {
        long oldest = Long.MAX_VALUE;
        for (Job j : ring) {
            oldest = Math.min(oldest, j.pending.peekFirst().enqueuedNanos);
        }
        return oldest;
    }

    /** Takes up to max_batch_rows rows, an equal share per job per turn. Called with the lock held. */
    private List<Slice> gather() {
        List<Slice> slices = new ArrayList<>();
        int capacity = batchRows();
        int limit = capacity;
        boolean split = limit < settings.maxBatchRows();
        long now = System.nanoTime();
        if (!settings.crossRequestBatching()) {
            Job job = ring.pollFirst();
            capacity -= take(job, capacity, slices, now);
            requeue(job);
        } else {
            while (capacity > 0 && !ring.isEmpty()) {
                int share = Math.max(1, capacity / ring.size());
                int turns = ring.size();
                for (int i = 0; i < turns && capacity > 0; i++) {
                    Job job = ring.pollFirst();
                    capacity -= take(job, Math.min(share, capacity), slices, now);
                    requeue(job);
                }
            }
        }
        int taken = limit - capacity;
        queuedRows -= taken;
        running++;
        spaceAvailable.signalAll();
        if (split && queuedRows > 0) {
            workAvailable.signal(); // an idle worker takes the next share
        }
        return slices;
    }

    /**
     * This batch's size: max_batch_rows, or an even share of the queue among the idle workers,
     * with as many shares as keep each at MIN_SPLIT_ROWS rows and MIN_SPLIT_NANOS of work or more.
     */
    private int batchRows() {
        long full = settings.maxBatchRows();
        if (runNanosPerRow == 0) {
            return settings.maxBatchRows(); // no cost known yet
        }
        long minShare = Math.max(MIN_SPLIT_ROWS, (MIN_SPLIT_NANOS + runNanosPerRow - 1) / runNanosPerRow);
        long shares = Math.min(workerCount - running, queuedRows / minShare);
        if (shares <= 1 || queuedRows >= full * shares) {
            return settings.maxBatchRows();
        }
        return (int) ((queuedRows + shares - 1) / shares);
    }

    private int take(Job job, int limit, List<Slice> slices, long now) {
        int taken = 0;
        while (taken < limit && !job.pending.isEmpty()) {
            Pending p = job.pending.peekFirst();
            int count = Math.min(limit - taken, p.input.rows() - p.next);
            if (p.next == 0) {
                metrics.waited(now - p.enqueuedNanos);
            }
            slices.add(new Slice(p, p.next, count));
            p.next += count;
            taken += count;
            if (p.next == p.input.rows()) {
                job.pending.pollFirst();
            }
        }
        return taken;
    }

    private void requeue(Job job) {
        if (job.pending.isEmpty()) {
            job.inRing = false;
        } else {
            ring.addLast(job);
        }
    }

    /**
     * Runs the batch and hands out its rows' outputs. The worker counts as idle again, with the
     * run's cost per row recorded, before any output is handed out: a caller woken by its result
     * may submit more at once, and must find the scheduler's view current.
     */
    private void execute(List<Slice> slices) {
        RowBatch batch = new RowBatch(width);
        long start = System.nanoTime();
        RowBlock out;
        try {
            // Rows are written here, by their requests' code: a failure there is the batch's too.
            for (Slice s : slices) {
                batch.add(s.pending.input, s.from, s.count);
            }
            batch.abandonedWhen(() -> nobodyWaits(slices));
            out = model.run(batch);
        } catch (RuntimeException e) {
            finishRun(0);
            if (nobodyWaits(slices)) {
                // The run was abandoned, or failed after its jobs ended: their rows fail as the jobs did.
                abandon(slices);
                return;
            }
            metrics.failed();
            isolateFailure(slices, e);
            return;
        } catch (Throwable e) {
            // An Error is not retried job by job: the batch's jobs fail with it.
            finishRun(0);
            throw e;
        }
        long nanos = System.nanoTime() - start;
        finishRun(nanos / Math.max(1, batch.rows()));
        metrics.batch(batch.rows(), nanos);
        scatter(slices, out);
    }

    /** The model has been idle since its last run: what its runtime keeps for runs may go back. */
    private void releaseIdleMemory() {
        try {
            model.releaseIdleMemory();
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.WARNING, "model '" + name + "' could not give back idle memory: " + t);
        }
    }

    /**
     * A worker's run is over; its nanoseconds per row update the recent cost (0: none to record).
     * An idle worker then waits for the model to stay idle before it releases its memory.
     */
    private void finishRun(long nanosPerRow) {
        lock.lock();
        try {
            running--;
            if (nanosPerRow > 0) {
                runNanosPerRow = runNanosPerRow == 0 ? nanosPerRow : (3 * runNanosPerRow + nanosPerRow) / 4;
            }
            ranSinceRelease = true;
            lastRunEnd = System.nanoTime();
            workAvailable.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A failed run may hold rows of several jobs; re-run each job's rows alone so that only the
     * jobs whose rows fail get the error.
     */
    private void isolateFailure(List<Slice> slices, RuntimeException failure) {
        Map<Job, List<Slice>> byJob = new LinkedHashMap<>();
        slices.forEach(s -> byJob.computeIfAbsent(s.pending.job, j -> new ArrayList<>()).add(s));
        if (byJob.size() == 1) {
            PrismException error = failure instanceof PrismException p ? p : modelFailure(failure);
            slices.forEach(s -> fail(s.pending, error));
            return;
        }
        for (List<Slice> jobSlices : byJob.values()) {
            try {
                RowBatch batch = new RowBatch(width);
                jobSlices.forEach(s -> batch.add(s.pending.input, s.from, s.count));
                batch.abandonedWhen(() -> nobodyWaits(jobSlices));
                long start = System.nanoTime();
                RowBlock out = model.run(batch);
                metrics.batch(batch.rows(), System.nanoTime() - start);
                scatter(jobSlices, out);
            } catch (Throwable e) {
                metrics.failed();
                PrismException error = e instanceof PrismException p ? p : modelFailure(e);
                jobSlices.forEach(s -> fail(s.pending, error));
            }
        }
    }

    /** Every slice's rows are answered already, or belong to a job that has ended or failed. */
    private static boolean nobodyWaits(List<Slice> slices) {
        for (Slice s : slices) {
            if (!s.pending.future.isDone() && s.pending.job.failure == null) {
                return false;
            }
        }
        return true;
    }

    private static void abandon(List<Slice> slices) {
        for (Slice s : slices) {
            PrismException ended = s.pending.job.failure;
            if (ended != null) {
                s.pending.future.completeExceptionally(ended);
            }
        }
    }

    /** A failure the model's own code did not describe: logged with an id, which the requests get instead. */
    private PrismException modelFailure(Throwable t) {
        return InternalFailure.logged(LOG, "model '" + name + "'", Reason.MODEL_EXECUTION_FAILED, "the model failed",
                t);
    }

    private void fail(Pending p, PrismException error) {
        p.future.completeExceptionally(error);
        drop(p.job, error);
    }

    private void scatter(List<Slice> slices, RowBlock out) {
        int row = 0;
        for (Slice s : slices) {
            Pending p = s.pending;
            if (!p.future.isDone()) {
                System.arraycopy(out.data(), row * outputWidth, p.output, s.from * outputWidth, s.count * outputWidth);
                boolean last;
                synchronized (p) {
                    p.remaining -= s.count;
                    last = p.remaining == 0;
                }
                if (last) {
                    p.future.complete(new RowBlock(p.input.rows(), outputWidth, p.output));
                }
            }
            row += s.count;
        }
    }

    private long queuedRowsSnapshot() {
        lock.lock();
        try {
            return queuedRows;
        } finally {
            lock.unlock();
        }
    }

    /** Requests that have rows waiting. */
    public int jobsQueued() {
        return jobsSnapshot();
    }

    private int jobsSnapshot() {
        lock.lock();
        try {
            return ring.size();
        } finally {
            lock.unlock();
        }
    }

    /** Fails queued work with SHUTTING_DOWN and stops the worker after its current run; the model stays open. */
    @Override
    public void close() {
        List<Pending> dropped = new ArrayList<>();
        lock.lock();
        try {
            closed = true;
            for (Job j : ring) {
                dropped.addAll(j.pending);
                j.pending.clear();
                j.inRing = false;
            }
            ring.clear();
            queuedRows = 0;
            workAvailable.signalAll();
            spaceAvailable.signalAll();
        } finally {
            lock.unlock();
        }
        PrismException failure = stopped(Reason.SHUTTING_DOWN);
        dropped.forEach(p -> p.future.completeExceptionally(failure));
        try {
            for (Thread worker : workers) {
                worker.join(TimeUnit.SECONDS.toMillis(30));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
