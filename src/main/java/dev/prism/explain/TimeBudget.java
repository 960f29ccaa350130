package dev.prism.explain;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * How long an explanation has for its best answer, and whether its explainer stopped there: its
 * answer then holds the estimates of that moment and is partial. This is the explanation's state,
 * not the scheduler's: a job's rows know nothing of it. Methods that can answer from fewer rows stop
 * at it through their {@link RowStream}; the others ignore it and run to their end, bounded only by
 * the request's deadline.
 *
 * <p>The partial mark is volatile: the explainer sets it, the server reads it once the explainer
 * has returned.
 */
public final class TimeBudget {
    /** No time budget. */
    public static final TimeBudget NONE = new TimeBudget(System::nanoTime, Long.MAX_VALUE);

    private final LongSupplier clock;
    private final long endNanos;
    private volatile boolean partial;

    private TimeBudget(LongSupplier clock, long endNanos) {
        this.clock = clock;
        this.endNanos = endNanos;
    }

    /** This long from now; a negative budget is spent already (the request waited longer for a thread). */
    public static TimeBudget of(Duration budget) {
        return new TimeBudget(System::nanoTime, System.nanoTime() + budget.toNanos());
    }

    /** Until {@code endNanos} as the clock reads it (System.nanoTime's unit); tests give clocks of their own. */
    public static TimeBudget until(long endNanos, LongSupplier clock) {
        return new TimeBudget(clock, endNanos);
    }

    public boolean limited() {
        return this != NONE;
    }

    /** Nanoseconds left (negative once past it); MAX_VALUE without a budget. */
    public long nanosLeft() {
        return limited() ? endNanos - clock.getAsLong() : Long.MAX_VALUE;
    }

    public boolean spent() {
        return nanosLeft() <= 0;
    }

    /** The explainer stopped at the budget: its answer holds the estimates of that moment. */
    public void markPartial() {
        if (!limited()) {
            throw new IllegalStateException("an explanation without a time budget cannot stop at it");
        }
        partial = true;
    }

    public boolean partial() {
        return partial;
    }

    /**
     * The budget ran out before some instances had an estimate to answer with.
     *
     * @param without instances without an estimate, of {@code instances}; {@code first} the first of them
     */
    public static PrismException tooShort(int without, int instances, int first) {
        return new PrismException(Reason.DEADLINE_EXCEEDED, "the time budget ran out before every instance had a"
                + " first estimate (" + without + " of " + instances + " had none, the first being instance " + first
                + "); give it more time, fewer instances or fewer samples");
    }
}
