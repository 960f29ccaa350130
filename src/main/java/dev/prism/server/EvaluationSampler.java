package dev.prism.server;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.explain.evaluation.Complexity;
import dev.prism.explain.evaluation.EvaluationParams;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Evaluates a random share of production Explain requests that did not ask for an evaluation, so
 * that explanation quality shows on the metrics endpoint: complexity, and a deletion curve of
 * {@link #STEPS} steps where the method's attributions can be compared with the model's rows. The
 * response does not change. The cost is bounded: a request whose evaluation would take more than
 * {@link #MAX_ROWS} model rows (or push it over max_evaluations), and a request under a time budget
 * (whose answer time is promised), is not sampled. The evaluation's memory is admitted with the
 * request's; sampled evaluations and the model rows they cost are counted per model and method.
 */
final class EvaluationSampler {
    /** Steps of a sampled deletion curve. */
    static final int STEPS = 4;
    /** The most model rows a sampled evaluation may cost. */
    static final long MAX_ROWS = 100_000;

    private final double rate;
    private final RequestLimits limits;
    private final MeterRegistry registry;

    EvaluationSampler(double rate, RequestLimits limits, MeterRegistry registry) {
        this.rate = rate;
        this.limits = limits;
        this.registry = registry;
    }

    /** The request with a sampled evaluation, or as it is when not drawn or not eligible. */
    ExplainRequestCodec.Prepared sample(ExplainRequest request, ExplainRequestCodec.Prepared p) {
        if (rate == 0 || p.evaluation() != null || p.timeBudget() != null
                || ThreadLocalRandom.current().nextDouble() >= rate) {
            return p;
        }
        boolean rows = EvaluationParamsCodec.rowMetricsRefused(request, p.method().explainer().method(),
                p.graph() != null && p.graph().logits()) == null;
        EvaluationParams params = new EvaluationParams(rows ? new EvaluationParams.Deletion(STEPS) : null, null, null,
                new EvaluationParams.ComplexityShare(Complexity.DEFAULT_FRACTION));
        long cost = params.modelRows(p.input());
        if (cost > MAX_ROWS || cost > limits.maxEvaluations() - p.method().evaluationsNeeded(p.input())) {
            return p;
        }
        return new ExplainRequestCodec.Prepared(p.model(), p.input(), p.method(), p.scheduler(), p.graph(), p.compact(),
                p.timeBudget(), p.kmeans(), params, true, null);
    }

    /** Counts one sampled evaluation and the model rows it cost. */
    void sampled(String model, String method, long rows) {
        Counter.builder("prism.explanation.evaluations.sampled")
                .description("Explain requests evaluated by sampling (--evaluate-sample-rate)")
                .tags("model", model, "method", method).register(registry).increment();
        Counter.builder("prism.explanation.evaluations.sampled.rows")
                .description("Model rows the sampled evaluations cost")
                .tags("model", model, "method", method).register(registry).increment(rows);
    }
}
