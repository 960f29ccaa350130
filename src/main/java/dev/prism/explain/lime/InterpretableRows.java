package dev.prism.explain.lime;

import dev.prism.tensor.RowSource;

/**
 * A neighbourhood's interpretable rows, appended in order and kept until the surrogate is fitted:
 * bit-packed when every value is 0 or 1 (discretised and masked neighbourhoods), so that many
 * instances can hold their neighbourhoods at once.
 */
final class InterpretableRows implements RowSource {
    private final int columns;
    private final boolean binary;
    private final int wordsPerRow;
    private final long[] bits;
    private final double[] values;
    private int rows;

    private InterpretableRows(int columns, int capacity, boolean binary) {
        this.columns = columns;
        this.binary = binary;
        this.wordsPerRow = (columns + 63) >>> 6;
        this.bits = binary ? new long[Math.multiplyExact(capacity, wordsPerRow)] : null;
        this.values = binary ? null : new double[Math.multiplyExact(capacity, columns)];
    }

    /** Room for {@code capacity} rows of 0/1 values. */
    static InterpretableRows binary(int columns, int capacity) {
        return new InterpretableRows(columns, capacity, true);
    }

    /** Room for {@code capacity} rows of any values. */
    static InterpretableRows dense(int columns, int capacity) {
        return new InterpretableRows(columns, capacity, false);
    }

    /** Values a neighbourhood of this many rows and columns keeps, in doubles, for memory budgets. */
    static long footprint(int columns, int rows, boolean binary) {
        return (long) rows * (binary ? (columns + 63) >>> 6 : columns);
    }

    void add(double[] row) {
        if (binary) {
            int base = rows * wordsPerRow;
            for (int j = 0; j < columns; j++) {
                if (row[j] == 1) {
                    bits[base + (j >>> 6)] |= 1L << j;
                } else if (row[j] != 0) {
                    throw new IllegalArgumentException("column " + j + " holds " + row[j] + ", not 0 or 1");
                }
            }
        } else {
            System.arraycopy(row, 0, values, rows * columns, columns);
        }
        rows++;
    }

    /** The first {@code count} rows (the neighbourhood a surrogate is fitted on when time is up). */
    RowSource first(int count) {
        if (count > rows) {
            throw new IllegalArgumentException(count + " rows asked of " + rows);
        }
        InterpretableRows all = this;
        return count == rows ? this : new RowSource() {
            @Override
            public int rows() {
                return count;
            }

            @Override
            public int width() {
                return columns;
            }

            @Override
            public void copyRows(int from, int n, double[] dest, int offset) {
                all.copyRows(from, n, dest, offset);
            }

            @Override
            public void copyRows(int from, int n, float[] dest, int offset) {
                all.copyRows(from, n, dest, offset);
            }
        };
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int width() {
        return columns;
    }

    @Override
    public void copyRows(int from, int count, double[] dest, int offset) {
        if (!binary) {
            System.arraycopy(values, from * columns, dest, offset, count * columns);
            return;
        }
        for (int r = 0; r < count; r++) {
            int base = (from + r) * wordsPerRow;
            int at = offset + r * columns;
            for (int j = 0; j < columns; j++) {
                dest[at + j] = (bits[base + (j >>> 6)] >>> j & 1L);
            }
        }
    }

    @Override
    public void copyRows(int from, int count, float[] dest, int offset) {
        double[] row = new double[columns];
        for (int r = 0; r < count; r++) {
            copyRows(from + r, 1, row, 0);
            for (int j = 0; j < columns; j++) {
                dest[offset + r * columns + j] = (float) row[j];
            }
        }
    }
}
