package dev.prism.server;

import dev.prism.api.v1.Estimate;
import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Progress;
import dev.prism.explain.ProgressSink;
import dev.prism.model.ModelSignature;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The server side of one StreamExplain call. The explainer writes progress here; a ticker sends
 * the latest state every {@link #INTERVAL_MILLIS} ms while the client keeps up ({@code isReady}),
 * so a slow reader gets coalesced snapshots rather than a growing buffer. The final result and
 * errors always go out, once.
 */
final class ProgressStream implements ProgressSink {
    static final long INTERVAL_MILLIS = 200;

    private final ServerCallStreamObserver<ExplainEvent> call;
    private final ModelSignature signature;
    private final long startNanos = System.nanoTime();
    private final ScheduledFuture<?> ticker;
    private long total;
    private long done;
    private final Map<Long, Estimate> changed = new LinkedHashMap<>();
    private boolean closed;

    ProgressStream(ServerCallStreamObserver<ExplainEvent> call, ModelSignature signature,
                   ScheduledExecutorService timer) {
        this.call = call;
        this.signature = signature;
        this.ticker = timer.scheduleAtFixedRate(this::tick, INTERVAL_MILLIS, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void total(long evaluations) {
        total = evaluations;
    }

    @Override
    public synchronized void advance(long evaluations) {
        done += evaluations;
    }

    @Override
    public synchronized void estimate(int instance, int output, double[] attributions, double[] standardErrors) {
        changed.put(((long) instance << 32) | output,
                ExplanationCodec.estimate(signature, instance, output, attributions, standardErrors));
    }

    private synchronized void tick() {
        if (closed || call.isCancelled() || !call.isReady()) {
            return;
        }
        send(ExplainEvent.newBuilder().setProgress(snapshot()).build());
    }

    private Progress snapshot() {
        Progress p = Progress.newBuilder()
                .setEvaluationsDone(done)
                .setEvaluationsTotal(Math.max(total, done))
                .setElapsedSeconds((System.nanoTime() - startNanos) / 1e9)
                .addAllEstimates(List.copyOf(changed.values()))
                .build();
        changed.clear();
        return p;
    }

    /** Sends a last progress event (100%) and the result, then completes the call. */
    synchronized void complete(ExplainResponse response) {
        if (!stop()) {
            return;
        }
        send(ExplainEvent.newBuilder().setProgress(snapshot()).build());
        send(ExplainEvent.newBuilder().setResult(response).build());
        if (!call.isCancelled()) {
            call.onCompleted();
        }
    }

    synchronized void fail(StatusRuntimeException status) {
        if (stop() && !call.isCancelled()) {
            call.onError(status);
        }
    }

    private boolean stop() {
        ticker.cancel(false);
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    private void send(ExplainEvent event) {
        if (!call.isCancelled()) {
            call.onNext(event);
        }
    }
}
