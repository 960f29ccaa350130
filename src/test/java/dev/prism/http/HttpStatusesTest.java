package dev.prism.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The gRPC codes as HTTP statuses, and RetryInfo as Retry-After. */
class HttpStatusesTest {
    @Test
    void everyCodeHasItsHttpStatus() {
        Map<Code, Integer> expected = Map.ofEntries(Map.entry(Code.OK, 200), Map.entry(Code.INVALID_ARGUMENT, 400),
                Map.entry(Code.FAILED_PRECONDITION, 400), Map.entry(Code.OUT_OF_RANGE, 400),
                Map.entry(Code.UNAUTHENTICATED, 401), Map.entry(Code.PERMISSION_DENIED, 403),
                Map.entry(Code.NOT_FOUND, 404), Map.entry(Code.ALREADY_EXISTS, 409), Map.entry(Code.ABORTED, 409),
                Map.entry(Code.RESOURCE_EXHAUSTED, 429), Map.entry(Code.CANCELLED, 499),
                Map.entry(Code.UNIMPLEMENTED, 501), Map.entry(Code.UNAVAILABLE, 503),
                Map.entry(Code.DEADLINE_EXCEEDED, 504), Map.entry(Code.INTERNAL, 500), Map.entry(Code.UNKNOWN, 500),
                Map.entry(Code.DATA_LOSS, 500));
        for (Code c : Code.values()) {
            if (c != Code.UNRECOGNIZED) {
                assertEquals(expected.get(c), HttpStatuses.http(c.getNumber()), c.name());
            }
        }
        assertEquals(500, HttpStatuses.http(99));
    }

    @Test
    void retryInfoIsRetryAfterInWholeSecondsRoundedUp() {
        assertEquals(Optional.of(3L), HttpStatuses.retryAfterSeconds(status(Duration.newBuilder().setSeconds(2)
                .setNanos(1).build())));
        assertEquals(Optional.of(2L), HttpStatuses.retryAfterSeconds(status(Duration.newBuilder().setSeconds(2)
                .build())));
        assertEquals(Optional.empty(), HttpStatuses.retryAfterSeconds(com.google.rpc.Status.newBuilder()
                .setCode(Code.UNAVAILABLE_VALUE).addDetails(Any.pack(ErrorInfo.getDefaultInstance())).build()));
    }

    private static com.google.rpc.Status status(Duration delay) {
        return com.google.rpc.Status.newBuilder().setCode(Code.RESOURCE_EXHAUSTED_VALUE)
                .addDetails(Any.pack(ErrorInfo.getDefaultInstance()))
                .addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(delay).build())).build();
    }
}
