package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.model.ModelSignature;
import dev.prism.testing.FunctionModel;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The streaming side of StreamExplain, driven tick by tick instead of by the clock. */
class ProgressStreamTest {

    /** Records the ticker instead of running it. */
    static final class ManualTimer extends ScheduledThreadPoolExecutor {
        Runnable tick;
        long periodMillis;

        ManualTimer() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            tick = command;
            periodMillis = unit.toMillis(period);
            return super.schedule(() -> { }, 1, TimeUnit.DAYS);
        }
    }

    static final class RecordingCall extends ServerCallStreamObserver<ExplainEvent> {
        final List<ExplainEvent> sent = new ArrayList<>();
        boolean ready = true;
        boolean completed;

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
            throw new AssertionError("unexpected error", t);
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
        public void setOnReadyHandler(Runnable onReadyHandler) {}

        @Override
        public void request(int count) {}

        @Override
        public void setMessageCompression(boolean enable) {}

        @Override
        public void disableAutoInboundFlowControl() {}
    }

    private final ModelSignature signature = new FunctionModel(3, 2, x -> x).signature();

    @Test
    void ticksAtLeastEveryQuarterSecondAndSendsOnlyWhileTheClientKeepsUp() {
        ManualTimer timer = new ManualTimer();
        RecordingCall call = new RecordingCall();
        ProgressStream stream = new ProgressStream(call, signature, timer);
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

        // The end: a last progress and the result go out even to a client that is not ready.
        call.ready = false;
        stream.advance(600);
        stream.complete(ExplainResponse.newBuilder().setModel("m").build());
        assertEquals(5, call.sent.size());
        assertEquals(1000, call.sent.get(3).getProgress().getEvaluationsDone());
        assertEquals("m", call.sent.get(4).getResult().getModel());
        assertTrue(call.completed);

        timer.tick.run();
        stream.complete(ExplainResponse.getDefaultInstance());
        assertEquals(5, call.sent.size(), "nothing after the end");
        timer.shutdownNow();
    }
}
