package dev.prism.error;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prism.api.v1.ErrorReason;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ReasonTest {
    @Test
    void everyReasonIsPublishedInTheApiAndBack() {
        Set<String> core = Arrays.stream(Reason.values()).map(Enum::name).collect(Collectors.toSet());
        Set<String> api = Arrays.stream(ErrorReason.values())
                .filter(r -> r != ErrorReason.ERROR_REASON_UNSPECIFIED && r != ErrorReason.UNRECOGNIZED)
                .map(Enum::name).collect(Collectors.toSet());
        assertEquals(api, core);
    }
}
