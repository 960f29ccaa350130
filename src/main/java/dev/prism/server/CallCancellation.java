package dev.prism.server;

import dev.prism.error.Reason;
import dev.prism.model.RequestContext;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;

/** Ties a call's cancellation and deadline to a {@link RequestContext}. */
final class CallCancellation {
    private CallCancellation() {}

    static RequestContext bind(ServerCallStreamObserver<?> call) {
        RequestContext context = new RequestContext();
        Deadline deadline = Context.current().getDeadline();
        call.setOnCancelHandler(() -> context.cancel(
                deadline != null && deadline.isExpired() ? Reason.DEADLINE_EXCEEDED : Reason.CANCELLED));
        return context;
    }
}
