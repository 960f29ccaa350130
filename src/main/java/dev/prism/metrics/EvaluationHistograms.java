package dev.prism.metrics;

import dev.prism.explain.evaluation.Evaluation;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;

/**
 * The evaluation metrics of explanations as Prometheus histograms with fixed buckets, labelled by
 * model and method, so that quantiles can be taken across replicas. They are registered on the
 * Prometheus registry itself, beside Micrometer's meters: a Micrometer summary rounds each value up
 * to a whole number before it picks the bucket, which would put every value of [0, 1] into the
 * bucket of 1. Each series appears with its first value; values that are not finite are left out.
 * The label values are the caller's to bound (served model names and method names only).
 */
public final class EvaluationHistograms {
    /** Bucket bounds of the metrics whose values lie in [0, 1]. */
    static final double[] SHARE_BUCKETS = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1};
    /** Entropy in nats: ln M for M equal features (ln 10 = 2.3, ln 1000 = 6.9). */
    static final double[] ENTROPY_BUCKETS = {0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8};
    static final double[] FEATURE_BUCKETS = {1, 2, 3, 4, 5, 8, 10, 15, 20, 30, 50, 100, 200, 500, 1000};
    /** Infidelity and max-sensitivity, which span decades. */
    static final double[] DECADE_BUCKETS = {1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 0.5, 1, 2, 5, 10, 100};

    private final Histogram deletion;
    private final Histogram insertion;
    private final Histogram infidelity;
    private final Histogram infidelityNormalized;
    private final Histogram sensitivity;
    private final Histogram rankStability;
    private final Histogram entropy;
    private final Histogram effectiveFeatures;

    /** Registers the histograms; once per registry. */
    public EvaluationHistograms(PrometheusRegistry registry) {
        deletion = histogram(registry, "prism_explanation_deletion_area_normalized", "Area under the deletion curve,"
                + " rescaled by the range of the explanation's two curves to [0, 1]", SHARE_BUCKETS);
        insertion = histogram(registry, "prism_explanation_insertion_area_normalized", "Area under the insertion"
                + " curve, rescaled by the range of the explanation's two curves to [0, 1]", SHARE_BUCKETS);
        infidelity = histogram(registry, "prism_explanation_infidelity", "Infidelity (Captum, normalize=False)",
                DECADE_BUCKETS);
        infidelityNormalized = histogram(registry, "prism_explanation_infidelity_normalized",
                "Infidelity (Captum, normalize=True)", DECADE_BUCKETS);
        sensitivity = histogram(registry, "prism_explanation_sensitivity_max",
                "Max-sensitivity (Captum sensitivity_max)", DECADE_BUCKETS);
        rankStability = histogram(registry, "prism_explanation_rank_stability",
                "Mean share of the top-k features kept under perturbation", SHARE_BUCKETS);
        entropy = histogram(registry, "prism_explanation_entropy", "Entropy of the normalised |attributions| (nats)",
                ENTROPY_BUCKETS);
        effectiveFeatures = histogram(registry, "prism_explanation_effective_features",
                "Features reaching the fraction of the sum of |attributions|", FEATURE_BUCKETS);
    }

    private static Histogram histogram(PrometheusRegistry registry, String name, String help, double[] buckets) {
        return Histogram.builder().name(name).help(help).labelNames("model", "method").classicOnly()
                .classicUpperBounds(buckets).withoutExemplars().register(registry);
    }

    /** Records each explanation's evaluation: the metrics it has. */
    public void record(String model, String method, List<Evaluation> evaluations) {
        for (Evaluation e : evaluations) {
            if (e.deletion() != null) {
                observe(deletion, model, method, e.deletion().normalizedArea(e.insertion()));
                observe(insertion, model, method, e.insertion().normalizedArea(e.deletion()));
            }
            if (e.infidelity() != null) {
                observe(infidelity, model, method, e.infidelity().value());
                observe(infidelityNormalized, model, method, e.infidelity().normalized());
            }
            if (e.sensitivity() != null) {
                observe(sensitivity, model, method, e.sensitivity().value());
                observe(rankStability, model, method, e.rankStability().value());
            }
            if (e.complexity() != null) {
                observe(entropy, model, method, e.complexity().entropy());
                observe(effectiveFeatures, model, method, e.complexity().effectiveFeatures());
            }
        }
    }

    private static void observe(Histogram histogram, String model, String method, double value) {
        if (Double.isFinite(value)) {
            histogram.labelValues(model, method).observe(value);
        }
    }
}
