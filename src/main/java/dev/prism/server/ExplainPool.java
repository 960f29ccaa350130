package dev.prism.server;

import dev.prism.error.PrismException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The threads explanations (and the short hand-off of predictions) run on, shared fairly among
 * lanes, one per model. Explainers spend most of their time blocked on their model's scheduler, so
 * the pool is sized for concurrent requests, not cores.
 *
 * <ul>
 *   <li><b>Fair.</b> A free thread takes the oldest task of the next lane in turn, so a flood on
 *       one model delays another model's request by one explanation at most, not by the flood; and
 *       no lane runs more than {@link #laneCap} tasks at once while others wait, so some threads
 *       are always free for the other models.</li>
 *   <li><b>Bounded by wait, not by count.</b> Each lane learns how long its tasks run; a request
 *       that would wait longer than the queue wait bound, or past its own deadline, is refused at
 *       once with QUEUE_FULL and a RetryInfo instead of being queued to fail later. A fixed bound
 *       on queued tasks stays as a last guard.</li>
 *   <li><b>Nothing lost.</b> A queued task either runs (and answers) or is withdrawn by its
 *       cancellation, which answers for it.</li>
 * </ul>
 *
 * <p>Locking: lanes, counts and the worker set are guarded by {@link #lock}; tasks run outside it.
 */
final class ExplainPool {
    /** How long explanations get to answer once told to stop. */
    static final long STOP_MILLIS = 5_000;
    /** The delay RetryInfo suggests to refused requests when no better estimate exists. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    /** The longest delay RetryInfo suggests. */
    static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(30);
    /** Idle workers end after this long. */
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final int threads;
    private final int maxQueued;
    private final long maxWaitNanos;
    private final int laneCap;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workAvailable = lock.newCondition();
    private final Condition drained = lock.newCondition();
    /** Every lane seen, in turn order; a lane keeps what it learnt while idle (lanes are served names). */
    private final Map<String, Lane> lanes = new LinkedHashMap<>();
    private int queued;
    private int running;
    private int workers;
    private int idleWorkers;
    private boolean shutdown;
    private int threadSerial;
    private final java.util.Set<Thread> workerThreads = new java.util.HashSet<>();

    /**
     * @param threads   tasks running at once, over all lanes
     * @param maxQueued tasks waiting at once, over all lanes
     * @param maxWait   longest a task may wait for a thread
     */
    ExplainPool(int threads, int maxQueued, Duration maxWait, MeterRegistry registry) {
        if (threads < 1 || maxQueued < 0) {
            throw new IllegalArgumentException("explain threads must be positive and the queue not negative");
        }
        this.threads = threads;
        this.maxQueued = maxQueued;
        this.maxWaitNanos = maxWait.toNanos();
        this.laneCap = Math.max(1, threads - threads / 4);
        Gauge.builder("prism.explain.running", this, ExplainPool::active)
                .description("Requests running on the explain pool").register(registry);
        Gauge.builder("prism.explain.queued", this, ExplainPool::queued)
                .description("Requests waiting for an explain thread").register(registry);
    }

    /** One lane's queue and what it has learnt about its tasks. */
    private static final class Lane {
        final ArrayDeque<Task> queue = new ArrayDeque<>();
        int running;
        /** Smoothed run time of the lane's tasks in nanoseconds; 0 before the first has finished. */
        long meanRunNanos;
    }

    /** A submitted task; {@link #withdraw} takes it back while it waits. */
    static final class Task {
        final String lane;
        final Runnable body;
        final long queuedNanos = System.nanoTime();
        boolean started;

        Task(String lane, Runnable body) {
            this.lane = lane;
            this.body = body;
        }
    }

    /**
     * Queues the task on its lane, or refuses with QUEUE_FULL: the pool is shut down, the queue is
     * at its bound, or the expected wait is longer than the queue wait bound or than the time to the
     * caller's deadline.
     *
     * @param deadlineNanos the caller's deadline as System.nanoTime(), or Long.MAX_VALUE for none
     */
    Task submit(String lane, long deadlineNanos, Runnable body) {
        lock.lock();
        try {
            if (shutdown) {
                throw dev.prism.runner.RequestContext.cancelledException(dev.prism.error.Reason.SHUTTING_DOWN);
            }
            Lane l = lanes.computeIfAbsent(lane, k -> new Lane());
            if (queued >= maxQueued && !(running < threads && l.running < laneCap)) {
                throw PrismException.overloaded("the server is running " + running + " requests and has "
                        + queued + " waiting; retry later", RETRY_AFTER);
            }
            long wait = expectedWaitNanos(l);
            if (wait > maxWaitNanos) {
                throw PrismException.overloaded("model '" + lane + "' has " + l.queue.size()
                        + " requests waiting; a new one would wait about " + millis(wait) + " ms (limit "
                        + millis(maxWaitNanos) + " ms); retry later", retryAfter(wait - maxWaitNanos));
            }
            if (deadlineNanos != Long.MAX_VALUE && System.nanoTime() + wait > deadlineNanos) {
                throw PrismException.overloaded("model '" + lane + "' is busy: a new request would start in about "
                        + millis(wait) + " ms, after the call's deadline; retry later or with a longer deadline",
                        retryAfter(wait));
            }
            Task task = new Task(lane, body);
            l.queue.addLast(task);
            queued++;
            if (idleWorkers > 0) {
                workAvailable.signal();
            } else if (workers < threads) {
                startWorker();
            }
            return task;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The time a new task on the lane would wait: none while it could start at once; else the
     * queued tasks ahead of it, and itself, sharing the lane's threads at the lane's mean run time.
     */
    private long expectedWaitNanos(Lane l) {
        boolean startsNow = l.queue.isEmpty() && l.running < laneCap && running < threads;
        if (startsNow || l.meanRunNanos == 0) {
            return 0;
        }
        int parallel = Math.max(1, Math.min(laneCap, threads));
        return (l.queue.size() + 1) * l.meanRunNanos / parallel;
    }

    private static Duration retryAfter(long nanos) {
        Duration d = Duration.ofNanos(Math.max(nanos, RETRY_AFTER.toNanos()));
        return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : Duration.ofSeconds((d.toMillis() + 999) / 1000);
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /** Takes back a task still waiting; true when it was waiting, and so will not run. */
    boolean withdraw(Task task) {
        lock.lock();
        try {
            if (task.started) {
                return false;
            }
            Lane l = lanes.get(task.lane);
            if (l == null || !l.queue.remove(task)) {
                return false;
            }
            queued--;
            signalIfDrained();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Refuses with QUEUE_FULL a request that was queued at {@code queuedNanos} and has waited past the bound. */
    void refuseIfWaitedTooLong(long queuedNanos) {
        long waited = System.nanoTime() - queuedNanos;
        if (waited > maxWaitNanos) {
            throw PrismException.overloaded("the request waited " + millis(waited)
                    + " ms for an explain thread (limit " + millis(maxWaitNanos) + " ms); retry later",
                    RETRY_AFTER);
        }
    }

    int active() {
        lock.lock();
        try {
            return running;
        } finally {
            lock.unlock();
        }
    }

    int queued() {
        lock.lock();
        try {
            return queued;
        } finally {
            lock.unlock();
        }
    }

    /** Called with the lock held. */
    private void startWorker() {
        workers++;
        Thread t = new Thread(this::work, "prism-explain-" + (++threadSerial));
        t.setDaemon(true);
        workerThreads.add(t);
        t.start();
    }

    private void work() {
        while (true) {
            Task task;
            lock.lock();
            try {
                task = next();
                if (task == null) {
                    workers--;
                    workerThreads.remove(Thread.currentThread());
                    signalIfDrained();
                    return;
                }
            } finally {
                lock.unlock();
            }
            long start = System.nanoTime();
            try {
                task.body.run();
            } catch (Throwable t) {
                // The task answers its own failures; anything escaping is a defect, and must not end the worker.
                System.getLogger(ExplainPool.class.getName()).log(System.Logger.Level.ERROR,
                        "an explain task failed outside its own handling", t);
            } finally {
                finished(task, System.nanoTime() - start);
            }
        }
    }

    /** The next task to run, waiting for one; null when this worker should end. Called with the lock held. */
    private Task next() {
        long idleSince = System.nanoTime();
        while (true) {
            Task task = take();
            if (task != null) {
                return task;
            }
            if (shutdown && queued == 0) {
                return null;
            }
            long left = IDLE_NANOS - (System.nanoTime() - idleSince);
            if (left <= 0 && !shutdown) {
                return null;
            }
            idleWorkers++;
            try {
                workAvailable.awaitNanos(Math.max(left, TimeUnit.MILLISECONDS.toNanos(100)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (shutdown) {
                    return null;
                }
            } finally {
                idleWorkers--;
            }
        }
    }

    /** The oldest task of the first lane in turn that may run another; the lane goes to the back. */
    private Task take() {
        if (queued == 0 || running >= threads) {
            return null;
        }
        Iterator<Map.Entry<String, Lane>> it = lanes.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Lane> e = it.next();
            Lane l = e.getValue();
            if (l.queue.isEmpty() || l.running >= laneCap) {
                continue;
            }
            Task task = l.queue.pollFirst();
            task.started = true;
            queued--;
            running++;
            l.running++;
            it.remove();
            lanes.put(e.getKey(), l); // to the back: the next free thread serves the next lane
            return task;
        }
        return null;
    }

    private void finished(Task task, long nanos) {
        lock.lock();
        try {
            running--;
            Lane l = lanes.get(task.lane);
            if (l != null) {
                l.running--;
                l.meanRunNanos = l.meanRunNanos == 0 ? nanos : (7 * l.meanRunNanos + nanos) / 8;
            }
            if (queued > 0) {
                workAvailable.signal();
            }
            signalIfDrained();
        } finally {
            lock.unlock();
        }
    }

    private void signalIfDrained() {
        if (running == 0 && queued == 0) {
            drained.signalAll();
        }
    }

    /**
     * Takes no new tasks and lets running and queued ones finish for up to grace; then runs
     * {@code stop}, which should make them end with an answer, waits a little more, and interrupts
     * what is left.
     */
    void shutdown(Duration grace, Runnable stop) throws InterruptedException {
        lock.lock();
        try {
            shutdown = true;
            workAvailable.signalAll();
            if (!awaitDrained(grace.toNanos())) {
                lock.unlock();
                try {
                    stop.run();
                } finally {
                    lock.lock();
                }
                if (!awaitDrained(TimeUnit.MILLISECONDS.toNanos(STOP_MILLIS))) {
                    workerThreads.forEach(Thread::interrupt);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits, with the lock held, until nothing runs or waits. */
    private boolean awaitDrained(long nanos) throws InterruptedException {
        long left = nanos;
        while (running > 0 || queued > 0) {
            if (left <= 0) {
                return false;
            }
            left = drained.awaitNanos(left);
        }
        return true;
    }
}
