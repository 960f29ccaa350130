package dev.prism.server;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.prism.api.v1.ErrorReason;
import dev.prism.error.FieldViolation;
import dev.prism.error.InternalFailure;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The one place where failures become gRPC statuses: the code follows from the {@link Reason}
 * alone, and every status carries {@code google.rpc.ErrorInfo} with that reason, plus
 * {@code BadRequest} field violations or {@code RetryInfo} where they apply. A failure nobody
 * expected is logged with an id, which the status carries instead of the exception's text
 * ({@link InternalFailure}).
 *
 * <p>A status travels in the trailers, which a client refuses beyond its metadata limit (8 KiB
 * by default in gRPC) with an error of its own in place of ours. So every status is bounded:
 * the message is cut to {@value #MAX_MESSAGE_BYTES} bytes, at most {@value #MAX_VIOLATIONS}
 * violations are listed (then one that says how many more there are), each of them cut, and
 * violations are dropped from the end until the message and details as sent take at most
 * {@value #MAX_TRAILER_BYTES} bytes.
 */
public final class StatusMapper {
    public static final String DOMAIN = "prism.dev";
    static final int MAX_MESSAGE_BYTES = 512;
    static final int MAX_VIOLATIONS = 20;
    static final int MAX_FIELD_BYTES = 128;
    static final int MAX_DESCRIPTION_BYTES = 256;
    /** grpc-message (percent-encoded) and grpc-status-details-bin (base64) together, well under 8 KiB. */
    static final int MAX_TRAILER_BYTES = 4096;
    /** Room for the note of what was cut: "… (+N characters)". */
    private static final int CUT_NOTE_BYTES = 32;
    private static final System.Logger LOG = System.getLogger(StatusMapper.class.getName());

    private StatusMapper() {}

    public static Code code(Reason reason) {
        return switch (reason) {
            case MODEL_NOT_FOUND -> Code.NOT_FOUND;
            case INVALID_TENSOR, INVALID_PARAMS, UNKNOWN_OUTPUT, BACKGROUND_REQUIRED, BUDGET_EXCEEDED, MALFORMED_REQUEST ->
                    Code.INVALID_ARGUMENT;
            case METHOD_UNSUPPORTED_FOR_MODEL, MODEL_OUTPUT_NOT_FINITE, MODEL_LOAD_FAILED -> Code.FAILED_PRECONDITION;
            case QUEUE_FULL, MEMORY_EXHAUSTED, SLOW_READER -> Code.RESOURCE_EXHAUSTED;
            case MODEL_EXECUTION_FAILED, INTERNAL_ERROR -> Code.INTERNAL;
            case SHUTTING_DOWN, BACKEND_UNAVAILABLE -> Code.UNAVAILABLE;
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
                .setMessage(cut(e.getMessage() == null ? e.reason().name() : e.getMessage(), MAX_MESSAGE_BYTES))
                .addDetails(Any.pack(errorInfo(e)));
        List<FieldViolation> violations = e.violations();
        int listed = Math.min(violations.size(), MAX_VIOLATIONS);
        while (true) {
            com.google.rpc.Status.Builder bounded = status.clone();
            if (!violations.isEmpty()) {
                bounded.addDetails(Any.pack(badRequest(violations, listed)));
            }
            if (e.retryAfter() != null) {
                bounded.addDetails(Any.pack(RetryInfo.newBuilder()
                        .setRetryDelay(Duration.newBuilder()
                                .setSeconds(e.retryAfter().getSeconds())
                                .setNanos(e.retryAfter().getNano()))
                        .build()));
            }
            if (listed == 0 || trailerBytes(bounded.build()) <= MAX_TRAILER_BYTES) {
                return StatusProto.toStatusRuntimeException(bounded.build());
            }
            listed--;
        }
    }

    private static ErrorInfo errorInfo(PrismException e) {
        ErrorInfo.Builder info = ErrorInfo.newBuilder()
                .setReason(ErrorReason.valueOf(e.reason().name()).name())
                .setDomain(DOMAIN);
        if (e.errorId() != null) {
            info.putMetadata(InternalFailure.ID_KEY, e.errorId());
        }
        return info.build();
    }

    /** The first {@code listed} violations, cut, and one more that counts those left out. */
    private static BadRequest badRequest(List<FieldViolation> violations, int listed) {
        BadRequest.Builder bad = BadRequest.newBuilder();
        for (FieldViolation v : violations.subList(0, listed)) {
            bad.addFieldViolations(BadRequest.FieldViolation.newBuilder()
                    .setField(cut(v.field(), MAX_FIELD_BYTES))
                    .setDescription(cut(v.description(), MAX_DESCRIPTION_BYTES)));
        }
        if (listed < violations.size()) {
            bad.addFieldViolations(BadRequest.FieldViolation.newBuilder()
                    .setDescription((violations.size() - listed) + " more violations are not listed"));
        }
        return bad.build();
    }

    /** What the status takes in the trailers: the message percent-encoded, the whole status in base64. */
    private static long trailerBytes(com.google.rpc.Status status) {
        long message = 0;
        for (byte b : status.getMessage().getBytes(StandardCharsets.UTF_8)) {
            // gRPC sends the bytes ' ' to '}' as they are, but '%'; every other byte as %XX.
            message += b >= ' ' && b < '~' && b != '%' ? 1 : 3;
        }
        return message + (status.getSerializedSize() + 2L) / 3 * 4;
    }

    /** The text in at most {@code maxBytes} bytes of UTF-8, ending in a note of how much was cut. */
    static String cut(String text, int maxBytes) {
        if (text.length() * 3L <= maxBytes || text.getBytes(StandardCharsets.UTF_8).length <= maxBytes) {
            return text;
        }
        int bytes = 0;
        int end = 0;
        while (end < text.length()) {
            int cp = text.codePointAt(end);
            int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + size > maxBytes - CUT_NOTE_BYTES) {
                break;
            }
            bytes += size;
            end += Character.charCount(cp);
        }
        return text.substring(0, end) + "… (+" + (text.length() - end) + " characters)";
    }

    private static PrismException unexpected(Throwable t) {
        return InternalFailure.logged(LOG, "unexpected failure", Reason.INTERNAL_ERROR, "internal error", t);
    }
}
