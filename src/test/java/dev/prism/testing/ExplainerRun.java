package dev.prism.testing;

import dev.prism.batch.BatchScheduler;
import dev.prism.batch.BatchingSettings;
import dev.prism.error.Reason;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explainer;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TimeBudget;
import dev.prism.model.AttributionKind;
import dev.prism.model.Model;
import dev.prism.model.RowBatch;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs an explainer against a model as the server does: validated, in a request of its own, its
 * rows through a real batch scheduler, the request released at its end. Methods that run on an
 * attribution graph get the model's graph of their kind. Pieces of an explainer (a row stream, a
 * coalition game) run the same way as {@link Work}.
 *
 * <pre>{@code
 * List<Explanation> out = ExplainerRun.of(explainer, input, params).on(model)
 *         .batching(BatchingSettings.DEFAULT.withMaxBatchRows(7)).progress(recording).run();
 * }</pre>
 *
 * <p>{@link #synchronously()} runs the model on each submitted block at once, on the submitting
 * thread, so the model's runs are the submits in order. With it, a time budget whose clock is the
 * rows that came back ({@link #budgetOfRows}) and a cancellation after a given submit
 * ({@link #cancelAfterSubmits}) or a given number of rows ({@link #cancelAfterRows}) stop a request
 * at a known point.
 *
 * @param <R> what the work returns: an explainer's explanations
 */
public final class ExplainerRun<R> {

    /** Work on a request's runner, as an explainer's {@code explain} does. */
    @FunctionalInterface
    public interface Work<R> {
        R run(BatchRunner runner, ProgressSink progress, RequestContext context, TimeBudget budget);
    }

    private final Work<R> work;
    private final Runnable validation;
    private final AttributionKind graph;
    private Model model;
    private BatchingSettings batching = BatchingSettings.DEFAULT;
    private boolean synchronous;
    private boolean validated = true;
    private ProgressSink progress = ProgressSink.NONE;
    private TimeBudget budget = TimeBudget.NONE;
    private long budgetRows = -1;
    private int cancelAfterSubmits;
    private Reason cancelReason = Reason.CANCELLED;
    private long cancelAfterRows;
    private Runnable atEnd = () -> { };
    private TimeBudget lastBudget = TimeBudget.NONE;

    private ExplainerRun(Work<R> work, Runnable validation, AttributionKind graph) {
        this.work = work;
        this.validation = validation;
        this.graph = graph;
    }

    /** The explainer's explanations of the input. */
    public static <P> ExplainerRun<List<Explanation>> of(Explainer<P> explainer, ExplainInput input, P params) {
        return new ExplainerRun<>((runner, progress, context, budget) ->
                explainer.explain(input, params, runner, progress, context, budget),
                () -> explainer.validate(input, params), explainer.method().graph());
    }

    /** Work that is not a whole explainer; nothing to validate, and its rows go to the model itself. */
    public static <R> ExplainerRun<R> of(Work<R> work) {
        return new ExplainerRun<>(work, () -> { }, null);
    }

    /** The model whose rows (or whose attribution graph's rows) the request evaluates. */
    public ExplainerRun<R> on(Model target) {
        this.model = target;
        return this;
    }

    /** Through a real scheduler with these settings (by default {@link BatchingSettings#DEFAULT}). */
    public ExplainerRun<R> batching(BatchingSettings settings) {
        this.batching = settings;
        this.synchronous = false;
        return this;
    }

    /** Through a runner that runs the model on each submitted block at once, on the submitting thread. */
    public ExplainerRun<R> synchronously() {
        this.synchronous = true;
        return this;
    }

    /** Skips {@link Explainer#validate}, for tests of what explain checks by itself. */
    public ExplainerRun<R> withoutValidation() {
        this.validated = false;
        return this;
    }

    public ExplainerRun<R> progress(ProgressSink sink) {
        this.progress = sink;
        return this;
    }

    public ExplainerRun<R> budget(TimeBudget timeBudget) {
        this.budget = timeBudget;
        this.budgetRows = -1;
        return this;
    }

    /** A time budget whose clock is the rows that came back: it is spent once {@code rows} have. */
    public ExplainerRun<R> budgetOfRows(long rows) {
        this.budgetRows = rows;
        return this;
    }

    /** Cancels the request with CANCELLED once the {@code n}-th block (from 1) has been submitted. */
    public ExplainerRun<R> cancelAfterSubmits(int n) {
        return cancelAfterSubmits(n, Reason.CANCELLED);
    }

    /** Cancels the request with the reason once the {@code n}-th block (from 1) has been submitted. */
    public ExplainerRun<R> cancelAfterSubmits(int n, Reason reason) {
        this.cancelAfterSubmits = n;
        this.cancelReason = reason;
        return this;
    }

    /** Cancels the request with CANCELLED once progress has counted {@code rows} rows back. */
    public ExplainerRun<R> cancelAfterRows(long rows) {
        this.cancelAfterRows = rows;
        return this;
    }

    /** Runs once the work has returned or failed, before the scheduler closes (to let a held model go). */
    public ExplainerRun<R> atEnd(Runnable action) {
        this.atEnd = action;
        return this;
    }

    /** True when the last run stopped at its time budget. */
    public boolean partial() {
        return lastBudget.partial();
    }

    public R run() {
        if (model == null) {
            throw new IllegalStateException("no model to run on");
        }
        if (validated) {
            validation.run();
        }
        Model target = graph == null ? model : model.attributionGraphs().graph(graph, false);
        RequestContext context = new RequestContext();
        Counting counting = new Counting(progress, context, cancelAfterRows);
        TimeBudget timeBudget = budgetRows >= 0 ? TimeBudget.until(budgetRows, counting.rows::get) : budget;
        lastBudget = timeBudget;
        BatchScheduler scheduler = synchronous ? null
                : new BatchScheduler("test", target, batching, new SimpleMeterRegistry());
        try {
            BatchRunner runner = synchronous ? new Synchronous(target) : scheduler.open(context);
            return work.run(cancelling(runner, context), counting, context, timeBudget);
        } finally {
            context.release();
            atEnd.run();
            if (scheduler != null) {
                scheduler.close();
            }
        }
    }

    private BatchRunner cancelling(BatchRunner runner, RequestContext context) {
        if (cancelAfterSubmits == 0) {
            return runner;
        }
        AtomicInteger submits = new AtomicInteger();
        return new BatchRunner() {
            @Override
            public int inputWidth() {
                return runner.inputWidth();
            }

            @Override
            public int outputWidth() {
                return runner.outputWidth();
            }

            @Override
            public CompletableFuture<RowBlock> submit(RowSource rows) {
                CompletableFuture<RowBlock> out = runner.submit(rows);
                if (submits.incrementAndGet() == cancelAfterSubmits) {
                    context.cancel(cancelReason);
                }
                return out;
            }
        };
    }

    /** Runs the model on each block as it is submitted. */
    private record Synchronous(Model model) implements BatchRunner {
        @Override
        public int inputWidth() {
            return model.signature().featureCount();
        }

        @Override
        public int outputWidth() {
            return model.signature().outputCount();
        }

        @Override
        public CompletableFuture<RowBlock> submit(RowSource rows) {
            return CompletableFuture.completedFuture(model.run(RowBatch.of(rows)));
        }
    }

    /** Passes progress on, counting the rows that came back (the rows clock) and cancelling at its mark. */
    private static final class Counting implements ProgressSink {
        final ProgressSink next;
        final RequestContext context;
        final long cancelAt;
        final AtomicLong rows = new AtomicLong();

        Counting(ProgressSink next, RequestContext context, long cancelAt) {
            this.next = next;
            this.context = context;
            this.cancelAt = cancelAt;
        }

        @Override
        public void total(long evaluations) {
            next.total(evaluations);
        }

        @Override
        public void advance(long evaluations) {
            long done = rows.addAndGet(evaluations);
            next.advance(evaluations);
            if (cancelAt > 0 && done >= cancelAt) {
                context.cancel(Reason.CANCELLED);
            }
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
