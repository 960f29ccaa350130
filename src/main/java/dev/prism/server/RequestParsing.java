package dev.prism.server;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import io.grpc.BindableService;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.lang.System.Logger.Level;

/**
 * Parses request messages inside the call, so that bytes which are not a valid request (truncated,
 * a bad wire type, invalid UTF-8 in a string, nesting past protobuf's recursion limit) end as
 * INVALID_ARGUMENT with reason MALFORMED_REQUEST and one log line.
 *
 * <p>Left to gRPC, the transport parses the request before any listener of ours runs: the parse
 * failure escapes the call as an "application error", the client gets UNKNOWN, and gRPC's executor
 * logs the whole stack trace, for every such call. Here the served definition takes the request
 * bytes as they come ({@link #AS_IS}); the service's own parsing then happens in
 * {@code onMessage}, inside this interceptor's listener, which turns the failure into a status.
 * Responses pass through untouched: the protobuf stream still writes itself to the transport.
 *
 * <p>gRPC never runs two callbacks of one call at once, so the listener's state needs no lock.
 */
final class RequestParsing implements ServerInterceptor {
    private static final System.Logger LOG = System.getLogger(RequestParsing.class.getName());

    /** Messages as the transport gives them, and responses as the service's marshaller streams them. */
    private static final MethodDescriptor.Marshaller<InputStream> AS_IS = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
            return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
            return stream;
        }
    };

    private RequestParsing() {}

    /** The service, its requests parsed where a malformed one gets a clear status. */
    static ServerServiceDefinition parsedInCall(BindableService service) {
        return parsedInCall(service.bindService());
    }

    /** The served definition, its requests parsed where a malformed one gets a clear status. */
    static ServerServiceDefinition parsedInCall(ServerServiceDefinition definition) {
        return ServerInterceptors.intercept(ServerInterceptors.useMarshalledMessages(definition, AS_IS),
                new RequestParsing());
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                      ServerCallHandler<Q, A> next) {
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                if (refused) {
                    return;
                }
                try {
                    super.onMessage(message);
                } catch (RuntimeException e) {
                    InvalidProtocolBufferException malformed = malformed(e);
                    if (malformed == null) {
                        throw e;
                    }
                    refused = true;
                    String method = call.getMethodDescriptor().getFullMethodName();
                    LOG.log(Level.WARNING, "refused a malformed " + method + " request: " + malformed.getMessage());
                    StatusRuntimeException status = StatusMapper.toStatus(new PrismException(Reason.MALFORMED_REQUEST,
                            "the request is not a valid " + method + " request message: " + malformed.getMessage()));
                    call.close(status.getStatus(), status.getTrailers());
                }
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    super.onHalfClose();
                }
            }

            @Override
            public void onReady() {
                if (!refused) {
                    super.onReady();
                }
            }
        };
    }

    /** The protobuf parse failure behind an exception, or null when it has none. */
    private static InvalidProtocolBufferException malformed(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof InvalidProtocolBufferException e) {
                return e;
            }
        }
        return null;
    }
}
