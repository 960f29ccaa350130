package dev.prism.explain.evaluation;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.Link;
import dev.prism.explain.RowStream;
import dev.prism.runner.NeededOutputs;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;

/**
 * Scores of items through a row stream: each item is a run of model rows (a masked instance over the
 * background, or one perturbed row) whose score is link(Σ_r w_r f_c(row r)) for one output column c.
 * Items go out in chunks of whole items, so the stream checks cancellation between chunks and keeps
 * its bound on rows in flight; the scores do not depend on the chunking.
 */
final class AveragedScores {
    /** Model rows per submitted chunk (at least one item). */
    static final int CHUNK_ROWS = 16_384;
    /** Model rows a stream for these scores keeps in flight. */
    static final int MAX_ROWS_IN_FLIGHT = 4 * CHUNK_ROWS;

    /** The model rows of items [from, to), rowsPerItem each, item after item. */
    @FunctionalInterface
    interface ItemRows {
        RowSource rows(int from, int to);
    }

    /** What item {@code item} is, for an error message naming a row whose output is not finite. */
    @FunctionalInterface
    interface ItemNames {
        String describe(int item);
    }

    private AveragedScores() {}

    /**
     * @param weights one per row of an item, summing to 1
     * @throws PrismException DEADLINE_EXCEEDED when the stream's time budget runs out: a metric has no
     *                        answer from part of its rows
     */
    static double[] of(RowStream stream, int items, double[] weights, ItemRows rows, int column, Link link,
                       ItemNames names) {
        int perItem = weights.length;
        int itemsPerChunk = Math.max(1, CHUNK_ROWS / perItem);
        double[] scores = new double[items];
        boolean done = stream.run(new RowStream.Chunks() {
            int handedOut;
            int absorbed;

            @Override
            public RowStream.Chunk next() {
                if (handedOut == items) {
                    return null;
                }
                int from = handedOut;
                int to = Math.min(items, from + itemsPerChunk);
                handedOut = to;
                RowSource source = rows.rows(from, to);
                NeededOutputs needed = NeededOutputs.scoreColumns(new int[] {column}, row -> "row "
                        + row % perItem + " of " + names.describe(from + row / perItem));
                return new RowStream.Chunk() {
                    @Override
                    public RowSource rows() {
                        return source;
                    }

                    @Override
                    public NeededOutputs needed() {
                        return needed;
                    }

                    @Override
                    public void absorb(RowBlock out) {
                        for (int i = from; i < to; i++) {
                            double sum = 0;
                            int base = (i - from) * perItem;
                            for (int r = 0; r < perItem; r++) {
                                sum += weights[r] * out.get(base + r, column);
                            }
                            scores[i] = link.apply(sum);
                        }
                        absorbed = to;
                    }
                };
            }

            @Override
            public boolean done() {
                return absorbed == items;
            }
        });
        if (!done) {
            throw new PrismException(Reason.DEADLINE_EXCEEDED,
                    "the time budget ran out before the evaluation's model rows were all scored; give it more time");
        }
        return scores;
    }
}
