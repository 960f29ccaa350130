package dev.prism.explain.evaluation;

/**
 * One perturbation of an instance, as Captum's perturbation functions return it: the vector I
 * that the attribution is dotted with, and the perturbed input the model is run on (x − I for
 * infidelity's noise; x + δ for sensitivity, whose metric reads only the input).
 *
 * @param vector I, one value per input element
 * @param input  the perturbed input, flattened
 */
public record Perturbation(double[] vector, double[] input) {

    public Perturbation {
        if (vector.length != input.length) {
            throw new IllegalArgumentException("a perturbation of " + vector.length + " values for an input of "
                    + input.length);
        }
        vector = vector.clone();
        input = input.clone();
    }

    @Override
    public double[] vector() {
        return vector.clone();
    }

    @Override
    public double[] input() {
        return input.clone();
    }

    /** I and x − I. */
    public static Perturbation subtracted(double[] instance, double[] vector) {
        double[] input = new double[instance.length];
        for (int i = 0; i < input.length; i++) {
            input[i] = instance[i] - vector[i];
        }
        return new Perturbation(vector, input);
    }
}
