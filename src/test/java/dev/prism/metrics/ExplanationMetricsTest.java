package dev.prism.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.explain.Diagnostics;
import dev.prism.explain.Explanation;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The quality histograms as the endpoint shows them: values below 1 in buckets of their own. */
class ExplanationMetricsTest {
    private static final Pattern BUCKET = Pattern.compile("_bucket\\{method=\"m\",model=\"x\",le=\"([^\"]+)\"} (\\S+)");

    @Test
    void gapsAndStandardErrorsBelowOneFallIntoTheirOwnBuckets() throws IOException {
        PrometheusMeterRegistry registry = PrometheusMeters.registry();
        ExplanationMetrics metrics = new ExplanationMetrics(registry);
        List<Explanation> explanations = List.of(
                // Σφ = 0.75 against an output 0.93 above the base: a gap of 0.18, and errors of mean 0.18.
                explanation(0, 0, 0.93, new double[] {0.5, 0.25}, new double[] {0.12, 0.24}),
                // A gradient method's convergence delta of −2e-4, and errors of mean 2e-4.
                new Explanation(1, 0, 0.5, 1.5, new double[] {1}, new double[] {1e-4, 3e-4},
                        new Diagnostics(10, 10, false, 1, 0, false, null, -2e-4)),
                // Exact values: round-off in the gap, no standard errors.
                explanation(2, 0.25, 1.25, new double[] {0.1, 0.2, 0.7}, null),
                // Saliency: no base value, so no gap; nothing is recorded.
                explanation(3, Double.NaN, 1, new double[] {0.5}, null));
        metrics.recordQuality("x", "m", explanations);
        String text = PrometheusMetersTest.scrape(registry);

        double[] gaps = explanations.stream().mapToDouble(Explanation::efficiencyGap).filter(Double::isFinite)
                .toArray();
        assertEquals(0.18, gaps[0], 1e-15);
        assertEquals(2e-4, gaps[1], 0);
        assertTrue(gaps[2] < 1e-15, "round-off " + gaps[2]);
        double[] errors = {(0.12 + 0.24) / 2, (1e-4 + 3e-4) / 2};
        assertHistogram(text, "prism_explanation_efficiency_gap", ExplanationMetrics.GAP_BUCKETS, gaps);
        assertHistogram(text, "prism_explanation_standard_error", ExplanationMetrics.ERROR_BUCKETS, errors);

        // The values below 1 are told apart, where a Micrometer summary would count all of them at le="1.0".
        Map<Double, Long> gap = buckets(text, "prism_explanation_efficiency_gap");
        assertEquals(1, gap.get(1e-12));
        assertEquals(1, gap.get(1e-4));
        assertEquals(2, gap.get(1e-3));
        assertEquals(2, gap.get(0.1));
        assertEquals(3, gap.get(1.0));
        Map<Double, Long> error = buckets(text, "prism_explanation_standard_error");
        assertEquals(0, error.get(1e-4));
        assertEquals(1, error.get(3e-4));
        assertEquals(1, error.get(0.1));
        assertEquals(2, error.get(0.3));
        assertEquals(2, error.get(1.0));
    }

    /** Each bucket counts the values at or below its bound; count and sum are those of the values. */
    private static void assertHistogram(String text, String name, double[] bounds, double[] values) {
        Map<Double, Long> buckets = buckets(text, name);
        List<Double> expectedBounds = new ArrayList<>(Arrays.stream(bounds).boxed().toList());
        expectedBounds.add(Double.POSITIVE_INFINITY);
        assertEquals(expectedBounds, new ArrayList<>(buckets.keySet()), name);
        for (var bucket : buckets.entrySet()) {
            long expected = Arrays.stream(values).filter(v -> v <= bucket.getKey()).count();
            assertEquals(expected, bucket.getValue(), name + " le=" + bucket.getKey());
        }
        assertEquals(List.of(name + "_count{method=\"m\",model=\"x\"} " + values.length),
                PrometheusMetersTest.samples(text, name + "_count"));
        List<String> sum = PrometheusMetersTest.samples(text, name + "_sum");
        assertEquals(1, sum.size(), text);
        assertEquals(Arrays.stream(values).sum(), Double.parseDouble(sum.get(0).split(" ")[1]), 0);
    }

    /** The histogram's buckets in the text: upper bound → cumulative count, by bound. */
    private static Map<Double, Long> buckets(String text, String name) {
        Map<Double, Long> out = new TreeMap<>();
        for (String line : PrometheusMetersTest.samples(text, name + "_bucket")) {
            Matcher m = BUCKET.matcher(line.substring(name.length()));
            assertTrue(m.matches(), line);
            double bound = m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1));
            out.put(bound, Long.parseLong(m.group(2)));
        }
        return out;
    }

    private static Explanation explanation(int instance, double base, double output, double[] attributions,
                                           double[] errors) {
        return new Explanation(instance, 0, base, output, attributions, errors,
                new Diagnostics(10, 10, errors == null, attributions.length, 0));
    }
}
