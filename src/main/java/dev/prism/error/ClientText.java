package dev.prism.error;

/**
 * A client's string as an error message echoes it: quoted, and cut to {@value #MAX_CHARS}
 * characters with a note of how many were left out, so that a huge name cannot swell a status
 * past what a client accepts (gRPC's default metadata limit is 8 KiB).
 */
public final class ClientText {
    /** The most characters of a client's string an error message repeats. */
    public static final int MAX_CHARS = 64;

    private ClientText() {}

    /** {@code 'value'}, or {@code 'first 64 characters…' (+N characters)} when longer. */
    public static String quote(String value) {
        if (value.length() <= MAX_CHARS) {
            return "'" + value + "'";
        }
        int end = MAX_CHARS;
        // Never split a surrogate pair.
        if (Character.isHighSurrogate(value.charAt(end - 1))) {
            end--;
        }
        return "'" + value.substring(0, end) + "…' (+" + (value.length() - end) + " characters)";
    }
}
