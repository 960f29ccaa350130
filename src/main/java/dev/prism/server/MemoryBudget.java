package dev.prism.server;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;

/**
 * The heap the server lends to requests. Before a request runs it reserves the bytes it will hold
 * at its peak (its decoded input, its rows in flight, its working state, its answer as objects, as
 * a message and as serialized bytes) and keeps them until its call has closed: until the answer has
 * left, the client has gone, or the server has given up on a reader that does not read. A request
 * that does not fit now is refused with MEMORY_EXHAUSTED and a RetryInfo; one larger than the
 * whole budget, which could never fit, with BUDGET_EXCEEDED. The rest of the heap is the server's
 * own: models, the schedulers' batches, the transport's buffers for small calls.
 *
 * <p>Large requests (more than {@link #SMALL_SHARE} of the budget each) may fill the budget only up
 * to {@link #LARGE_SHARE} of it, so that a crowd of them, or their answers waiting for readers,
 * never shuts out the small requests that most clients send.
 *
 * <p>Locking: the counters are guarded by this object's monitor; a {@link Reservation} takes it
 * to give its bytes back.
 */
final class MemoryBudget {
    /** What RetryInfo suggests to a request refused for memory: answers in flight are usually out by then. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    /** The share of the maximum heap lent to requests when no budget is configured. */
    static final double DEFAULT_HEAP_SHARE = 0.5;
    /** A request of at most this share of the budget is small. */
    static final double SMALL_SHARE = 1.0 / 64;
    /** The share of the budget large requests may hold together. */
    static final double LARGE_SHARE = 7.0 / 8;

    private final long capacity;
    private long reserved;
    private final Counter refusals;

    /**
     * @param capacity bytes lent to requests at once; 0 takes {@link #DEFAULT_HEAP_SHARE} of the heap
     */
    MemoryBudget(long capacity, MeterRegistry registry) {
        if (capacity < 0) {
            throw new IllegalArgumentException("a memory budget cannot be negative: " + capacity);
        }
        this.capacity = capacity > 0 ? capacity : (long) (Runtime.getRuntime().maxMemory() * DEFAULT_HEAP_SHARE);
        Gauge.builder("prism.memory.budget", this, b -> b.capacity)
                .description("Bytes of heap lent to requests at once").baseUnit("bytes").register(registry);
        Gauge.builder("prism.memory.reserved", this, MemoryBudget::reserved)
                .description("Bytes reserved by admitted requests whose calls have not closed").baseUnit("bytes")
                .register(registry);
        this.refusals = Counter.builder("prism.memory.refusals")
                .description("Requests refused because the memory they need was not free")
                .register(registry);
    }

    long capacity() {
        return capacity;
    }

    synchronized long reserved() {
        return reserved;
    }

    /**
     * Reserves the bytes or refuses: MEMORY_EXHAUSTED (with RetryInfo) while others hold too much,
     * BUDGET_EXCEEDED when the request alone is larger than the budget.
     *
     * @param what the request in words, for the message ("a saliency explanation of 10000 instances")
     */
    Reservation reserve(long bytes, String what) {
        if (bytes > capacity) {
            refusals.increment();
            throw PrismException.invalid(Reason.BUDGET_EXCEEDED, "inputs", what + " needs about " + mib(bytes)
                    + " of memory, more than this server lends one request (" + mib(capacity)
                    + ", --memory-budget-mib); send fewer instances or outputs, or a smaller background");
        }
        // A request larger than the large share may take the whole budget, when it is free.
        long limit = bytes <= capacity * SMALL_SHARE || bytes > capacity * LARGE_SHARE
                ? capacity : (long) (capacity * LARGE_SHARE);
        synchronized (this) {
            if (reserved + bytes > limit) {
                long free = capacity - reserved;
                refusals.increment();
                throw PrismException.retryLater(Reason.MEMORY_EXHAUSTED, what + " needs about " + mib(bytes)
                        + " of memory and " + mib(Math.max(0, free)) + " of the server's " + mib(capacity)
                        + " are free now; retry later", RETRY_AFTER);
            }
            reserved += bytes;
        }
        return new Reservation(bytes);
    }

    private synchronized void giveBack(long bytes) {
        reserved -= bytes;
    }

    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    /** Bytes held by one request; {@link #release()} gives them back once, whoever calls it first. */
    final class Reservation {
        private long bytes;

        private Reservation(long bytes) {
            this.bytes = bytes;
        }

        /** Gives the bytes back; later calls do nothing. */
        void release() {
            long held;
            synchronized (this) {
                held = bytes;
                bytes = 0;
            }
            if (held > 0) {
                giveBack(held);
            }
        }
    }
}
