package dev.prism.explain;

import dev.prism.model.BatchRunner;
import dev.prism.model.RequestContext;
import java.util.List;

/**
 * One explanation method. Explainers are synchronous: they run on the server's explain pool and
 * block on the runner, which batches their rows with other requests'.
 *
 * @param <P> the method's parameters
 */
public interface Explainer<P> {

    /** Validates params against the input before any model work; throws INVALID_PARAMS. */
    void validate(ExplainInput input, P params);

    /** Model rows the request needs, for budget checks; an upper bound is fine. */
    long evaluationsNeeded(ExplainInput input, P params);

    /**
     * Explains every instance for every requested output.
     *
     * @return explanations ordered by instance, then by output in {@link ExplainInput#outputs()} order
     */
    List<Explanation> explain(ExplainInput input, P params, BatchRunner runner, ProgressSink progress,
                              RequestContext context);
}
