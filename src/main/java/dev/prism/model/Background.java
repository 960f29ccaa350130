package dev.prism.model;

import dev.prism.tensor.RowBlock;
import java.util.Arrays;

/**
 * Background rows for interventional masking, with weights normalised to sum 1.
 */
public record Background(RowBlock rows, double[] weights) {

    public Background {
        if (rows.rows() == 0) {
            throw new IllegalArgumentException("a background needs at least one row");
        }
        if (weights.length != rows.rows()) {
            throw new IllegalArgumentException(weights.length + " weights for " + rows.rows() + " rows");
        }
        double sum = 0;
        for (double w : weights) {
            if (!(w >= 0) || Double.isInfinite(w)) {
                throw new IllegalArgumentException("background weights must be finite and >= 0");
            }
            sum += w;
        }
        if (sum <= 0) {
            throw new IllegalArgumentException("background weights must not all be zero");
        }
        double total = sum;
        weights = Arrays.stream(weights).map(w -> w / total).toArray();
    }

    public static Background uniform(RowBlock rows) {
        double[] w = new double[rows.rows()];
        Arrays.fill(w, 1.0);
        return new Background(rows, w);
    }

    public int size() {
        return rows.rows();
    }

    @Override
    public double[] weights() {
        return weights.clone();
    }

    public double weight(int row) {
        return weights[row];
    }
}
