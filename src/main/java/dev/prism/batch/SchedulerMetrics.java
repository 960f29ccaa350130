package dev.prism.batch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The meters of one scheduler, tagged with the model's name and the attribution graph it runs
 * (empty for the model's own runs). The gauges and counters exist from the start, at zero; the
 * histograms, dozens of buckets each, only once the scheduler has run a batch, so that a graph
 * nobody asks for costs the endpoint a few lines.
 */
final class SchedulerMetrics {
    private final MeterRegistry registry;
    private final Tags tags;
    private final Counter rows;
    private final Counter failedRuns;
    /** Registered by the first batch; the lock only guards that registration. */
    private volatile Histograms histograms;

    private record Histograms(DistributionSummary batchRows, Timer queueWait, Timer runTime) {}

    SchedulerMetrics(MeterRegistry registry, String model, String graph, Supplier<Number> queuedRows,
                     Supplier<Number> activeJobs) {
        this.registry = registry;
        this.tags = Tags.of("model", model, "graph", graph);
        // A reloaded model's new scheduler takes over the gauges of the version it replaces.
        removeGauge("prism.scheduler.queue.rows");
        removeGauge("prism.scheduler.jobs");
        Gauge.builder("prism.scheduler.queue.rows", queuedRows)
                .description("Rows waiting in the scheduler's queue").tags(tags).register(registry);
        Gauge.builder("prism.scheduler.jobs", activeJobs)
                .description("Requests with rows waiting in the scheduler's queue").tags(tags).register(registry);
        rows = Counter.builder("prism.model.rows")
                .description("Rows evaluated by the model; its rate is rows per second").tags(tags)
                .register(registry);
        failedRuns = Counter.builder("prism.model.run.failures")
                .description("Model runs that failed").tags(tags).register(registry);
    }

    private void removeGauge(String name) {
        Gauge existing = registry.find(name).tags(tags).gauge();
        if (existing != null) {
            registry.remove(existing);
        }
    }

    private Histograms histograms() {
        Histograms h = histograms;
        if (h == null) {
            synchronized (this) {
                h = histograms;
                if (h == null) {
                    histograms = h = new Histograms(
                            DistributionSummary.builder("prism.scheduler.batch.rows")
                                    .description("Rows per model run").baseUnit("rows").tags(tags)
                                    .publishPercentileHistogram().minimumExpectedValue(1.0)
                                    .maximumExpectedValue(1_048_576.0).register(registry),
                            Timer.builder("prism.scheduler.queue.wait")
                                    .description("Time rows wait in the queue before their model run starts")
                                    .tags(tags).publishPercentileHistogram().register(registry),
                            Timer.builder("prism.model.run")
                                    .description("Model run duration (ONNX Runtime)").tags(tags)
                                    .publishPercentileHistogram().register(registry));
                }
            }
        }
        return h;
    }

    void batch(int batchRowCount, long runNanos) {
        Histograms h = histograms();
        h.batchRows().record(batchRowCount);
        h.runTime().record(runNanos, TimeUnit.NANOSECONDS);
        rows.increment(batchRowCount);
    }

    void waited(long nanos) {
        histograms().queueWait().record(nanos, TimeUnit.NANOSECONDS);
    }

    void failed() {
        failedRuns.increment();
    }
}
