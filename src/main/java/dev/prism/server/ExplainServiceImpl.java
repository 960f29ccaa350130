package dev.prism.server;

import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.metrics.ExplanationMetrics;
import dev.prism.model.BatchRunner;
import dev.prism.model.RequestContext;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Explain and StreamExplain. The gRPC thread only validates and admits; the explainer runs on the
 * explain pool and answers through the call once, with the result or a mapped status.
 */
final class ExplainServiceImpl extends ExplainServiceGrpc.ExplainServiceImplBase {
    private final ExplainRequestCodec codec;
    private final ExplainPool pool;
    private final ScheduledExecutorService timer;
    private final ExplanationMetrics metrics;
    /** Contexts of admitted requests, running or waiting for the pool, until they have answered. */
    private final Set<RequestContext> admitted = ConcurrentHashMap.newKeySet();

    ExplainServiceImpl(ExplainRequestCodec codec, ExplainPool pool, ScheduledExecutorService timer,
                       ExplanationMetrics metrics) {
        this.codec = codec;
        this.pool = pool;
        this.timer = timer;
        this.metrics = metrics;
    }

    @Override
    public void explain(ExplainRequest request, StreamObserver<ExplainResponse> observer) {
        ServerCallStreamObserver<ExplainResponse> call = (ServerCallStreamObserver<ExplainResponse>) observer;
        RequestContext context = CallCancellation.bind(call);
        start(request, context, p -> ProgressSink.NONE,
                response -> {
                    if (!call.isCancelled()) {
                        call.onNext(response);
                        call.onCompleted();
                    }
                },
                status -> {
                    if (!call.isCancelled()) {
                        call.onError(status);
                    }
                });
    }

    @Override
    public void streamExplain(ExplainRequest request, StreamObserver<ExplainEvent> observer) {
        ServerCallStreamObserver<ExplainEvent> call = (ServerCallStreamObserver<ExplainEvent>) observer;
        RequestContext context = CallCancellation.bind(call);
        ProgressStream[] stream = new ProgressStream[1];
        start(request, context,
                p -> stream[0] = new ProgressStream(call, p.model().signature(), timer),
                response -> stream[0].complete(response),
                status -> {
                    if (stream[0] != null) {
                        stream[0].fail(status);
                    } else if (!call.isCancelled()) {
                        call.onError(status);
                    }
                });
    }

    private void start(ExplainRequest request, RequestContext context,
                       Function<ExplainRequestCodec.Prepared, ProgressSink> sinks,
                       Consumer<ExplainResponse> onResult, Consumer<StatusRuntimeException> onError) {
        long started = System.nanoTime();
        String method = request.getMethodCase() == ExplainRequest.MethodCase.METHOD_NOT_SET
                ? "auto" : request.getMethodCase().name().toLowerCase(java.util.Locale.ROOT);
        try {
            ExplainRequestCodec.Prepared prepared = codec.prepare(request, context);
            if (prepared.timeBudget() != null) {
                // Counted from receipt: the wait for an explain thread is part of the budget.
                context.timeBudget(prepared.timeBudget().minusNanos(System.nanoTime() - started));
            }
            prepared.scheduler().admit();
            ProgressSink sink = sinks.apply(prepared);
            admitted.add(context);
            Runnable task = () -> run(prepared, context, sink, started, onResult, onError);
            pool.submit(task);
            // A call cancelled while it waits gives its place in the queue back and answers at once.
            context.onCancel(() -> {
                if (pool.withdraw(task)) {
                    task.run();
                }
            });
        } catch (RuntimeException e) {
            admitted.remove(context);
            context.cancel(Reason.CANCELLED); // releases the model version it may hold
            StatusRuntimeException status = StatusMapper.toStatus(e);
            // An unknown name is not a label: clients must not be able to grow the series without bound.
            String model = e instanceof PrismException p && p.reason() == Reason.MODEL_NOT_FOUND ? "" : request.getModel();
            metrics.record(model, method, status.getStatus().getCode().name(), System.nanoTime() - started, 0);
            onError.accept(status);
        }
    }

    private void run(ExplainRequestCodec.Prepared prepared, RequestContext context, ProgressSink sink, long started,
                     Consumer<ExplainResponse> onResult, Consumer<StatusRuntimeException> onError) {
        String model = prepared.model().name();
        String method = prepared.method().name();
        CountingSink counting = new CountingSink(sink);
        try {
            context.throwIfCancelled();
            pool.refuseIfWaitedTooLong(started);
            BatchRunner runner = prepared.scheduler().open(context);
            List<Explanation> explanations = prepared.method().run(prepared.input(), runner, counting, context);
            long nanos = System.nanoTime() - started;
            ExplainResponse response = ExplanationCodec.response(model, method, prepared.model().signature(),
                    prepared.input().groups().names(), prepared.input().instances().rows(),
                    prepared.input().outputs(), explanations, prepared.compact(), nanos / 1e9);
            if (context.partial()) {
                response = response.toBuilder().setPartial(true).build();
            }
            metrics.record(model, method, "OK", nanos, counting.done.get());
            metrics.recordQuality(model, method, explanations);
            onResult.accept(response);
        } catch (RuntimeException | Error e) {
            StatusRuntimeException status = StatusMapper.toStatus(e);
            metrics.record(model, method, status.getStatus().getCode().name(), System.nanoTime() - started,
                    counting.done.get());
            onError.accept(status);
        } finally {
            // Releases the scheduler job (and anything it still holds) once the answer is out.
            context.cancel(Reason.CANCELLED);
            admitted.remove(context);
        }
    }

    /** Cancels every admitted request with the reason (SHUTTING_DOWN when the shutdown grace ends). */
    void cancelAll(Reason reason) {
        admitted.forEach(c -> c.cancel(reason));
    }

    /** Counts evaluations for the metrics while passing progress on. */
    private static final class CountingSink implements ProgressSink {
        final ProgressSink next;
        final AtomicLong done = new AtomicLong();

        CountingSink(ProgressSink next) {
            this.next = next;
        }

        @Override
        public void total(long evaluations) {
            next.total(evaluations);
        }

        @Override
        public void advance(long evaluations) {
            done.addAndGet(evaluations);
            next.advance(evaluations);
        }

        @Override
        public void estimate(int instance, int output, double[] attributions, double[] standardErrors) {
            next.estimate(instance, output, attributions, standardErrors);
        }

        @Override
        public boolean wantsEstimates() {
            return next.wantsEstimates();
        }
    }
}
