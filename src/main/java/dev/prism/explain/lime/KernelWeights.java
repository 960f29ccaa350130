package dev.prism.explain.lime;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;

/**
 * The kernel weights of one neighbourhood, row by row ({@link LimeSurrogate#kernel}), kept as the
 * rows' distances so that the surrogate can be fitted on any first rows of the neighbourhood (an
 * answer at the time budget). A width so narrow that every row away from the instance weighs 0
 * leaves the surrogate only the instance to fit, which says nothing about the features:
 * {@link #values(int)} refuses such a width, naming the distance of the nearest row. Rows at
 * distance 0 (copies of the instance) always weigh 1.
 */
final class KernelWeights {
    private final double width;
    private final double[] distances;

    KernelWeights(int rows, double width) {
        this.width = width;
        this.distances = new double[rows];
    }

    void set(int row, double distance) {
        distances[row] = distance;
    }

    /**
     * The weights of rows [0, rows); INVALID_PARAMS when rows away from the instance exist among them
     * and none of them weighs anything.
     */
    double[] values(int rows) {
        double[] weights = new double[rows];
        boolean away = false;
        boolean weighed = false;
        double nearest = Double.POSITIVE_INFINITY;
        for (int r = 0; r < rows; r++) {
            double d = distances[r];
            weights[r] = LimeSurrogate.kernel(d, width);
            if (d > 0) {
                away = true;
                nearest = Math.min(nearest, d);
                weighed |= weights[r] > 0;
            }
        }
        if (away && !weighed) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "lime.kernel_width", "a kernel width of " + width
                    + " gives weight 0 to every sample but the instance (the nearest is at distance " + nearest
                    + "), so the surrogate has nothing to fit; use a wider kernel, or 0 for the default");
        }
        return weights;
    }
}
