package dev.prism.server;

import dev.prism.api.v1.EvaluateRequest;
import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.ResponseWarning;
import dev.prism.error.Reason;
import dev.prism.explain.Caveat;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.ExplainMethod;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TimeBudget;
import dev.prism.explain.evaluation.Evaluation;
import dev.prism.explain.evaluation.EvaluationParams;
import dev.prism.explain.evaluation.ExplanationEvaluator;
import dev.prism.explain.evaluation.GivenExplanations;
import dev.prism.metrics.ExplanationMetrics;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Explain, StreamExplain and Evaluate. On the gRPC thread a request is only decoded, validated and admitted:
 * its memory reserved against the budget, its place taken in its model's lane of the explain pool.
 * Everything else (summarising a background, the explainer, building the answer) runs on the pool,
 * cancellably, and answers through the call's {@link AnswerChannel} once, with the result or a
 * mapped status. Nothing thrown, {@link Error}s included, leaves a call without an answer or keeps
 * what it acquired.
 */
final class ExplainServiceImpl extends ExplainServiceGrpc.ExplainServiceImplBase {
    private final ExplainRequestCodec codec;
    private final ExplainPool pool;
    private final MemoryBudget budget;
    private final AnswerChannels channels;
    private final ServedModels models;
    private final ExplanationMetrics metrics;
    private final EvaluationSampler sampler;
    /** Contexts of admitted requests, running or waiting for the pool, until they have answered. */
    private final Set<RequestContext> admitted = ConcurrentHashMap.newKeySet();

    ExplainServiceImpl(ExplainRequestCodec codec, ExplainPool pool, MemoryBudget budget, AnswerChannels channels,
                       ServedModels models, ExplanationMetrics metrics, EvaluationSampler sampler) {
        this.codec = codec;
        this.pool = pool;
        this.budget = budget;
        this.channels = channels;
        this.models = models;
        this.metrics = metrics;
        this.sampler = sampler;
    }

    @Override
    public void explain(ExplainRequest request, StreamObserver<ExplainResponse> observer) {
        AnswerChannel<ExplainResponse> channel = channels.open(observer);
        start(request, channel, whole(channel));
    }

    @Override
    public void evaluate(EvaluateRequest request, StreamObserver<ExplainResponse> observer) {
        AnswerChannel<ExplainResponse> channel = channels.open(observer);
        start(request.getRequest(), context -> codec.prepareEvaluation(request, context), channel, whole(channel));
    }

    /** A call answered once, with the whole response or its error, and no progress. */
    private static Answer whole(AnswerChannel<ExplainResponse> channel) {
        return new Answer() {
            @Override
            public ProgressSink progress(ExplainRequestCodec.Prepared prepared) {
                return ProgressSink.NONE;
            }

            @Override
            public void running() {
            }

            @Override
            public void result(ExplainResponse response) {
                channel.finish(List.of(response));
            }

            @Override
            public void error(StatusRuntimeException status) {
                channel.fail(status);
            }
        };
    }

    @Override
    public void streamExplain(ExplainRequest request, StreamObserver<ExplainEvent> observer) {
        AnswerChannel<ExplainEvent> channel = channels.open(observer);
        start(request, channel, new Answer() {
            private volatile ProgressStream stream;

            @Override
            public ProgressSink progress(ExplainRequestCodec.Prepared prepared) {
                stream = new ProgressStream(channel, prepared.model().signature(), channels.timer());
                return stream;
            }

            @Override
            public void running() {
                stream.start();
            }

            @Override
            public void result(ExplainResponse response) {
                stream.complete(response);
            }

            @Override
            public void error(StatusRuntimeException status) {
                if (stream != null) {
                    stream.fail(status);
                } else {
                    channel.fail(status);
                }
            }
        });
    }

    /** How one call answers: its progress, the moment it starts running, its result or its error. */
    private interface Answer {
        ProgressSink progress(ExplainRequestCodec.Prepared prepared);

        void running();

        void result(ExplainResponse response);

        void error(StatusRuntimeException status);
    }

    private void start(ExplainRequest request, AnswerChannel<?> channel, Answer answer) {
        start(request, context -> sampler.sample(request, codec.prepare(request, context)), channel, answer);
    }

    /**
     * @param request  the explain request, for the method and model labels of a refusal
     * @param preparer decodes and validates the call on the gRPC thread
     */
    private void start(ExplainRequest request, Function<RequestContext, ExplainRequestCodec.Prepared> preparer,
                       AnswerChannel<?> channel, Answer answer) {
        long started = System.nanoTime();
        RequestContext context = channel.context();
        String method = MethodTable.of(request).name();
        try {
            ExplainRequestCodec.Prepared prepared = preparer.apply(context);
            channel.hold(budget.reserve(RequestFootprint.explanation(request, prepared), RequestFootprint.describe(prepared)));
            // Counted from receipt: the wait for an explain thread is part of the budget.
            TimeBudget timeBudget = prepared.timeBudget() == null ? TimeBudget.NONE
                    : TimeBudget.of(prepared.timeBudget().minusNanos(System.nanoTime() - started));
            prepared.scheduler().admit();
            if (prepared.given() != null || prepared.evaluation() != null && prepared.evaluation().needsModelRows()) {
                prepared.model().scheduler().admit();
            }
            ProgressSink sink = answer.progress(prepared);
            admitted.add(context);
            long queuedNanos = System.nanoTime();
            ExplainPool.Task task = pool.submit(prepared.model().name(), channel.deadlineNanos(),
                    () -> run(prepared, context, timeBudget, sink, started, queuedNanos, answer, channel, true));
            // A call cancelled while it waits gives its place back and answers at once.
            context.onCancel(() -> {
                if (pool.withdraw(task)) {
                    run(prepared, context, timeBudget, sink, started, queuedNanos, answer, channel, false);
                }
            });
        } catch (Throwable e) {
            admitted.remove(context);
            context.release(); // gives back the model version it may hold
            channel.workEnded();
            StatusRuntimeException status = StatusMapper.toStatus(e);
            metrics.record(label(request.getModel()), method, status.getStatus().getCode().name(),
                    System.nanoTime() - started, 0);
            answer.error(status);
        }
    }

    /** A model name as a metrics label: only served names, so clients cannot grow the series. */
    private String label(String model) {
        return models.current(model).isPresent() ? model : "";
    }


    /**
     * @param started     when the call arrived (its duration and time budget count from here)
     * @param queuedNanos when it joined the pool's queue (its wait for a thread counts from here)
     * @param onPool      false when the call was withdrawn from the queue by its cancellation: it
     *                    answers at once, and no explainer ever ran to be stopped
     */
    private void run(ExplainRequestCodec.Prepared prepared, RequestContext context, TimeBudget timeBudget,
                     ProgressSink sink, long started, long queuedNanos, Answer answer, AnswerChannel<?> channel,
                     boolean onPool) {
        String model = prepared.model().name();
        String method = prepared.method().name();
        CountingSink counting = new CountingSink(sink);
        try {
            context.throwIfCancelled();
            pool.refuseIfWaitedTooLong(queuedNanos);
            answer.running();
            ExplainInput input = codec.summarise(prepared, context);
            BatchRunner runner = prepared.scheduler().open(context);
            // A gradient method's runner gives its graph's rows; the metrics need the model's own.
            BatchRunner modelRunner = prepared.scheduler() == prepared.model().scheduler() ? runner
                    : prepared.model().scheduler().open(context);
            EvaluationParams evaluation = prepared.evaluation();
            if (evaluation != null) {
                counting.addToTotal(ExplainRequestCodec.evaluationRows(evaluation, prepared.method(), input));
            }
            List<Explanation> explanations = prepared.given() == null
                    ? prepared.method().run(input, runner, counting, context, timeBudget)
                    : given(prepared, input, modelRunner, counting, context);
            long explained = counting.done.get();
            List<Evaluation> evaluations = evaluation == null ? null
                    : evaluate(prepared, input, explanations, runner, modelRunner, counting, context);
            if (prepared.evaluationSampled()) {
                sampler.sampled(model, method, counting.done.get() - explained);
            }
            long nanos = System.nanoTime() - started;
            ExplainResponse response = ExplanationCodec.response(model, method, prepared.model().signature(),
                    input.groups().names(), input.instances().rows(), input.outputs(), explanations,
                    prepared.evaluationSampled() ? null : evaluations, prepared.compact(), nanos / 1e9);
            if (timeBudget.partial()) {
                response = response.toBuilder().setPartial(true).build();
            }
            var warning = EfficiencyWarning.of(prepared, explanations);
            if (warning.isPresent()) {
                response = response.toBuilder().addWarnings(warning.get()).build();
            }
            // Given attributions are not the method's: its caveats and the quality histograms are not theirs.
            if (prepared.given() == null) {
                for (Caveat caveat : prepared.method().caveats(input)) {
                    response = response.toBuilder().addWarnings(ResponseWarning.newBuilder().setCode(caveat.code())
                            .setMessage(caveat.message())).build();
                }
            }
            metrics.record(model, method, ExplanationMetrics.OK, nanos, counting.done.get());
            if (prepared.given() == null) {
                metrics.recordQuality(model, method, explanations);
                if (evaluations != null) {
                    metrics.recordEvaluation(model, method, evaluations);
                }
            }
            answer.result(response);
        } catch (Throwable e) {
            // How long the explainer went on after its cancellation, if that is what stopped it.
            long sinceCancel = context.nanosSinceCancel();
            StatusRuntimeException status = StatusMapper.toStatus(e);
            if (sinceCancel >= 0 && onPool) {
                metrics.recordCancelLag(model, method, sinceCancel);
            }
            metrics.record(model, method, status.getStatus().getCode().name(), System.nanoTime() - started,
                    counting.done.get());
            answer.error(status);
        } finally {
            // The answer is out: the job ends, detached from its scheduler with what it still holds.
            context.release();
            admitted.remove(context);
            channel.workEnded();
        }
    }

    /**
     * The request's evaluation: the row metrics on the model's own rows (a gradient method's runner
     * gives its graph's), sensitivity's perturbed inputs explained by the same method on its runner.
     * Their rows count as progress; the re-run's own totals and estimates (of the perturbed inputs) do not.
     */
    private static List<Evaluation> evaluate(ExplainRequestCodec.Prepared prepared, ExplainInput input,
                                             List<Explanation> explanations, BatchRunner runner,
                                             BatchRunner modelRunner, ProgressSink progress, RequestContext context) {
        ProgressSink rowsOnly = new ProgressSink() {
            @Override
            public void total(long evaluations) {}

            @Override
            public void advance(long evaluations) {
                progress.advance(evaluations);
            }

            @Override
            public void estimate(int instance, int output, double[] attributions, double[] standardErrors) {}

            @Override
            public boolean wantsEstimates() {
                return false;
            }
        };
        return ExplanationEvaluator.evaluate(input, explanations, prepared.evaluation(), modelRunner, progress, context,
                perturbed -> prepared.method().run(perturbed, runner, rowsOnly, context, TimeBudget.NONE));
    }

    /** An Evaluate request's attributions as explanations of its game, on the model's own rows. */
    private static List<Explanation> given(ExplainRequestCodec.Prepared prepared, ExplainInput input,
                                           BatchRunner modelRunner, CountingSink progress, RequestContext context) {
        boolean hasReference = prepared.method().explainer().method().reference() != ExplainMethod.Reference.NONE;
        progress.total(GivenExplanations.modelRows(input, hasReference));
        return GivenExplanations.of(input, prepared.given(), hasReference, modelRunner, progress, context);
    }

    /** Cancels every admitted request with the reason (SHUTTING_DOWN when the shutdown grace ends). */
    void cancelAll(Reason reason) {
        admitted.forEach(c -> c.cancel(reason));
    }

    /** Counts evaluations for the metrics while passing progress on. */
    private static final class CountingSink implements ProgressSink {
        final ProgressSink next;
        final AtomicLong done = new AtomicLong();
        /** The explainer's latest total, and the rows the evaluation adds to it; written by the request's thread. */
        private volatile long explainerTotal;
        private volatile long added;

        CountingSink(ProgressSink next) {
            this.next = next;
        }

        @Override
        public void total(long evaluations) {
            explainerTotal = evaluations;
            next.total(evaluations + added);
        }

        /** Counts the evaluation's rows into the total, before and after the explainer states its own. */
        void addToTotal(long rows) {
            added = rows;
            next.total(explainerTotal + rows);
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
