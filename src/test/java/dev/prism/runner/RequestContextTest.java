package dev.prism.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RequestContextTest {

    /** A job with one listener of each kind, recording what ran. */
    private static RequestContext job(List<String> ran) {
        RequestContext context = new RequestContext();
        context.onCancel(() -> ran.add("cancel"));
        context.onEnd(() -> ran.add("end"));
        return context;
    }

    @Test
    void aReleaseEndsTheJobWithoutCancellingIt() {
        List<String> ran = new ArrayList<>();
        RequestContext context = job(ran);
        context.release();
        assertEquals(List.of("end"), ran);
        assertFalse(context.isCancelled());
        assertNull(context.cancelReason());
        assertEquals(-1, context.nanosSinceCancel());
        context.throwIfCancelled();
    }

    @Test
    void aCancellationAfterTheReleaseChangesNothing() {
        List<String> ran = new ArrayList<>();
        RequestContext context = job(ran);
        context.release();
        context.cancel(Reason.DEADLINE_EXCEEDED);
        context.release();
        assertEquals(List.of("end"), ran, "each listener ran at most once");
        assertFalse(context.isCancelled());
        context.throwIfCancelled();
    }

    @Test
    void aCancellationRunsTheCancelListenersThenTheEndListenersOnce() {
        List<String> ran = new ArrayList<>();
        RequestContext context = job(ran);
        context.onCancel(() -> ran.add("cancel 2"));
        context.cancel(Reason.DEADLINE_EXCEEDED);
        context.cancel(Reason.CANCELLED);
        context.release();
        assertEquals(List.of("cancel", "cancel 2", "end"), ran);
        assertEquals(Reason.DEADLINE_EXCEEDED, context.cancelReason(), "the first reason stays");
        assertTrue(context.nanosSinceCancel() >= 0);
        PrismException e = assertThrows(PrismException.class, context::throwIfCancelled);
        assertEquals(Reason.DEADLINE_EXCEEDED, e.reason());
    }

    @Test
    void listenersAddedAfterTheEndRunAtOnceWhenTheyApply() {
        List<String> ran = new ArrayList<>();
        RequestContext released = new RequestContext();
        released.release();
        released.onCancel(() -> ran.add("cancel of the released"));
        released.onEnd(() -> ran.add("end of the released"));
        RequestContext cancelled = new RequestContext();
        cancelled.cancel(Reason.CANCELLED);
        cancelled.onCancel(() -> ran.add("cancel of the cancelled"));
        cancelled.onEnd(() -> ran.add("end of the cancelled"));
        assertEquals(List.of("end of the released", "cancel of the cancelled", "end of the cancelled"), ran);
    }

    @Test
    void onlyTheClientTheDeadlineOrTheShutdownCancel() {
        RequestContext context = new RequestContext();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> context.cancel(Reason.QUEUE_FULL));
        assertEquals("QUEUE_FULL is not a reason to cancel a request", e.getMessage());
        assertFalse(context.isCancelled());
        context.cancel(Reason.SHUTTING_DOWN);
        assertEquals(Reason.SHUTTING_DOWN, context.cancelReason());
    }

    /** The job's words serve a prediction as well as an explanation. */
    @ParameterizedTest
    @EnumSource(value = Reason.class, names = {"CANCELLED", "DEADLINE_EXCEEDED", "SHUTTING_DOWN"})
    void aCancellationSpeaksOfTheRequest(Reason reason) {
        PrismException e = RequestContext.cancelledException(reason);
        assertEquals(reason, e.reason());
        assertFalse(e.getMessage().contains("explanation"), e.getMessage());
    }
}
