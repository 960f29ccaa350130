package dev.prism.http;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import java.time.Duration;
import java.util.Optional;

/**
 * The one place where a gRPC status becomes an HTTP status. FAILED_PRECONDITION (a method the model
 * cannot serve, a model output that is not finite) is 400, as in Google's HTTP mapping: 412 is for
 * HTTP's own conditional headers. A client that went away is 499, as nginx logs it.
 */
final class HttpStatuses {
    static final int CLIENT_CLOSED = 499;

    private HttpStatuses() {}

    static int http(int grpcCode) {
        Code code = Code.forNumber(grpcCode);
        if (code == null) {
            return 500;
        }
        return switch (code) {
            case OK -> 200;
            case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
            case UNAUTHENTICATED -> 401;
            case PERMISSION_DENIED -> 403;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, ABORTED -> 409;
            case RESOURCE_EXHAUSTED -> 429;
            case CANCELLED -> CLIENT_CLOSED;
            case UNIMPLEMENTED -> 501;
            case UNAVAILABLE -> 503;
            case DEADLINE_EXCEEDED -> 504;
            case INTERNAL, UNKNOWN, DATA_LOSS, UNRECOGNIZED -> 500;
        };
    }

    /** The status's RetryInfo delay, for a Retry-After header: whole seconds, rounded up. */
    static Optional<Long> retryAfterSeconds(com.google.rpc.Status status) {
        for (Any detail : status.getDetailsList()) {
            if (detail.is(RetryInfo.class)) {
                try {
                    com.google.protobuf.Duration d = detail.unpack(RetryInfo.class).getRetryDelay();
                    Duration delay = Duration.ofSeconds(d.getSeconds(), d.getNanos());
                    long seconds = delay.getSeconds() + (delay.getNano() > 0 ? 1 : 0);
                    return Optional.of(Math.max(0, seconds));
                } catch (InvalidProtocolBufferException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }
}
