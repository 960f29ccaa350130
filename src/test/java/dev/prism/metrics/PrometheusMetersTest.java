package dev.prism.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The endpoint's text follows Prometheus' conventions: base units, and no Micrometer _max gauges. */
class PrometheusMetersTest {
    /** The registry's scrape text. */
    static String scrape(PrometheusMeterRegistry registry) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusMeters.scrape(registry, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The sample lines of one series name in a scrape text. */
    static List<String> samples(String text, String name) {
        return text.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{")).toList();
    }

    @Test
    void processCpuTimeIsInSeconds() throws IOException {
        PrometheusMeterRegistry registry = PrometheusMeters.registry();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        double before = os.getProcessCpuTime() / 1e9;
        String text = scrape(registry);
        double after = os.getProcessCpuTime() / 1e9;
        List<String> cpu = samples(text, "process_cpu_seconds_total");
        assertEquals(1, cpu.size(), text);
        double seconds = Double.parseDouble(cpu.get(0).split(" ")[1]);
        assertTrue(before <= seconds && seconds <= after, before + " <= " + seconds + " <= " + after);
        assertTrue(text.contains("# TYPE process_cpu_seconds_total counter"), text);
        assertFalse(text.contains("process_cpu_time"), "Micrometer's nanosecond counter is left out");
    }

    @Test
    void histogramsAndSummariesHaveNoMaxGaugeBesideThem() throws IOException {
        PrometheusMeterRegistry registry = PrometheusMeters.registry();
        Timer timer = Timer.builder("work.time").publishPercentileHistogram().register(registry);
        timer.record(Duration.ofMillis(30));
        DistributionSummary sizes = DistributionSummary.builder("work.size").register(registry);
        sizes.record(7);
        LongTaskTimer.builder("work.running").register(registry);
        // A gauge of the application's own whose name ends in _max is not one of Micrometer's.
        AtomicInteger limit = new AtomicInteger(12);
        Gauge.builder("work.limit.max", limit, AtomicInteger::get).register(registry);

        String text = scrape(registry);
        for (String family : List.of("work_time_seconds_max", "work_size_max", "work_running_seconds_max",
                "jvm_gc_pause_seconds_max")) {
            assertEquals(List.of(), samples(text, family), family);
            assertFalse(text.contains("# TYPE " + family + " "), family);
        }
        assertEquals(List.of("work_limit_max 12.0"), samples(text, "work_limit_max"));
        assertEquals(List.of("work_time_seconds_count 1"), samples(text, "work_time_seconds_count"));
        assertEquals(List.of("work_time_seconds_sum 0.03"), samples(text, "work_time_seconds_sum"));
        assertTrue(text.contains("work_time_seconds_bucket{le=\"+Inf\"} 1"), text);
        assertEquals(List.of("work_size_count 1", "work_size_sum 7.0"),
                text.lines().filter(l -> l.startsWith("work_size_")).toList());
        // The JVM's meters are bound, with nothing else left out.
        assertFalse(samples(text, "jvm_memory_used_bytes").isEmpty(), text);
        assertFalse(samples(text, "process_uptime_seconds").isEmpty(), text);
    }
}
