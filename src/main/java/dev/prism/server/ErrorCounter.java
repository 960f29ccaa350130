package dev.prism.server;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.prism.error.Reason;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/**
 * Counts the calls that end with one of Prism's errors, by the reason of their {@code ErrorInfo}
 * ({@code prism_errors_total{reason}}), as the client receives them: refusals (a queue, memory, a
 * slow reader, a token), bad requests and failures alike. The reasons are known up front, so every
 * counter exists from the start at zero and the first error of a kind shows as an increase. A
 * status without Prism's ErrorInfo (one the transport gave) is left to the gRPC meters.
 */
final class ErrorCounter implements ServerInterceptor {
    private final Map<Reason, Counter> byReason = new EnumMap<>(Reason.class);

    ErrorCounter(MeterRegistry registry) {
        for (Reason r : Reason.values()) {
            byReason.put(r, Counter.builder("prism.errors")
                    .description("Model and explain calls that ended with an error, by the reason in its ErrorInfo")
                    .tag("reason", r.name())
                    .register(registry));
        }
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                      ServerCallHandler<Q, A> next) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                if (!status.isOk()) {
                    count(status, trailers);
                }
                super.close(status, trailers);
            }
        }, headers);
    }

    private void count(Status status, Metadata trailers) {
        com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(status, trailers);
        for (Any detail : details.getDetailsList()) {
            if (!detail.is(ErrorInfo.class)) {
                continue;
            }
            try {
                ErrorInfo info = detail.unpack(ErrorInfo.class);
                if (info.getDomain().equals(StatusMapper.DOMAIN)) {
                    byReason.get(Reason.valueOf(info.getReason())).increment();
                }
            } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
                // Not one of ours after all: the gRPC meters count it by code.
            }
            return;
        }
    }
}
