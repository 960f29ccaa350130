package dev.prism.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/** Explanations by model, method and final status; their duration and model evaluations. */
public final class ExplanationMetrics {
    private final MeterRegistry registry;

    public ExplanationMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void record(String model, String method, String status, long nanos, long evaluations) {
        Counter.builder("prism.explanations")
                .description("Explanation requests by final status")
                .tags("model", model, "method", method, "status", status)
                .register(registry).increment();
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
}
