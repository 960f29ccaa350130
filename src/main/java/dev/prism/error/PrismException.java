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
    private final String errorId;

    public PrismException(Reason reason, String message) {
        this(reason, message, List.of(), null, null, null);
    }

    public PrismException(Reason reason, String message, Throwable cause) {
        this(reason, message, List.of(), null, null, cause);
    }

    private PrismException(Reason reason, String message, List<FieldViolation> violations,
                           Duration retryAfter, String errorId, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.violations = List.copyOf(violations);
        this.retryAfter = retryAfter;
        this.errorId = errorId;
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
        return new PrismException(reason, message, violations, null, null, null);
    }

    /**
     * The same refusal with every field path under {@code prefix} (a request nested in another's
     * field); a refusal that names no field is returned as it is.
     */
    public PrismException withFieldPrefix(String prefix) {
        if (violations.isEmpty()) {
            return this;
        }
        return invalid(reason, violations.stream()
                .map(v -> new FieldViolation(prefix + v.field(), v.description())).toList());
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
        return new PrismException(reason, message, List.of(), retryAfter, null, null);
    }

    /** An unexpected failure logged under the id (see {@link InternalFailure}). */
    static PrismException withErrorId(Reason reason, String message, String errorId, Throwable cause) {
        return new PrismException(reason, message, List.of(), null, errorId, cause);
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

    /** The id the failure was logged under, or null for an expected failure. */
    public String errorId() {
        return errorId;
    }
}
