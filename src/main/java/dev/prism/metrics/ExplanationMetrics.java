package dev.prism.metrics;

import dev.prism.explain.Explanation;
import dev.prism.explain.evaluation.Evaluation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Explanations by model, method and final status; their duration and model evaluations; and their
 * quality, per explanation (one instance and output): the efficiency gap and the mean standard
 * error of the attributions, as {@link FixedBucketHistogram}s, so a dashboard can watch estimates
 * drift as budgets or models change. A served model's successes are counted from zero for every
 * method before the first request, so that the first one shows as an increase; other statuses
 * appear with their first request, and the histograms with their first value.
 */
public final class ExplanationMetrics {
    /** A histogram bucket at the cancellation lag the server aims for, so that dashboards can count the late ones. */
    public static final java.time.Duration CANCEL_LAG_TARGET = java.time.Duration.ofMillis(50);
    /** The status of a successful explanation, as gRPC names it. */
    public static final String OK = "OK";
    /**
     * Efficiency gaps in link units, by decades from 1e-12 to 100: the round-off of the methods that
     * keep efficiency exactly (1e-16 to 1e-12), a loose solve's (up to about 1e-2), and the gradient
     * methods' convergence delta, which can reach the size of the output.
     */
    static final double[] GAP_BUCKETS = {1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1,
            1, 10, 100};
    /**
     * Mean standard errors in link units, by half-decades (3 for √10) from 1e-6 to 10: the range of
     * the tolerances clients ask for, fine enough to see how far a budget is from one.
     */
    static final double[] ERROR_BUCKETS = {1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1,
            3, 10};
    private final MeterRegistry registry;
    private final FixedBucketHistogram gap;
    private final FixedBucketHistogram error;
    private final EvaluationHistograms evaluation;

    /** Registers the histograms on the registry's Prometheus side; once per registry. */
    public ExplanationMetrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
        gap = FixedBucketHistogram.register(registry.getPrometheusRegistry(), "prism_explanation_efficiency_gap",
                "|sum of attributions - (model output - base value)| per explanation", GAP_BUCKETS);
        error = FixedBucketHistogram.register(registry.getPrometheusRegistry(), "prism_explanation_standard_error",
                "Mean standard error of the attributions per explanation, for methods that estimate them",
                ERROR_BUCKETS);
        evaluation = new EvaluationHistograms(registry.getPrometheusRegistry());
    }

    /** Registers the model's count of successful explanations at zero for each of the methods. */
    public static void served(MeterRegistry registry, String model, List<String> methods) {
        for (String method : methods) {
            explanations(registry, model, method, OK);
        }
    }

    public void record(String model, String method, String status, long nanos, long evaluations) {
        explanations(registry, model, method, status).increment();
        Timer.builder("prism.explanation.duration")
                .description("Wall time of explanation requests")
                .tags("model", model, "method", method)
                .publishPercentileHistogram()
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
        if (evaluations > 0) {
            DistributionSummary.builder("prism.explanation.model.evaluations")
                    .description("Model rows evaluated per explanation request")
                    .tags("model", model, "method", method)
                    .register(registry).record(evaluations);
        }
    }

    private static Counter explanations(MeterRegistry registry, String model, String method, String status) {
        return Counter.builder("prism.explanations")
                .description("Explanation requests by final status")
                .tags("model", model, "method", method, "status", status)
                .register(registry);
    }

    /**
     * How long a cancelled explanation (by its client, its deadline or the server's shutdown) went on
     * working after the cancellation, until its explainer stopped: what cancelled work costs the server.
     */
    public void recordCancelLag(String model, String method, long nanos) {
        Timer.builder("prism.explanation.cancel.lag")
                .description("Time from an explanation's cancellation until its explainer stopped")
                .tags("model", model, "method", method)
                .publishPercentileHistogram()
                .serviceLevelObjectives(CANCEL_LAG_TARGET)
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Quality of a successful request's explanations; NaN values (e.g. saliency's gap) are left out. */
    public void recordQuality(String model, String method, List<Explanation> explanations) {
        for (Explanation e : explanations) {
            gap.observe(model, method, e.efficiencyGap());
            double[] se = e.standardErrors();
            if (se != null && se.length > 0) {
                double sum = 0;
                for (double v : se) {
                    sum += v;
                }
                error.observe(model, method, sum / se.length);
            }
        }
    }

    /**
     * The evaluation metrics of a successful request's explanations, per model and method: the
     * histograms of {@link EvaluationHistograms}, and the deletion and insertion areas in output
     * units as summaries (count and sum: they have no scale to put buckets on), registered with the
     * first request that computes them. A summary records values ≥ 0 only, so a negative area (of
     * outputs below zero) is left out of it; the normalised areas, in [0, 1] for every output, are the
     * ones to compare and alert on.
     */
    public void recordEvaluation(String model, String method, List<Evaluation> evaluations) {
        evaluation.record(model, method, evaluations);
        for (Evaluation e : evaluations) {
            if (e.deletion() != null) {
                area("prism.explanation.deletion.area", "Area under the deletion curve (output units)",
                        model, method, e.deletion().area());
                area("prism.explanation.insertion.area", "Area under the insertion curve (output units)",
                        model, method, e.insertion().area());
            }
        }
    }

    private void area(String name, String description, String model, String method, double value) {
        if (Double.isFinite(value)) {
            DistributionSummary.builder(name).description(description).tags("model", model, "method", method)
                    .register(registry).record(value);
        }
    }
}
