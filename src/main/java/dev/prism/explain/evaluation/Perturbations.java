package dev.prism.explain.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The seeded default perturbations of the robustness and fidelity metrics, and the fixed lists of the
 * test mode. Captum draws from torch's generator, which Java does not reproduce: conformance with it
 * goes through {@link #subtracted(double[], double[][])} and {@link #added(double[], double[][])}
 * with the perturbations Captum used.
 */
public final class Perturbations {
    private Perturbations() {}

    /**
     * Infidelity's default, as Captum's examples draw it: I ~ N(0, std²) per element, the model run
     * on x − I.
     */
    public static List<Perturbation> gaussian(double[] instance, double std, int count, long seed) {
        if (!(std > 0) || Double.isInfinite(std) || count < 1) {
            throw new IllegalArgumentException("Gaussian perturbations need a finite std > 0 and a count >= 1, got std "
                    + std + ", count " + count);
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<Perturbation> out = new ArrayList<>(count);
        for (int s = 0; s < count; s++) {
            double[] vector = new double[instance.length];
            for (int i = 0; i < vector.length; i++) {
                vector[i] = std * random.nextGaussian();
            }
            out.add(Perturbation.subtracted(instance, vector));
        }
        return out;
    }

    /** The test mode of infidelity: the given vectors I, the model run on x − I. */
    public static List<Perturbation> subtracted(double[] instance, double[][] vectors) {
        List<Perturbation> out = new ArrayList<>(vectors.length);
        for (double[] v : vectors) {
            requireWidth(instance, v);
            out.add(Perturbation.subtracted(instance, v));
        }
        return out;
    }

    /**
     * Sensitivity's default, as Captum's {@code sensitivity_max} draws it: x + δ with δ uniform on
     * [−radius, radius) per element (the L∞ ball).
     */
    public static double[][] uniformBall(double[] instance, double radius, int count, long seed) {
        if (!(radius > 0) || Double.isInfinite(radius) || count < 1) {
            throw new IllegalArgumentException("uniform perturbations need a finite radius > 0 and a count >= 1, got "
                    + "radius " + radius + ", count " + count);
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[][] out = new double[count][instance.length];
        for (int s = 0; s < count; s++) {
            for (int i = 0; i < instance.length; i++) {
                out[s][i] = instance[i] + random.nextDouble(-radius, radius);
            }
        }
        return out;
    }

    /** The test mode of sensitivity: x + δ for the given offsets δ. */
    public static double[][] added(double[] instance, double[][] offsets) {
        double[][] out = new double[offsets.length][];
        for (int s = 0; s < offsets.length; s++) {
            requireWidth(instance, offsets[s]);
            out[s] = new double[instance.length];
            for (int i = 0; i < instance.length; i++) {
                out[s][i] = instance[i] + offsets[s][i];
            }
        }
        return out;
    }

    private static void requireWidth(double[] instance, double[] perturbation) {
        if (perturbation.length != instance.length) {
            throw new IllegalArgumentException("a perturbation of " + perturbation.length + " values for an instance of "
                    + instance.length);
        }
    }
}
