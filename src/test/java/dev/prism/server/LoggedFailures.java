package dev.prism.server;

import static dev.prism.server.ServerTestSupport.errorInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.error.InternalFailure;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's log while a test runs, to find the entry of an internal failure by the id its
 * client got. Closing it stops the recording.
 */
final class LoggedFailures implements AutoCloseable {
    private static final Pattern ID = Pattern.compile("\\(error ([0-9a-f]{8}); the server's log has the details\\)$");

    private final List<LogRecord> records = Collections.synchronizedList(new ArrayList<>());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    LoggedFailures() {
        capture.setLevel(Level.ALL);
        Logger.getLogger("").addHandler(capture);
    }

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(capture);
    }

    /**
     * The status is INTERNAL, says only what failed and the id (no exception's name or text), and
     * ErrorInfo carries the same id.
     *
     * @param what the message before the id, with its trailing space ("the model failed ")
     */
    static String idOf(StatusRuntimeException e, String what) {
        assertEquals(Status.Code.INTERNAL, e.getStatus().getCode(), e.getStatus()::toString);
        String message = e.getStatus().getDescription();
        assertFalse(message.contains("secret") || message.contains("Exception") || message.contains("Error"),
                message);
        Matcher m = ID.matcher(message);
        assertTrue(m.find() && message.equals(what + m.group()), message);
        assertEquals(m.group(1), errorInfo(e).getMetadataOrThrow(InternalFailure.ID_KEY));
        return m.group(1);
    }

    /** The one ERROR record of the logger that names the id; it carries the failure, so its stack trace is printed. */
    LogRecord logged(Class<?> logger, String id) {
        List<LogRecord> withId;
        synchronized (records) {
            withId = records.stream().filter(r -> r.getMessage().contains("(error " + id + ")")).toList();
        }
        assertEquals(1, withId.size(), () -> "records naming " + id + ": " + withId);
        LogRecord r = withId.get(0);
        assertEquals(logger.getName(), r.getLoggerName());
        assertEquals(Level.SEVERE, r.getLevel());
        return r;
    }
}
