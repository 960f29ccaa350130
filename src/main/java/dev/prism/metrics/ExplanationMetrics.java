package dev.prism.metrics;

import dev.prism.explain.Explanation;
import dev.prism.explain.evaluation.Evaluation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Explanations by model, method and final status; their duration and model evaluations; and their
 * quality, per explanation (one instance and output): the efficiency gap and the mean standard
 * error of the attributions, so a dashboard can watch estimates drift as budgets or models change.
 * A served model's successes are counted from zero for every method before the first request, so
 * that the first one shows as an increase; other statuses, and the histograms, appear with their
 * first request.
 */
public final class ExplanationMetrics {
    /** A histogram bucket at the cancellation lag the server aims for, so that dashboards can count the late ones. */
    public static final java.time.Duration CANCEL_LAG_TARGET = java.time.Duration.ofMillis(50);
    /** The status of a successful explanation, as gRPC names it. */
    public static final String OK = "OK";
    private final MeterRegistry registry;
    private final EvaluationHistograms histograms;

    public ExplanationMetrics(MeterRegistry registry, EvaluationHistograms histograms) {
        this.registry = registry;
        this.histograms = histograms;
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
        DistributionSummary gap = DistributionSummary.builder("prism.explanation.efficiency.gap")
                .description("|sum of attributions - (model output - base value)| per explanation")
                .tags("model", model, "method", method)
                .register(registry);
        DistributionSummary error = DistributionSummary.builder("prism.explanation.standard.error")
                .description("Mean standard error of the attributions per explanation, for methods that estimate them")
                .tags("model", model, "method", method)
                .register(registry);
        for (Explanation e : explanations) {
            double g = e.efficiencyGap();
            if (Double.isFinite(g)) {
                gap.record(g);
            }
            double[] se = e.standardErrors();
            if (se != null && se.length > 0) {
                double sum = 0;
                for (double v : se) {
                    sum += v;
                }
                if (Double.isFinite(sum)) {
                    error.record(sum / se.length);
                }
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
        histograms.record(model, method, evaluations);
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
