package dev.prism.model;

import dev.prism.tensor.RowBlock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Rows for one model run, gathered from several callers' blocks without copying them: an ordered
 * list of segments, each a run of consecutive rows of one block.
 */
public final class RowBatch {
    /** Rows [from, from + count) of block. */
    public record Segment(RowBlock block, int from, int count) {}

    private final int width;
    private final List<Segment> segments = new ArrayList<>();
    private int rows;

    public RowBatch(int width) {
        this.width = width;
    }

    public static RowBatch of(RowBlock block) {
        RowBatch batch = new RowBatch(block.width());
        batch.add(block, 0, block.rows());
        return batch;
    }

    public void add(RowBlock block, int from, int count) {
        if (block.width() != width) {
            throw new IllegalArgumentException("row width " + block.width() + " != " + width);
        }
        if (from < 0 || count < 0 || from + count > block.rows()) {
            throw new IndexOutOfBoundsException(from + "+" + count + " of " + block.rows());
        }
        segments.add(new Segment(block, from, count));
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
}
