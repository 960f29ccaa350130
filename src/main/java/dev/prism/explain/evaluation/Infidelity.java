package dev.prism.explain.evaluation;

import dev.prism.explain.Link;
import dev.prism.explain.RowStream;
import java.util.List;

/**
 * Infidelity (Yeh et al. 2019) as Captum's {@code captum.metrics.infidelity} computes it for one
 * instance and one output: with a_j = I_jᵀφ and b_j = f(x) − f(x'_j) over n perturbations (I_j, x'_j),
 * <pre>
 *   infidelity            = Σ (a_j − b_j)² / n                         (normalize=False)
 *   β                     = Σ a_j b_j / Σ a_j²   (denominator 1 when Σ a_j² = 0, Captum's safe_div)
 *   normalized infidelity = (β² Σ a_j² − 2β Σ a_j b_j + Σ b_j²) / n    (normalize=True)
 * </pre>
 * The normalised value does not change when φ is scaled. f is the score in the attribution's link
 * space; φ and I are over the input's elements.
 *
 * @param value      Captum's value with normalize=False
 * @param normalized Captum's value with normalize=True
 * @param beta       the scale β that the normalised value applies to φ
 * @param samples    n
 */
public record Infidelity(double value, double normalized, double beta, int samples) {

    /** Model rows it costs: the instance and one row per perturbation. */
    public static long modelRows(int perturbations) {
        return 1L + perturbations;
    }

    /**
     * From the scores already there.
     *
     * @param score          f(x)
     * @param perturbedScores f(x'_j), one per perturbation
     */
    public static Infidelity of(double score, double[] perturbedScores, double[] attributions,
                                List<Perturbation> perturbations) {
        int n = perturbations.size();
        if (n == 0 || perturbedScores.length != n) {
            throw new IllegalArgumentException(perturbedScores.length + " scores for " + n + " perturbations");
        }
        double squaredError = 0;
        double aa = 0;
        double ab = 0;
        double bb = 0;
        for (int j = 0; j < n; j++) {
            double[] vector = perturbations.get(j).vector();
            if (vector.length != attributions.length) {
                throw new IllegalArgumentException("a perturbation of " + vector.length + " values for "
                        + attributions.length + " attributions");
            }
            double a = 0;
            for (int i = 0; i < vector.length; i++) {
                a += vector[i] * attributions[i];
            }
            double b = score - perturbedScores[j];
            squaredError += (a - b) * (a - b);
            aa += a * a;
            ab += a * b;
            bb += b * b;
        }
        double beta = ab / (aa == 0 ? 1 : aa);
        return new Infidelity(squaredError / n, (beta * beta * aa - 2 * beta * ab + bb) / n, beta, n);
    }

    /**
     * Runs the instance and the perturbed inputs through {@code stream}.
     *
     * @param instance     x, flattened
     * @param attributions φ, one per element of x
     * @param column       the model's output column explained
     * @param link         the space φ is in
     */
    public static Infidelity of(RowStream stream, double[] instance, double[] attributions,
                                List<Perturbation> perturbations, int column, Link link) {
        if (attributions.length != instance.length) {
            throw new IllegalArgumentException(attributions.length + " attributions for an input of "
                    + instance.length + " elements");
        }
        int n = perturbations.size();
        double[][] rows = new double[n + 1][];
        rows[0] = instance.clone();
        for (int j = 0; j < n; j++) {
            rows[j + 1] = perturbations.get(j).input();
        }
        double[] scores = AveragedScores.of(stream, n + 1, new double[] {1},
                (from, to) -> RowsOf.range(rows, from, to), column, link,
                item -> item == 0 ? "the instance" : "perturbation " + (item - 1));
        double[] perturbed = new double[n];
        System.arraycopy(scores, 1, perturbed, 0, n);
        return of(scores[0], perturbed, attributions, perturbations);
    }
}
