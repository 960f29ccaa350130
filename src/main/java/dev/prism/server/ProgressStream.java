package dev.prism.server;

import dev.prism.api.v1.Estimate;
import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Progress;
import dev.prism.explain.ProgressSink;
import dev.prism.model.ModelSignature;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The progress side of one StreamExplain call. The explainer writes progress here; once the
 * explanation has {@linkplain #start() started} (a call still waiting for a thread gets nothing), a
 * ticker sends the state of that moment every {@link #INTERVAL_MILLIS} ms, and only while the
 * client has read what came before ({@code isReady}): a slow reader gets the latest snapshot when
 * it catches up, never a backlog. Estimates that changed since the last event go out at most
 * {@link #MAX_ESTIMATE_VALUES} values per event, the rest in later ones, so one event stays small.
 * The final result goes through the call's {@link AnswerChannel}, which waits for the reader within
 * the stall limit.
 *
 * <p>Locking: this object's monitor guards the counters and estimates; sending takes the channel's.
 */
final class ProgressStream implements ProgressSink {
    static final long INTERVAL_MILLIS = 200;
    /** Attribution values (each with its standard error) per progress event at most. */
    static final int MAX_ESTIMATE_VALUES = 1 << 15;

    private final AnswerChannel<ExplainEvent> channel;
    private final ModelSignature signature;
    private final ScheduledExecutorService timer;
    /** When the call was admitted: elapsed time counts from here, as the response's does. */
    private final long startNanos = System.nanoTime();
    private ScheduledFuture<?> ticker;
    private long total;
    private long done;
    private final Map<Long, Estimate> changed = new LinkedHashMap<>();
    private boolean stopped;

    ProgressStream(AnswerChannel<ExplainEvent> channel, ModelSignature signature, ScheduledExecutorService timer) {
        this.channel = channel;
        this.signature = signature;
        this.timer = timer;
    }

    /** The explanation is running: progress goes out from now on. */
    synchronized void start() {
        if (stopped || ticker != null) {
            return;
        }
        ticker = timer.scheduleWithFixedDelay(this::tick, INTERVAL_MILLIS, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
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

    private void tick() {
        try {
            synchronized (channel) {
                if (!channel.readyForProgress()) {
                    return;
                }
                ExplainEvent event;
                synchronized (this) {
                    if (stopped) {
                        return;
                    }
                    event = ExplainEvent.newBuilder().setProgress(snapshot()).build();
                }
                channel.sendProgress(event);
            }
        } catch (Throwable t) {
            // A failed tick must not end the ticker, nor reach the timer thread shared by every call.
            System.getLogger(ProgressStream.class.getName()).log(System.Logger.Level.WARNING,
                    "a progress event could not be sent: " + t);
        }
    }

    /** The state of this moment, with the estimates that changed (up to the per-event bound). */
    private Progress snapshot() {
        List<Estimate> estimates = new ArrayList<>();
        int values = 0;
        for (Iterator<Estimate> it = changed.values().iterator(); it.hasNext(); ) {
            Estimate e = it.next();
            if (values > 0 && values + e.getAttributionsCount() > MAX_ESTIMATE_VALUES) {
                break;
            }
            estimates.add(e);
            values += e.getAttributionsCount();
            it.remove();
        }
        return Progress.newBuilder()
                .setEvaluationsDone(done)
                .setEvaluationsTotal(Math.max(total, done))
                .setElapsedSeconds((System.nanoTime() - startNanos) / 1e9)
                .addAllEstimates(estimates)
                .build();
    }

    /**
     * Sends a last progress event (100%, with the estimates that changed since the last event, up to
     * the per-event bound) and the result, then completes.
     */
    void complete(ExplainResponse response) {
        Progress last;
        synchronized (this) {
            if (!stop()) {
                return;
            }
            last = snapshot();
            changed.clear();
        }
        channel.finish(List.of(ExplainEvent.newBuilder().setProgress(last).build(),
                ExplainEvent.newBuilder().setResult(response).build()));
    }

    void fail(StatusRuntimeException status) {
        synchronized (this) {
            if (!stop()) {
                return;
            }
        }
        channel.fail(status);
    }

    private boolean stop() {
        if (ticker != null) {
            ticker.cancel(false);
        }
        if (stopped) {
            return false;
        }
        stopped = true;
        return true;
    }
}
