package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.BadRequest;
import dev.prism.error.FieldViolation;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every status fits the trailers a client accepts, however much a failure has to say. */
class StatusMapperTest {
    private static final Metadata.Key<byte[]> DETAILS =
            Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER);

    private static List<FieldViolation> violations(int count, String field, String description) {
        List<FieldViolation> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new FieldViolation(field + "[" + i + "]", description));
        }
        return out;
    }

    /** Bytes on the wire: the message percent-encoded as gRPC sends it, the details in base64. */
    private static long trailerBytes(StatusRuntimeException e) {
        long message = 0;
        for (byte b : e.getStatus().getDescription().getBytes(StandardCharsets.UTF_8)) {
            message += b < ' ' || b >= '~' || b == '%' ? 3 : 1;
        }
        int details = e.getTrailers().get(DETAILS).length;
        return message + (details + 2) / 3 * 4;
    }

    private static BadRequest badRequest(StatusRuntimeException e) {
        return ServerTestSupport.detail(e, BadRequest.class).orElseThrow();
    }

    @Test
    void aSmallStatusIsUnchanged() {
        List<FieldViolation> three = violations(3, "outputs", "the model has no output 'x'");
        StatusRuntimeException e = StatusMapper.toStatus(PrismException.invalid(Reason.UNKNOWN_OUTPUT, three));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals("3 invalid fields; first outputs[0]: the model has no output 'x'", e.getStatus().getDescription());
        BadRequest bad = badRequest(e);
        assertEquals(3, bad.getFieldViolationsCount());
        for (int i = 0; i < 3; i++) {
            assertEquals("outputs[" + i + "]", bad.getFieldViolations(i).getField());
            assertEquals("the model has no output 'x'", bad.getFieldViolations(i).getDescription());
        }
    }

    @Test
    void twentyViolationsAreListedThenOneCountsTheRest() {
        StatusRuntimeException e = StatusMapper.toStatus(PrismException.invalid(Reason.UNKNOWN_OUTPUT,
                violations(25, "outputs", "unknown")));
        BadRequest bad = badRequest(e);
        assertEquals(StatusMapper.MAX_VIOLATIONS + 1, bad.getFieldViolationsCount());
        assertEquals("outputs[19]", bad.getFieldViolations(19).getField());
        assertEquals("", bad.getFieldViolations(20).getField());
        assertEquals("5 more violations are not listed", bad.getFieldViolations(20).getDescription());
        assertTrue(e.getStatus().getDescription().startsWith("25 invalid fields; first outputs[0]"));
    }

    @Test
    void hugeMessagesAndViolationsAreCutToFitTheTrailers() {
        // Two-, three- and four-byte characters, which gRPC percent-encodes byte by byte.
        String wide = "é€\uD83D\uDE00".repeat(20_000);
        PrismException huge = PrismException.invalid(Reason.INVALID_PARAMS, violations(5000, wide, wide));
        StatusRuntimeException e = StatusMapper.toStatus(huge);
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        String message = e.getStatus().getDescription();
        assertTrue(message.getBytes(StandardCharsets.UTF_8).length <= StatusMapper.MAX_MESSAGE_BYTES, message);
        assertTrue(message.startsWith("5000 invalid fields; first é€"), message);
        assertTrue(message.matches("(?s).*… \\(\\+\\d+ characters\\)"), message);
        assertTrue(trailerBytes(e) <= StatusMapper.MAX_TRAILER_BYTES, trailerBytes(e) + " bytes");
        BadRequest bad = badRequest(e);
        int listed = bad.getFieldViolationsCount() - 1;
        assertTrue(listed >= 1 && listed < StatusMapper.MAX_VIOLATIONS, listed + " listed");
        for (int i = 0; i < listed; i++) {
            BadRequest.FieldViolation v = bad.getFieldViolations(i);
            assertTrue(v.getField().getBytes(StandardCharsets.UTF_8).length <= StatusMapper.MAX_FIELD_BYTES);
            assertTrue(v.getDescription().getBytes(StandardCharsets.UTF_8).length
                    <= StatusMapper.MAX_DESCRIPTION_BYTES);
            assertTrue(v.getField().startsWith("é€\uD83D\uDE00"), v.getField());
        }
        assertEquals((5000 - listed) + " more violations are not listed",
                bad.getFieldViolations(listed).getDescription());
    }

    @Test
    void anUnexpectedFailureWithAHugeMessageSaysOnlyItsId() {
        StatusRuntimeException e = StatusMapper.toStatus(new IllegalStateException("x".repeat(2_000)));
        assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().matches(
                "internal error \\(error [0-9a-f]{8}; the server's log has the details\\)"),
                e.getStatus().getDescription());
        assertTrue(trailerBytes(e) <= StatusMapper.MAX_TRAILER_BYTES);
    }

    @Test
    void cutKeepsWholeCharactersWithinTheBytes() {
        assertEquals("short", StatusMapper.cut("short", 64));
        String cut = StatusMapper.cut("\uD83D\uDE00".repeat(100), 64);
        // 64 − 32 bytes of room: eight four-byte characters, then the note.
        assertEquals("\uD83D\uDE00".repeat(8) + "… (+184 characters)", cut);
    }
}
