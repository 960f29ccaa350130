package dev.prism.model;

import dev.prism.tensor.RowSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Rows for one model run, gathered from several callers' sources without copying them: an ordered
 * list of segments, each a run of consecutive rows of one source. The model writes them into its
 * input buffer.
 */
public final class RowBatch {
    /** Rows [from, from + count) of source. */
    public record Segment(RowSource source, int from, int count) {}

    private final int width;
    private final List<Segment> segments = new ArrayList<>();
    private int rows;
    private BooleanSupplier abandoned = () -> false;

    public RowBatch(int width) {
        this.width = width;
    }

    public static RowBatch of(RowSource source) {
        RowBatch batch = new RowBatch(source.width());
        batch.add(source, 0, source.rows());
        return batch;
    }

    public void add(RowSource source, int from, int count) {
        if (source.width() != width) {
            throw new IllegalArgumentException("row width " + source.width() + " != " + width);
        }
        if (from < 0 || count < 0 || from + count > source.rows()) {
            throw new IndexOutOfBoundsException(from + "+" + count + " of " + source.rows());
        }
        segments.add(new Segment(source, from, count));
        rows += count;
    }

    public int rows() {
        return rows;
    }

    public int width() {
        return width;
    }

    public List<Segment> segments() {
        return Collections.unmodifiableList(segments);
    }

    /**
     * Says how to tell that nobody waits for this batch's rows any more (every request they belong
     * to was cancelled, passed its deadline or stopped): a model whose run can be abandoned half-way,
     * such as a call to another server, checks it while it waits.
     */
    public void abandonedWhen(BooleanSupplier check) {
        abandoned = check;
    }

    /** True once nobody waits for any of the batch's rows; a model may then stop its run and throw. */
    public boolean abandoned() {
        return abandoned.getAsBoolean();
    }
}
