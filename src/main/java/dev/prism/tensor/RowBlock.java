package dev.prism.tensor;

/**
 * A row-major block of {@code rows × width} doubles: model input rows (one flattened instance per
 * row) or model output rows (one score column per position). The array is shared, not copied.
 */
public final class RowBlock implements RowSource {
    private final int rows;
    private final int width;
    private final double[] data;

    public RowBlock(int rows, int width, double[] data) {
        if (rows < 0 || width < 0 || (long) rows * width != data.length) {
            throw new IllegalArgumentException(
                    "block of " + rows + "x" + width + " cannot hold " + data.length + " values");
        }
        this.rows = rows;
        this.width = width;
        this.data = data;
    }

    public static RowBlock zeros(int rows, int width) {
        return new RowBlock(rows, width, new double[Math.multiplyExact(rows, width)]);
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int width() {
        return width;
    }

    /** The backing array, row-major. */
    public double[] data() {
        return data;
    }

    public double get(int row, int col) {
        return data[row * width + col];
    }

    /** A copy of one row. */
    public double[] row(int row) {
        double[] out = new double[width];
        System.arraycopy(data, row * width, out, 0, width);
        return out;
    }

    @Override
    public void copyRows(int from, int count, double[] dest, int offset) {
        System.arraycopy(data, from * width, dest, offset, count * width);
    }

    @Override
    public void copyRows(int from, int count, float[] dest, int offset) {
        for (int i = from * width, end = (from + count) * width, o = offset; i < end; i++, o++) {
            dest[o] = (float) data[i];
        }
    }

    /** A copy of rows [from, from + count). */
    public RowBlock slice(int from, int count) {
        double[] out = new double[count * width];
        System.arraycopy(data, from * width, out, 0, count * width);
        return new RowBlock(count, width, out);
    }
}
