package dev.prism.error;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ClientTextTest {
    @Test
    void shortStringsAreQuotedWhole() {
        assertEquals("'iris'", ClientText.quote("iris"));
        assertEquals("''", ClientText.quote(""));
        String max = "m".repeat(ClientText.MAX_CHARS);
        assertEquals("'" + max + "'", ClientText.quote(max));
    }

    @Test
    void longStringsKeepTheirStartAndSayHowMuchWasCut() {
        String name = "n".repeat(12_288);
        assertEquals("'" + "n".repeat(64) + "…' (+12224 characters)", ClientText.quote(name));
        assertEquals("'" + "x".repeat(64) + "…' (+1 characters)", ClientText.quote("x".repeat(65)));
    }

    @Test
    void aSurrogatePairIsNeverSplit() {
        // 63 characters, then U+1F600 as two chars (the 64th and 65th), then more.
        String name = "a".repeat(63) + "\uD83D\uDE00" + "b".repeat(10);
        assertEquals("'" + "a".repeat(63) + "…' (+12 characters)", ClientText.quote(name));
    }
}
