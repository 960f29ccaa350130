package dev.prism.batch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The meters of one model's scheduler, tagged with the model name. */
final class SchedulerMetrics {
    private final DistributionSummary batchRows;
    private final Timer queueWait;
    private final Timer runTime;
    private final Counter rows;
    private final Counter failedRuns;

    SchedulerMetrics(MeterRegistry registry, String model, Supplier<Number> queuedRows, Supplier<Number> activeJobs) {
        // A reloaded model's new scheduler takes over the gauges of the version it replaces.
        removeGauge(registry, "prism.scheduler.queue.rows", model);
        removeGauge(registry, "prism.scheduler.jobs", model);
        Gauge.builder("prism.scheduler.queue.rows", queuedRows)
                .description("Rows waiting in the model's queue").tag("model", model).register(registry);
        Gauge.builder("prism.scheduler.jobs", activeJobs)
                .description("Requests with rows waiting in the model's queue").tag("model", model).register(registry);
        batchRows = DistributionSummary.builder("prism.scheduler.batch.rows")
                .description("Rows per ONNX Runtime call").baseUnit("rows").tag("model", model)
                .publishPercentileHistogram().minimumExpectedValue(1.0).maximumExpectedValue(1_048_576.0)
                .register(registry);
        queueWait = Timer.builder("prism.scheduler.queue.wait")
                .description("Time rows wait in the queue before their model run starts").tag("model", model)
                .publishPercentileHistogram().register(registry);
        runTime = Timer.builder("prism.model.run")
                .description("ONNX Runtime call duration").tag("model", model)
                .publishPercentileHistogram().register(registry);
        rows = Counter.builder("prism.model.rows")
                .description("Rows evaluated by the model; its rate is rows per second").tag("model", model)
                .register(registry);
        failedRuns = Counter.builder("prism.model.run.failures")
                .description("Model runs that failed").tag("model", model).register(registry);
    }

    private static void removeGauge(MeterRegistry registry, String name, String model) {
        Gauge existing = registry.find(name).tag("model", model).gauge();
        if (existing != null) {
            registry.remove(existing);
        }
    }

    void batch(int batchRowCount, long runNanos) {
        batchRows.record(batchRowCount);
        runTime.record(runNanos, TimeUnit.NANOSECONDS);
        rows.increment(batchRowCount);
    }

    void waited(long nanos) {
        queueWait.record(nanos, TimeUnit.NANOSECONDS);
    }

    void failed() {
        failedRuns.increment();
    }
}
