package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.model.ModelSignature;
import dev.prism.testing.FunctionModel;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The streaming side of StreamExplain, driven tick by tick instead of by the clock. */
class ProgressStreamTest {

    /** Records the ticker and the one-shot checks instead of running them. */
    static final class ManualTimer extends ScheduledThreadPoolExecutor {
        Runnable tick;
        long periodMillis;
        final List<Runnable> checks = new ArrayList<>();

        ManualTimer() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay,
                                                         TimeUnit unit) {
            tick = command;
            periodMillis = unit.toMillis(delay);
            return super.schedule(() -> { }, 1, TimeUnit.DAYS);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            checks.add(command);
            return super.schedule(() -> { }, 1, TimeUnit.DAYS);
        }

        /** Runs the checks scheduled so far, as if their time had come. */
        void runChecks() {
            List<Runnable> due = new ArrayList<>(checks);
            checks.clear();
            due.forEach(Runnable::run);
        }
    }

    static final class RecordingCall extends ServerCallStreamObserver<ExplainEvent> {
        final List<ExplainEvent> sent = new ArrayList<>();
        boolean ready = true;
        boolean completed;
        Throwable error;
        Runnable onReady;

        @Override
        public boolean isReady() {
            return ready;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public void onNext(ExplainEvent value) {
            sent.add(value);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
        }

        @Override
        public void onCompleted() {
            completed = true;
        }

        @Override
        public void setOnCancelHandler(Runnable onCancelHandler) {}

        @Override
        public void setCompression(String compression) {}

        @Override
        public void setOnReadyHandler(Runnable onReadyHandler) {
            onReady = onReadyHandler;
        }

        @Override
        public void setOnCloseHandler(Runnable onCloseHandler) {}

        /** The client has read what was sent. */
        void drained() {
            ready = true;
            onReady.run();
        }

        @Override
        public void request(int count) {}

        @Override
        public void setMessageCompression(boolean enable) {}

        @Override
        public void disableAutoInboundFlowControl() {}
    }

    private final ModelSignature signature = new FunctionModel(3, 2, x -> x).signature();

    private static final Duration STALL = Duration.ofSeconds(30);

    @Test
    void ticksAtLeastEveryQuarterSecondAndSendsOnlyWhileTheClientKeepsUp() {
        ManualTimer timer = new ManualTimer();
        RecordingCall call = new RecordingCall();
        ProgressStream stream = new ProgressStream(new AnswerChannel<>(call, timer, Runnable::run, STALL), signature, timer);
        assertNull(timer.tick, "nothing is sent while the call waits for a thread");
        stream.start();
        assertTrue(timer.periodMillis > 0 && timer.periodMillis <= 250, "period " + timer.periodMillis);

        stream.total(1000);
        stream.advance(100);
        stream.estimate(0, 1, new double[] {1, 2, 3}, new double[] {0.1, 0.2, 0.3});
        timer.tick.run();
        assertEquals(1, call.sent.size());
        assertEquals(100, call.sent.get(0).getProgress().getEvaluationsDone());
        assertEquals(1000, call.sent.get(0).getProgress().getEvaluationsTotal());
        assertEquals("y1", call.sent.get(0).getProgress().getEstimates(0).getOutput());

        // A client that does not read gets nothing more; what changed meanwhile is kept, not queued.
        call.ready = false;
        stream.advance(300);
        stream.estimate(0, 1, new double[] {4, 5, 6}, new double[] {0.1, 0.1, 0.1});
        stream.estimate(0, 1, new double[] {7, 8, 9}, new double[] {0.1, 0.1, 0.1});
        timer.tick.run();
        timer.tick.run();
        assertEquals(1, call.sent.size());

        call.ready = true;
        timer.tick.run();
        assertEquals(2, call.sent.size());
        assertEquals(400, call.sent.get(1).getProgress().getEvaluationsDone());
        assertEquals(1, call.sent.get(1).getProgress().getEstimatesCount(), "only the latest estimate");
        assertEquals(7, call.sent.get(1).getProgress().getEstimates(0).getAttributions(0));

        timer.tick.run();
        assertEquals(0, call.sent.get(2).getProgress().getEstimatesCount(), "unchanged estimates are not resent");

        // The end: a last progress and the result wait for a client that is not ready, and go out
        // once it has read what came before.
        call.ready = false;
        stream.advance(600);
        stream.complete(ExplainResponse.newBuilder().setModel("m").build());
        assertEquals(3, call.sent.size(), "the answer waits for the reader");
        assertFalse(call.completed);
        call.drained();
        assertEquals(5, call.sent.size());
        assertEquals(1000, call.sent.get(3).getProgress().getEvaluationsDone());
        assertEquals("m", call.sent.get(4).getResult().getModel());
        assertTrue(call.completed);

        timer.tick.run();
        stream.complete(ExplainResponse.getDefaultInstance());
        assertEquals(5, call.sent.size(), "nothing after the end");
        timer.shutdownNow();
    }

    @Test
    void anAnswerNobodyReadsIsDroppedAfterTheStallLimit() {
        ManualTimer timer = new ManualTimer();
        RecordingCall call = new RecordingCall();
        AnswerChannel<ExplainEvent> channel = new AnswerChannel<>(call, timer, Runnable::run, STALL);
        MemoryBudget budget = new MemoryBudget(1000, new SimpleMeterRegistry());
        channel.hold(budget.reserve(600, "a test answer"));
        ProgressStream stream = new ProgressStream(channel, signature, timer);
        stream.start();
        call.ready = false;
        stream.complete(ExplainResponse.newBuilder().setModel("m").build());
        channel.workEnded();
        assertEquals(0, call.sent.size());
        assertEquals(600, budget.reserved(), "the waiting answer holds its memory");

        timer.runChecks(); // the stall limit has passed
        assertEquals(0, call.sent.size(), "the answer is dropped, not sent");
        assertEquals(0, budget.reserved(), "and its memory given back");
        Status status = Status.fromThrowable(call.error);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode());
        assertTrue(status.getDescription().contains("read nothing"), status.getDescription());

        call.drained();
        assertEquals(0, call.sent.size(), "nothing after the end");
        timer.shutdownNow();
    }
}
