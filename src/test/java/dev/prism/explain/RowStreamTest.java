package dev.prism.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.NeededOutputs;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;
import dev.prism.testing.ExplainerRun;
import dev.prism.testing.FunctionModel;
import dev.prism.testing.RecordingProgress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RowStreamTest {
    private static final NeededOutputs ANY = NeededOutputs.scoreColumns(new int[] {0}, row -> "row " + row);

    /** The model: row (chunk, r) scores chunk * 1000 + r, so each output says where it came from. */
    private final FunctionModel model = new FunctionModel(2, 1, x -> new double[] {x[0] * 1000 + x[1]});

    /** The chunks streamed through the model on the submitting thread, each submit one run of it. */
    private ExplainerRun<Boolean> stream(RowStream.Chunks chunks, long maxRowsInFlight) {
        return ExplainerRun.of((runner, progress, context, budget) ->
                new RowStream(runner, progress, context, budget, maxRowsInFlight).run(chunks))
                .on(model).synchronously();
    }

    /** Rows every answer needs, evaluated through the stream. */
    private ExplainerRun<RowBlock> evaluate(RowBlock rows) {
        return ExplainerRun.of((runner, progress, context, budget) ->
                new RowStream(runner, progress, context, budget, 10).evaluate(rows, ANY)).on(model).synchronously();
    }

    /** Chunks of the given sizes, in order; keeps which were handed out and which absorbed. */
    private static final class Sizes implements RowStream.Chunks {
        final int[] sizes;
        final List<Integer> absorbed = new ArrayList<>();
        int handedOut;
        long rowsHandedOut;
        long rowsAbsorbed;
        long mostInFlight;

        Sizes(int... sizes) {
            this.sizes = sizes;
        }

        @Override
        public RowStream.Chunk next() {
            if (handedOut == sizes.length) {
                return null;
            }
            int index = handedOut++;
            double[] rows = new double[sizes[index] * 2];
            for (int r = 0; r < sizes[index]; r++) {
                rows[2 * r] = index;
                rows[2 * r + 1] = r;
            }
            rowsHandedOut += sizes[index];
            mostInFlight = Math.max(mostInFlight, rowsHandedOut - rowsAbsorbed);
            RowBlock block = new RowBlock(sizes[index], 2, rows);
            return new RowStream.Chunk() {
                @Override
                public RowSource rows() {
                    return block;
                }

                @Override
                public NeededOutputs needed() {
                    return ANY;
                }

                @Override
                public void absorb(RowBlock out) {
                    assertEquals(sizes[index], out.rows());
                    for (int r = 0; r < out.rows(); r++) {
                        assertEquals(index * 1000 + r, out.get(r, 0), "chunk " + index + " row " + r);
                    }
                    absorbed.add(index);
                    rowsAbsorbed += out.rows();
                }
            };
        }

        @Override
        public boolean done() {
            return absorbed.size() == sizes.length;
        }
    }

    @Test
    void chunksComeBackInOrderWithTheirOwnOutputsWithinTheBoundOfRowsInFlight() {
        RecordingProgress progress = new RecordingProgress();
        Sizes chunks = new Sizes(3, 3, 3, 3, 3, 3, 1, 5);
        assertTrue(stream(chunks, 10).progress(progress).run());
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), chunks.absorbed);
        assertEquals(List.of(3, 3, 3, 3, 3, 3, 1, 5), model.batchSizes());
        assertEquals(24, progress.done);
        // Chunks go out while fewer than 10 rows are in flight: 0, 3, 6, 9, then no more.
        assertEquals(12, chunks.mostInFlight);
    }

    @ParameterizedTest
    @EnumSource(value = Reason.class, names = {"CANCELLED", "DEADLINE_EXCEEDED", "SHUTTING_DOWN"})
    void aCancellationStopsTheStreamBeforeItsNextChunk(Reason reason) {
        Sizes chunks = new Sizes(2, 2, 2, 2, 2, 2);
        PrismException e = assertThrows(PrismException.class,
                () -> stream(chunks, 100).cancelAfterSubmits(2, reason).run());
        assertEquals(reason, e.reason());
        // Room for all six, but none went out after the cancellation, and none came back.
        assertEquals(List.of(2, 2), model.batchSizes());
        assertEquals(List.of(), chunks.absorbed);
    }

    @Test
    void atTheTimeBudgetItStopsWithTheChunksAbsorbedUntilThen() {
        // The clock is the rows that came back: the budget is spent once 12 have.
        Sizes chunks = new Sizes(5, 5, 5, 5, 5, 5);
        ExplainerRun<Boolean> stream = stream(chunks, 10).budgetOfRows(12);
        assertFalse(stream.run());
        assertEquals(List.of(0, 1, 2), chunks.absorbed);
        assertFalse(stream.partial(), "partial is the explainer's to say");
    }

    @Test
    void aBudgetSpentWithTheLastChunkIsNoStop() {
        Sizes chunks = new Sizes(5, 5, 5);
        assertTrue(stream(chunks, 100).budgetOfRows(15).run());
        assertEquals(List.of(0, 1, 2), chunks.absorbed);
    }

    /** Its own runner: one that never answers, so the budget runs out with rows in flight. */
    @Test
    void aBudgetThatRunsOutWhileTheModelWorksAbandonsWhatIsInFlight() {
        AtomicLong clock = new AtomicLong();
        List<CompletableFuture<RowBlock>> submitted = new ArrayList<>();
        BatchRunner never = new BatchRunner() {
            @Override
            public int inputWidth() {
                return 2;
            }

            @Override
            public int outputWidth() {
                return 1;
            }

            @Override
            public CompletableFuture<RowBlock> submit(RowSource rows) {
                clock.set(1); // the budget runs out while the model holds the rows
                CompletableFuture<RowBlock> future = new CompletableFuture<>();
                submitted.add(future);
                return future;
            }
        };
        Sizes chunks = new Sizes(4, 4, 4);
        assertFalse(new RowStream(never, new RecordingProgress(), new RequestContext(),
                TimeBudget.until(1, clock::get), 8).run(chunks));
        assertEquals(2, submitted.size());
        assertEquals(List.of(), chunks.absorbed);
    }

    @Test
    void theRowsEveryAnswerNeedsAreRefusedOnceTheBudgetIsSpent() {
        PrismException e = assertThrows(PrismException.class,
                () -> evaluate(new RowBlock(1, 2, new double[2])).budgetOfRows(0).run());
        assertEquals(Reason.DEADLINE_EXCEEDED, e.reason());
        assertEquals(List.of(), model.batchSizes());
    }

    @Test
    void theRowsEveryAnswerNeedsCountInTheProgress() {
        RecordingProgress progress = new RecordingProgress();
        RowBlock out = evaluate(new RowBlock(2, 2, new double[] {1, 2, 3, 4})).progress(progress).run();
        assertEquals(1002, out.get(0, 0));
        assertEquals(3004, out.get(1, 0));
        assertEquals(2, progress.done);
    }

    @Test
    void nothingInFlightNothingReadyAndNotDoneIsAStall() {
        RowStream.Chunks stalled = new RowStream.Chunks() {
            @Override
            public RowStream.Chunk next() {
                return null;
            }

            @Override
            public boolean done() {
                return false;
            }
        };
        assertThrows(IllegalStateException.class, () -> stream(stalled, 10).run());
    }
}
