package dev.prism.explain.lime;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;

/**
 * The kernel weights of one neighbourhood, row by row ({@link LimeSurrogate#kernel}). A width so
 * narrow that every row away from the instance weighs 0 leaves the surrogate only the instance to
 * fit, which says nothing about the features: {@link #values()} refuses such a width, naming the
 * distance of the nearest row. Rows at distance 0 (copies of the instance) always weigh 1.
 */
final class KernelWeights {
    private final double width;
    private final double[] weights;
    /** Whether a row lies away from the instance, the nearest such distance, and whether one of them weighs anything. */
    private boolean away;
    private double nearest = Double.POSITIVE_INFINITY;
    private boolean weighed;

    KernelWeights(int rows, double width) {
        this.width = width;
        this.weights = new double[rows];
    }

    void set(int row, double distance) {
        double w = LimeSurrogate.kernel(distance, width);
        weights[row] = w;
        if (distance > 0) {
            away = true;
            nearest = Math.min(nearest, distance);
            weighed |= w > 0;
        }
    }

    /** Every row's weight; INVALID_PARAMS when rows away from the instance exist and none of them weighs anything. */
    double[] values() {
        if (away && !weighed) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "lime.kernel_width", "a kernel width of " + width
                    + " gives weight 0 to every sample but the instance (the nearest is at distance " + nearest
                    + "), so the surrogate has nothing to fit; use a wider kernel, or 0 for the default");
        }
        return weights;
    }
}
