package dev.prism.explain;

import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import java.util.List;

/**
 * One explanation method. Explainers are synchronous: they run on the server's explain pool and
 * block on the runner, which batches their rows with other requests'.
 *
 * @param <P> the method's parameters
 */
public interface Explainer<P> {

    /** What the method is: its name, what it evaluates, its reference input and what a request may ask of it. */
    ExplainMethod method();

    /** The name a response gives the method that ran: this method's, unless it picks another per input (auto). */
    default String ranAs(ExplainInput input, P params) {
        return method().name();
    }

    /** Validates params against the input before any model work; throws INVALID_PARAMS. */
    void validate(ExplainInput input, P params);

    /** Model rows the request needs, for budget checks; an upper bound is fine. */
    /** What the response must say about these values (e.g. that they are not exact), beyond the numbers. */
    default List<Caveat> caveats(ExplainInput input, P params) {
        return List.of();
    }

    long evaluationsNeeded(ExplainInput input, P params);

    /**
     * Bytes the explainer holds at its peak besides its input and its explanations (rows in flight
     * with their outputs, per-instance state), for admission against the server's memory budget; an
     * upper bound is fine.
     *
     * @param outputWidth score values per row of the model or graph the rows run on
     * @param timeBudget  the request runs under a time budget (an anytime schedule may hold more)
     */
    long workingBytes(ExplainInput input, P params, int outputWidth, boolean timeBudget);

    /**
     * Explains every instance for every requested output.
     *
     * @param context the request's job: its cancellation is looked at between chunks of rows and
     *                inside long computations
     * @param budget  the explanation's time budget: a method that can answer from the rows it has
     *                evaluated stops there and marks its answer {@linkplain TimeBudget#markPartial
     *                partial}; the others ignore it and run to their end
     * @return explanations ordered by instance, then by output in {@link ExplainInput#outputs()} order
     */
    List<Explanation> explain(ExplainInput input, P params, BatchRunner runner, ProgressSink progress,
                              RequestContext context, TimeBudget budget);
}
