package dev.prism.explain.evaluation;

/**
 * Max-sensitivity (Yeh et al. 2019) as Captum's {@code sensitivity_max} computes it with
 * {@code norm_ord='fro'} for one instance: the largest relative change of the explanation over the
 * perturbed inputs x'_j,
 * <pre>
 *   max_j ‖φ(x'_j) − φ(x)‖₂ / ‖φ(x)‖₂      (the denominator 1 when ‖φ(x)‖₂ = 0, as Captum does)
 * </pre>
 * with the norms over every element of the explanation. Captum's default inputs are x + δ with δ
 * uniform in the L∞ ball of radius 0.02 ({@link Perturbations#uniformBall}), 10 of them.
 *
 * @param value          the maximum
 * @param sensitivities  the relative change at each perturbed input
 * @param perturbedAttributions φ(x'_j), kept for {@link RankStability} over the same inputs
 */
public record SensitivityMax(double value, double[] sensitivities, double[][] perturbedAttributions) {

    /** The explanation re-run on perturbed inputs: one attribution row per input, in order. */
    @FunctionalInterface
    public interface Explanations {
        double[][] explain(double[][] inputs);
    }

    public SensitivityMax {
        sensitivities = sensitivities.clone();
        perturbedAttributions = perturbedAttributions.clone();
    }

    @Override
    public double[] sensitivities() {
        return sensitivities.clone();
    }

    @Override
    public double[][] perturbedAttributions() {
        return perturbedAttributions.clone();
    }

    /** From φ(x) and the explanations of the perturbed inputs. */
    public static SensitivityMax of(double[] attributions, double[][] perturbedAttributions) {
        if (perturbedAttributions.length == 0) {
            throw new IllegalArgumentException("max-sensitivity needs at least one perturbed input");
        }
        double norm = norm(attributions, null);
        double denominator = norm == 0 ? 1 : norm;
        double[] sensitivities = new double[perturbedAttributions.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < sensitivities.length; j++) {
            if (perturbedAttributions[j].length != attributions.length) {
                throw new IllegalArgumentException("explanation " + j + " has " + perturbedAttributions[j].length
                        + " values, the instance's " + attributions.length);
            }
            sensitivities[j] = norm(perturbedAttributions[j], attributions) / denominator;
            max = Math.max(max, sensitivities[j]);
        }
        return new SensitivityMax(max, sensitivities, perturbedAttributions);
    }

    /** Explains the perturbed inputs (one call, so an explainer can batch them) and compares. */
    public static SensitivityMax of(double[] attributions, double[][] perturbedInputs, Explanations explanations) {
        double[][] explained = explanations.explain(perturbedInputs);
        if (explained.length != perturbedInputs.length) {
            throw new IllegalArgumentException(explained.length + " explanations for " + perturbedInputs.length
                    + " perturbed inputs");
        }
        return of(attributions, explained);
    }

    /** ‖a − b‖₂ (‖a‖₂ for b null), scaled against overflow. */
    private static double norm(double[] a, double[] b) {
        double scale = 0;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.abs(a[i] - (b == null ? 0 : b[i])));
        }
        if (scale == 0 || Double.isInfinite(scale)) {
            return scale;
        }
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (a[i] - (b == null ? 0 : b[i])) / scale;
            sum += d * d;
        }
        return scale * Math.sqrt(sum);
    }
}
