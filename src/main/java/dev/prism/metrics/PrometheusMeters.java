package dev.prism.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.HistogramSupport;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The server's meter registry with the JVM and process meters, and its Prometheus text, both in
 * Prometheus' conventions rather than Micrometer's where the two differ:
 * <ul>
 * <li>base units: the process's CPU time is {@code process_cpu_seconds_total}, as Prometheus'
 *     own clients name it, where Micrometer counts nanoseconds ({@code process_cpu_time_ns_total});
 * <li>no {@code _max} gauge family beside each histogram and summary: Micrometer's is the largest
 *     value of a rolling window of a few minutes, which a scrape samples at random points, and it
 *     doubles the families of the endpoint; quantiles come from the buckets, as Prometheus means.
 * </ul>
 */
public final class PrometheusMeters {
    private static final String MICROMETER_CPU_TIME = "process.cpu.time";
    private static final PrometheusTextFormatWriter TEXT = ExpositionFormats.init().getPrometheusTextFormatWriter();

    private PrometheusMeters() {}

    /** A registry with the JVM's memory, GC, threads, the process's CPU and uptime bound to it. */
    public static PrometheusMeterRegistry registry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals(MICROMETER_CPU_TIME)));
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            FunctionCounter.builder("process.cpu", os, b -> b.getProcessCpuTime() / 1e9)
                    .description("CPU time used by the process").baseUnit("seconds").register(registry);
        }
        return registry;
    }

    /** The content type of {@link #scrape}. */
    public static String contentType() {
        return TEXT.getContentType();
    }

    /** Every family of the registry in Prometheus' text format, less Micrometer's {@code _max} gauges. */
    public static void scrape(PrometheusMeterRegistry registry, OutputStream out) throws IOException {
        Set<String> maxima = registry.getMeters().stream().filter(HistogramSupport.class::isInstance)
                .map(Meter::getId).map(id -> id.getConventionName(registry.config().namingConvention()) + "_max")
                .collect(Collectors.toSet());
        TEXT.write(out, registry.getPrometheusRegistry().scrape(name -> !maxima.contains(name)));
    }
}
