package dev.prism.metrics;

import dev.prism.error.Reason;
import dev.prism.runner.RequestContext;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/**
 * Requests whose job was cancelled, by reason: by their client (CANCELLED), their deadline
 * (DEADLINE_EXCEEDED) or the server's shutdown (SHUTTING_DOWN). A request that answers, with a
 * result or an error, ends with a release and is not counted. Every reason's counter exists from
 * the start at zero.
 */
public final class CancelledRequests {
    private final Map<Reason, Counter> byReason = new EnumMap<>(Reason.class);

    public CancelledRequests(MeterRegistry registry) {
        for (Reason reason : RequestContext.CANCEL_REASONS) {
            byReason.put(reason, Counter.builder("prism.requests.cancelled")
                    .description("Requests cancelled by their client, their deadline or the server's shutdown")
                    .tags("reason", reason.name())
                    .register(registry));
        }
    }

    /** Counts the request's job if it is cancelled; one that is released is not. */
    public void watch(RequestContext context) {
        context.onCancel(() -> byReason.get(context.cancelReason()).increment());
    }
}
