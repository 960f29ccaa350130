package dev.prism.server;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Exception;
import java.util.logging.Logger;

/**
 * Lets a service drop a call whose answer a client does not read. Once an answer has been handed
 * to the transport, gRPC offers no way to close the call early: the serialized bytes wait for the
 * client's flow-control window for as long as the client keeps the connection. The server resets
 * a call's HTTP/2 stream (and frees those bytes) when the call's context is cancelled with a
 * deadline status. This tracer gives every call's context a cancellable parent that the service
 * can reach, so that cancelling it does just that; the call's own context stays the transport's.
 */
final class StreamReset extends ServerStreamTracer.Factory {
    private static final Context.Key<Context.CancellableContext> RESETTABLE = Context.key("prism-resettable-call");
    /**
     * The transport logs a warning with a stack trace for every write a reset stream drops, which
     * is what a reset is for (and what a client's own cancellation does too). Held here so that
     * the logger, and the filter on it, live as long as the class.
     */
    private static final Logger TRANSPORT_LOG = Logger.getLogger(
            "io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler");

    static {
        TRANSPORT_LOG.setFilter(record -> !(record.getThrown() instanceof Http2Exception.StreamException e
                && e.getMessage() != null && e.getMessage().startsWith("Stream closed before write")));
    }

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        return new ServerStreamTracer() {
            @Override
            public Context filterContext(Context context) {
                Context.CancellableContext resettable = context.withCancellation();
                return resettable.withValue(RESETTABLE, resettable);
            }
        };
    }

    /**
     * A way to reset the current call's stream, or one that does nothing where the server was built
     * without this tracer. Must be taken on a thread running the call.
     */
    static Runnable forCurrentCall(String why) {
        Context.CancellableContext resettable = RESETTABLE.get();
        if (resettable == null) {
            return () -> { };
        }
        return () -> resettable.cancel(Status.DEADLINE_EXCEEDED.withDescription(why).asRuntimeException());
    }
}
