package dev.prism.tensor;

/**
 * Rows of doubles that can be written out on demand, so that synthetic rows (e.g. masked
 * coalitions) go straight into a model's input buffer without being materialised first.
 */
public interface RowSource {
    int rows();

    int width();

    /** Writes rows [from, from + count) row-major into dest starting at offset. */
    void copyRows(int from, int count, double[] dest, int offset);

    /** Writes rows [from, from + count) row-major into dest starting at offset, narrowed to float. */
    void copyRows(int from, int count, float[] dest, int offset);
}
