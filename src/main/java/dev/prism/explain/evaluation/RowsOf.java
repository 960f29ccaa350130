package dev.prism.explain.evaluation;

import dev.prism.tensor.RowBlock;

/** Model rows from row arrays. */
final class RowsOf {
    private RowsOf() {}

    /** Rows [from, to) as one block. */
    static RowBlock range(double[][] rows, int from, int to) {
        int width = rows[from].length;
        double[] data = new double[(to - from) * width];
        for (int r = from; r < to; r++) {
            if (rows[r].length != width) {
                throw new IllegalArgumentException("row " + r + " has " + rows[r].length + " values, not " + width);
            }
            System.arraycopy(rows[r], 0, data, (r - from) * width, width);
        }
        return new RowBlock(to - from, width, data);
    }
}
