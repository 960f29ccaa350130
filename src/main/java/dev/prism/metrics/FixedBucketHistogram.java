package dev.prism.metrics;

import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * A Prometheus histogram with fixed buckets, labelled by model and method, registered on the
 * Prometheus registry itself, beside Micrometer's meters: the one way the histograms of explanation
 * quality are registered, whose values are mostly fractions (shares, areas, gaps, errors). A
 * Micrometer summary rounds each value up to a whole number before it picks the bucket, which would
 * put every value of [0, 1] into the bucket of 1.
 * Each series appears with its first value; values that are not finite are left out. The label
 * values are the caller's to bound (served model names and method names only).
 */
final class FixedBucketHistogram {
    private final Histogram histogram;

    private FixedBucketHistogram(Histogram histogram) {
        this.histogram = histogram;
    }

    /** Registers the histogram with these bucket upper bounds (+Inf is added); once per registry. */
    static FixedBucketHistogram register(PrometheusRegistry registry, String name, String help, double[] buckets) {
        return new FixedBucketHistogram(Histogram.builder().name(name).help(help).labelNames("model", "method")
                .classicOnly().classicUpperBounds(buckets).withoutExemplars().register(registry));
    }

    void observe(String model, String method, double value) {
        if (Double.isFinite(value)) {
            histogram.labelValues(model, method).observe(value);
        }
    }
}
