package dev.prism.server;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.prism.api.v1.ErrorReason;
import dev.prism.error.FieldViolation;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.lang.System.Logger.Level;

/**
 * The one place where failures become gRPC statuses: the code follows from the {@link Reason}
 * alone, and every status carries {@code google.rpc.ErrorInfo} with that reason, plus
 * {@code BadRequest} field violations or {@code RetryInfo} where they apply.
 */
public final class StatusMapper {
    public static final String DOMAIN = "prism.dev";
    private static final System.Logger LOG = System.getLogger(StatusMapper.class.getName());

    private StatusMapper() {}

    public static Code code(Reason reason) {
        return switch (reason) {
            case MODEL_NOT_FOUND -> Code.NOT_FOUND;
            case INVALID_TENSOR, INVALID_PARAMS, UNKNOWN_OUTPUT, BACKGROUND_REQUIRED, BUDGET_EXCEEDED, MALFORMED_REQUEST ->
                    Code.INVALID_ARGUMENT;
            case METHOD_UNSUPPORTED_FOR_MODEL, MODEL_OUTPUT_NOT_FINITE -> Code.FAILED_PRECONDITION;
            case QUEUE_FULL, MEMORY_EXHAUSTED, SLOW_READER -> Code.RESOURCE_EXHAUSTED;
            case MODEL_EXECUTION_FAILED, INTERNAL_ERROR -> Code.INTERNAL;
            case SHUTTING_DOWN -> Code.UNAVAILABLE;
            case CANCELLED -> Code.CANCELLED;
            case DEADLINE_EXCEEDED -> Code.DEADLINE_EXCEEDED;
            case UNAUTHENTICATED -> Code.UNAUTHENTICATED;
            case PERMISSION_DENIED -> Code.PERMISSION_DENIED;
        };
    }

    /** Any throwable from a call, as the status the client gets. */
    public static StatusRuntimeException toStatus(Throwable t) {
        PrismException e = t instanceof PrismException p ? p : unexpected(t);
        com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
                .setCode(code(e.reason()).getNumber())
                .setMessage(e.getMessage() == null ? e.reason().name() : e.getMessage())
                .addDetails(Any.pack(ErrorInfo.newBuilder()
                        .setReason(ErrorReason.valueOf(e.reason().name()).name())
                        .setDomain(DOMAIN)
                        .build()));
        if (!e.violations().isEmpty()) {
            BadRequest.Builder bad = BadRequest.newBuilder();
            for (FieldViolation v : e.violations()) {
                bad.addFieldViolations(BadRequest.FieldViolation.newBuilder()
                        .setField(v.field()).setDescription(v.description()));
            }
            status.addDetails(Any.pack(bad.build()));
        }
        if (e.retryAfter() != null) {
            status.addDetails(Any.pack(RetryInfo.newBuilder()
                    .setRetryDelay(Duration.newBuilder()
                            .setSeconds(e.retryAfter().getSeconds())
                            .setNanos(e.retryAfter().getNano()))
                    .build()));
        }
        return StatusProto.toStatusRuntimeException(status.build());
    }

    private static PrismException unexpected(Throwable t) {
        LOG.log(Level.ERROR, "unexpected failure", t);
        return new PrismException(Reason.INTERNAL_ERROR, "internal error: " + t, t);
    }
}
