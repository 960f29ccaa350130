package dev.prism.error;

import java.time.Duration;
import java.util.List;

/**
 * The one exception type that carries a request failure out of the core. Its {@link Reason}
 * decides the gRPC status; the message is written for the user.
 */
public class PrismException extends RuntimeException {
    private final Reason reason;
    private final List<FieldViolation> violations;
    private final Duration retryAfter;

    public PrismException(Reason reason, String message) {
        this(reason, message, List.of(), null, null);
    }

    public PrismException(Reason reason, String message, Throwable cause) {
        this(reason, message, List.of(), null, cause);
    }

    private PrismException(Reason reason, String message, List<FieldViolation> violations,
                           Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.violations = List.copyOf(violations);
        this.retryAfter = retryAfter;
    }

    /** An invalid request: one or more bad fields. */
    public static PrismException invalid(Reason reason, List<FieldViolation> violations) {
        if (violations.isEmpty()) {
            throw new IllegalArgumentException("an invalid request needs at least one violation");
        }
        String message = violations.size() == 1
                ? violations.get(0).field() + ": " + violations.get(0).description()
                : violations.size() + " invalid fields; first " + violations.get(0).field() + ": "
                        + violations.get(0).description();
        return new PrismException(reason, message, violations, null, null);
    }

    public static PrismException invalid(Reason reason, String field, String description) {
        return invalid(reason, List.of(new FieldViolation(field, description)));
    }

    /** Overload: the caller may retry after the given delay. */
    public static PrismException overloaded(String message, Duration retryAfter) {
        return retryLater(Reason.QUEUE_FULL, message, retryAfter);
    }

    /** A refusal for now (queue, memory, a slow reader's call): the caller may retry after the delay. */
    public static PrismException retryLater(Reason reason, String message, Duration retryAfter) {
        return new PrismException(reason, message, List.of(), retryAfter, null);
    }

    public Reason reason() {
        return reason;
    }

    public List<FieldViolation> violations() {
        return violations;
    }

    /** Suggested retry delay, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
