package dev.prism.explain.gradient;

import dev.prism.explain.ExplainInput;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.RowStream;
import dev.prism.explain.TimeBudget;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.NeededOutputs;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;

/**
 * A gradient explanation's rows, streamed through the attribution graph's runner by a
 * {@link RowStream}. Every (instance, output) pair takes the same number of rows, its steps; rows
 * are numbered instance by instance, output by output, step by step, written on demand when their
 * batch is assembled, submitted in chunks, and read back strictly in that order. Explainers fold
 * each row into their state as it is read, so results never depend on chunk or batch sizes and only
 * the current instance's state is held. Gradient methods have no answer before their last row (an
 * explanation of fewer instances or fewer steps is not a partial one), so the stream runs without a
 * time budget.
 */
final class AttributionRows {
    /** Rows per submitted chunk. */
    static final int CHUNK_ROWS = 4096;
    /** Chunks in flight per request. */
    static final int MAX_CHUNKS_IN_FLIGHT = 4;

    /** Writes one graph input row; called from scheduler threads, so it must only read shared state. */
    @FunctionalInterface
    interface Writer {
        void write(int instance, int output, int step, double[] dest, int offset);
    }

    /** Takes one graph output row, at {@code out[offset ...]}. */
    @FunctionalInterface
    interface Reader {
        void read(int instance, int output, int step, double[] out, int offset);
    }

    private final BatchRunner runner;
    private final ProgressSink progress;
    private final RequestContext context;
    private final int chunkRows;
    private long instanceStarted;

    /**
     * Bytes a gradient explanation holds at its peak besides its input: the chunks in flight with
     * their outputs, and the current instance's sums for every output.
     */
    static long workingBytes(ExplainInput input, int chunkRows, int outputWidth) {
        long inFlight = RowStream.bytesInFlight((long) MAX_CHUNKS_IN_FLIGHT * chunkRows, outputWidth, 2);
        long instance = 4L * input.outputCount() * input.instances().width() * Double.BYTES;
        return inFlight + instance;
    }

    AttributionRows(BatchRunner runner, ProgressSink progress, RequestContext context, int chunkRows) {
        this.runner = runner;
        this.progress = progress;
        this.context = context;
        this.chunkRows = chunkRows;
    }

    /**
     * Evaluates {@code instances × outputs × steps} rows.
     *
     * @param afterChunk runs after each chunk has been read (for running estimates)
     */
    void run(int instances, int outputs, int steps, Writer writer, Reader reader, Runnable afterChunk) {
        Layout layout = new Layout((long) instances * outputs * steps, outputs, steps, writer, reader, afterChunk);
        progress.total(layout.total);
        new RowStream(runner, progress, context, TimeBudget.NONE, (long) MAX_CHUNKS_IN_FLIGHT * chunkRows)
                .run(layout);
    }

    /** The request's rows in their order, handed out in chunks. */
    private final class Layout implements RowStream.Chunks {
        final long total;
        final int outputs;
        final int steps;
        final Writer writer;
        final Reader reader;
        final Runnable afterChunk;
        long next;
        long read;

        Layout(long total, int outputs, int steps, Writer writer, Reader reader, Runnable afterChunk) {
            this.total = total;
            this.outputs = outputs;
            this.steps = steps;
            this.writer = writer;
            this.reader = reader;
            this.afterChunk = afterChunk;
        }

        @Override
        public RowStream.Chunk next() {
            if (next == total) {
                return null;
            }
            int count = (int) Math.min(chunkRows, total - next);
            Chunk chunk = new Chunk(this, new Rows(next, count, runner.inputWidth(), outputs, steps, writer));
            next += count;
            return chunk;
        }

        @Override
        public boolean done() {
            return read == total;
        }

        /** What row {@code row} of the request is, for an error message. */
        String describe(long row) {
            return "instance " + row / steps / outputs + ", the request's output " + row / steps % outputs
                    + (steps > 1 ? ", step " + row % steps + " of " + steps : "");
        }

        void read(long first, RowBlock out, long submitted) {
            int outWidth = out.width();
            for (int r = 0; r < out.rows(); r++) {
                long row = first + r;
                int step = (int) (row % steps);
                int output = (int) (row / steps % outputs);
                int instance = (int) (row / steps / outputs);
                if (output == 0 && step == 0) {
                    instanceStarted = submitted;
                }
                reader.read(instance, output, step, out.data(), r * outWidth);
            }
            read += out.rows();
            afterChunk.run();
        }
    }

    /** Rows of the layout, with the moment they were handed out to be submitted. */
    private record Chunk(Layout layout, Rows rows, long submitted) implements RowStream.Chunk {
        Chunk(Layout layout, Rows rows) {
            this(layout, rows, System.nanoTime());
        }

        @Override
        public NeededOutputs needed() {
            return NeededOutputs.attributionRows(r -> layout.describe(rows.first + r));
        }

        @Override
        public void absorb(RowBlock out) {
            layout.read(rows.first, out, submitted);
        }
    }

    /** Seconds since the instance being read had its first row submitted. */
    double elapsedSeconds() {
        return (System.nanoTime() - instanceStarted) / 1e9;
    }

    /** Rows [first, first + count) of the request, written when the scheduler copies them. */
    private record Rows(long first, int count, int width, int outputs, int steps, Writer writer) implements RowSource {
        @Override
        public int rows() {
            return count;
        }

        @Override
        public void copyRows(int from, int n, double[] dest, int offset) {
            for (int r = 0; r < n; r++) {
                write(from + r, dest, offset + r * width);
            }
        }

        @Override
        public void copyRows(int from, int n, float[] dest, int offset) {
            double[] row = new double[width];
            for (int r = 0; r < n; r++) {
                write(from + r, row, 0);
                for (int c = 0; c < width; c++) {
                    dest[offset + r * width + c] = (float) row[c];
                }
            }
        }

        private void write(int local, double[] dest, int offset) {
            long row = first + local;
            writer.write((int) (row / steps / outputs), (int) (row / steps % outputs), (int) (row % steps), dest,
                    offset);
        }
    }
}
