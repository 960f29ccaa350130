package dev.prism.server;

import dev.prism.error.Reason;
import dev.prism.model.RequestContext;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.TimeUnit;

/** Ties a call's cancellation and deadline to a {@link RequestContext}. */
final class CallCancellation {
    /**
     * A client whose deadline passes cancels the call itself, and its cancellation can reach the
     * server shortly before the server's copy of the deadline (taken from grpc-timeout on arrival)
     * passes. Cancellations this close to the deadline are the deadline.
     */
    static final long DEADLINE_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private CallCancellation() {}

    static RequestContext bind(ServerCallStreamObserver<?> call) {
        RequestContext context = new RequestContext();
        Deadline deadline = Context.current().getDeadline();
        call.setOnCancelHandler(() -> context.cancel(
                deadline != null && deadline.timeRemaining(TimeUnit.NANOSECONDS) <= DEADLINE_SLACK_NANOS
                        ? Reason.DEADLINE_EXCEEDED : Reason.CANCELLED));
        return context;
    }
}
