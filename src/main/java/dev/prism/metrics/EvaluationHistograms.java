package dev.prism.metrics;

import dev.prism.explain.evaluation.Evaluation;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;

/**
 * The evaluation metrics of explanations as {@link FixedBucketHistogram}s, labelled by model and
 * method, so that quantiles can be taken across replicas. Each series appears with its first value.
 */
final class EvaluationHistograms {
    /** Bucket bounds of the metrics whose values lie in [0, 1]. */
    static final double[] SHARE_BUCKETS = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1};
    /** Entropy in nats: ln M for M equal features (ln 10 = 2.3, ln 1000 = 6.9). */
    static final double[] ENTROPY_BUCKETS = {0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8};
    static final double[] FEATURE_BUCKETS = {1, 2, 3, 4, 5, 8, 10, 15, 20, 30, 50, 100, 200, 500, 1000};
    /** Infidelity and max-sensitivity, which span decades. */
    static final double[] DECADE_BUCKETS = {1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 0.5, 1, 2, 5, 10, 100};

    private final FixedBucketHistogram deletion;
    private final FixedBucketHistogram insertion;
    private final FixedBucketHistogram infidelity;
    private final FixedBucketHistogram infidelityNormalized;
    private final FixedBucketHistogram sensitivity;
    private final FixedBucketHistogram rankStability;
    private final FixedBucketHistogram entropy;
    private final FixedBucketHistogram effectiveFeatures;

    /** Registers the histograms; once per registry. */
    EvaluationHistograms(PrometheusRegistry registry) {
        deletion = FixedBucketHistogram.register(registry, "prism_explanation_deletion_area_normalized",
                "Area under the deletion curve, rescaled by the range of the explanation's two curves to [0, 1]",
                SHARE_BUCKETS);
        insertion = FixedBucketHistogram.register(registry, "prism_explanation_insertion_area_normalized",
                "Area under the insertion curve, rescaled by the range of the explanation's two curves to [0, 1]",
                SHARE_BUCKETS);
        infidelity = FixedBucketHistogram.register(registry, "prism_explanation_infidelity",
                "Infidelity (Captum, normalize=False)", DECADE_BUCKETS);
        infidelityNormalized = FixedBucketHistogram.register(registry, "prism_explanation_infidelity_normalized",
                "Infidelity (Captum, normalize=True)", DECADE_BUCKETS);
        sensitivity = FixedBucketHistogram.register(registry, "prism_explanation_sensitivity_max",
                "Max-sensitivity (Captum sensitivity_max)", DECADE_BUCKETS);
        rankStability = FixedBucketHistogram.register(registry, "prism_explanation_rank_stability",
                "Mean share of the top-k features kept under perturbation", SHARE_BUCKETS);
        entropy = FixedBucketHistogram.register(registry, "prism_explanation_entropy",
                "Entropy of the normalised |attributions| (nats)", ENTROPY_BUCKETS);
        effectiveFeatures = FixedBucketHistogram.register(registry, "prism_explanation_effective_features",
                "Features reaching the fraction of the sum of |attributions|", FEATURE_BUCKETS);
    }

    /** Records each explanation's evaluation: the metrics it has. */
    void record(String model, String method, List<Evaluation> evaluations) {
        for (Evaluation e : evaluations) {
            if (e.deletion() != null) {
                deletion.observe(model, method, e.deletion().normalizedArea(e.insertion()));
                insertion.observe(model, method, e.insertion().normalizedArea(e.deletion()));
            }
            if (e.infidelity() != null) {
                infidelity.observe(model, method, e.infidelity().value());
                infidelityNormalized.observe(model, method, e.infidelity().normalized());
            }
            if (e.sensitivity() != null) {
                sensitivity.observe(model, method, e.sensitivity().value());
                rankStability.observe(model, method, e.rankStability().value());
            }
            if (e.complexity() != null) {
                entropy.observe(model, method, e.complexity().entropy());
                effectiveFeatures.observe(model, method, e.complexity().effectiveFeatures());
            }
        }
    }
}
