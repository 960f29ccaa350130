package dev.prism.server;

import dev.prism.metrics.CancelledRequests;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Opens each call's {@link AnswerChannel} with the server's timer, answer writers and stall limit,
 * and counts its request if it is cancelled.
 */
final class AnswerChannels {
    private final ScheduledExecutorService timer;
    private final Executor writer;
    private final Duration stall;
    private final CancelledRequests cancelled;

    AnswerChannels(ScheduledExecutorService timer, Executor writer, Duration stall, CancelledRequests cancelled) {
        this.timer = timer;
        this.writer = writer;
        this.stall = stall;
        this.cancelled = cancelled;
    }

    /** The channel of the call being started; must run on the thread that starts it. */
    <T> AnswerChannel<T> open(StreamObserver<T> observer) {
        AnswerChannel<T> channel = new AnswerChannel<>((ServerCallStreamObserver<T>) observer, timer, writer, stall);
        cancelled.watch(channel.context());
        return channel;
    }

    /** The timer progress ticks and stall checks run on. */
    ScheduledExecutorService timer() {
        return timer;
    }
}
