package dev.prism.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Lets a service drop a call whose answer a client does not read. Once an answer has been handed
 * to the transport, gRPC offers no way to close the call early: the serialized bytes wait for the
 * client's flow-control window for as long as the client keeps the connection. The call's own
 * cancellable context, cancelled with a deadline status, makes the server reset the HTTP/2 stream
 * and free those bytes. This interceptor, installed outermost, keeps that context where the
 * service can reach it.
 */
final class StreamReset implements ServerInterceptor {
    private static final Context.Key<Context.CancellableContext> CALL_CONTEXT = Context.key("prism-call-context");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        Context current = Context.current();
        if (current instanceof Context.CancellableContext cancellable) {
            return Contexts.interceptCall(current.withValue(CALL_CONTEXT, cancellable), call, headers, next);
        }
        return next.startCall(call, headers);
    }

    /**
     * A way to reset the current call's stream, or one that does nothing where the transport gives
     * no cancellable context. Must be taken on the thread that starts the call.
     */
    static Runnable forCurrentCall(String why) {
        Context.CancellableContext context = CALL_CONTEXT.get();
        if (context == null) {
            return () -> { };
        }
        return () -> context.cancel(Status.DEADLINE_EXCEEDED.withDescription(why).asRuntimeException());
    }
}
