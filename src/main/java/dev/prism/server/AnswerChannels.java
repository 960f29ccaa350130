package dev.prism.server;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/** Opens each call's {@link AnswerChannel} with the server's timer, answer writers and stall limit. */
final class AnswerChannels {
    private final ScheduledExecutorService timer;
    private final Executor writer;
    private final Duration stall;

    AnswerChannels(ScheduledExecutorService timer, Executor writer, Duration stall) {
        this.timer = timer;
        this.writer = writer;
        this.stall = stall;
    }

    /** The channel of the call being started; must run on the thread that starts it. */
    <T> AnswerChannel<T> open(StreamObserver<T> observer) {
        return new AnswerChannel<>((ServerCallStreamObserver<T>) observer, timer, writer, stall);
    }

    /** The timer progress ticks and stall checks run on. */
    ScheduledExecutorService timer() {
        return timer;
    }
}
