package dev.prism.runner;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.tensor.RowBlock;
import java.util.Locale;

/**
 * What an explanation reads of one block of model outputs: which columns, and what each row of the
 * block is to the request. {@link BatchRunner#await(java.util.concurrent.CompletableFuture, NeededOutputs)}
 * checks those values before an explainer sees them, so a NaN or an infinity from the model fails
 * the request with MODEL_OUTPUT_NOT_FINITE, naming the rows, instead of flowing into the answer.
 * Columns the explanation does not read may hold anything.
 */
public final class NeededOutputs {
    /** What row {@code row} of a block is, for an error message: "instance 0, a perturbed row". */
    @FunctionalInterface
    public interface RowNames {
        String describe(int row);
    }

    private final String source;
    /** The columns read; null for every column. */
    private final int[] columns;
    private final String columnWord;
    private final RowNames rows;

    private NeededOutputs(String source, int[] columns, String columnWord, RowNames rows) {
        this.source = source;
        this.columns = columns == null ? null : columns.clone();
        this.columnWord = columnWord;
        this.rows = rows;
    }

    /** The model's score columns {@code columns} of every row. */
    public static NeededOutputs scoreColumns(int[] columns, RowNames rows) {
        return new NeededOutputs("the model", columns, "output column", rows);
    }

    /** Every column of every row of an attribution graph (gradients and the scores they belong to). */
    public static NeededOutputs attributionRows(RowNames rows) {
        return new NeededOutputs("the model's attribution graph", null, "column", rows);
    }

    /**
     * Returns {@code out} when every value read is finite.
     *
     * @throws PrismException MODEL_OUTPUT_NOT_FINITE naming how many rows have a NaN or an infinity,
     *                        the first of them and its first such column
     */
    public RowBlock requireFinite(RowBlock out) {
        double[] data = out.data();
        int width = out.width();
        int badRows = 0;
        int firstRow = -1;
        int firstColumn = -1;
        for (int r = 0; r < out.rows(); r++) {
            int bad = firstNonFinite(data, r * width, width);
            if (bad >= 0) {
                if (badRows++ == 0) {
                    firstRow = r;
                    firstColumn = bad;
                }
            }
        }
        if (badRows == 0) {
            return out;
        }
        double value = out.get(firstRow, firstColumn);
        throw new PrismException(Reason.MODEL_OUTPUT_NOT_FINITE, String.format(Locale.ROOT,
                "%s returned %s for %s %d on %,d of %,d rows; first row: %s",
                source, Double.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf", columnWord, firstColumn,
                badRows, out.rows(), rows.describe(firstRow)));
    }

    /** The first column read that is not finite in the row at {@code offset}, or -1. */
    private int firstNonFinite(double[] data, int offset, int width) {
        if (columns == null) {
            for (int c = 0; c < width; c++) {
                if (!Double.isFinite(data[offset + c])) {
                    return c;
                }
            }
            return -1;
        }
        int first = -1;
        for (int c : columns) {
            if (!Double.isFinite(data[offset + c]) && (first < 0 || c < first)) {
                first = c;
            }
        }
        return first;
    }
}
