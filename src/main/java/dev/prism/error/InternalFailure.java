package dev.prism.error;

import java.lang.System.Logger.Level;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An unexpected failure, logged once with its stack trace under a short random id. The client's
 * status carries the id in its message and in {@code ErrorInfo}'s metadata, never the exception's
 * text, which may hold what a client should not see (paths, values, the server's internals); an
 * operator finds the log entry by the id the client reports.
 */
public final class InternalFailure {
    /** The ErrorInfo metadata key of the id. */
    public static final String ID_KEY = "error_id";

    private InternalFailure() {}

    /**
     * Logs {@code where: message (error ID)} at ERROR with the failure's stack trace.
     *
     * @param message what failed, in words a client may read ("internal error", "the model failed")
     * @return the failure for the client: the reason, the message with the id, the failure as its cause
     */
    public static PrismException logged(System.Logger log, String where, Reason reason, String message,
                                        Throwable failure) {
        String id = newId();
        log.log(Level.ERROR, where + ": " + message + " (error " + id + ")", failure);
        return PrismException.withErrorId(reason, message + " (error " + id + "; the server's log has the details)",
                id, failure);
    }

    /** Eight hex digits: enough to find one log entry among a day's, short enough to read out. */
    static String newId() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    }
}
