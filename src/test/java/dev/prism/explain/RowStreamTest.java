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
import dev.prism.testing.FunctionRunner;
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
    private static FunctionRunner runner() {
        return new FunctionRunner(2, 1, x -> new double[] {x[0] * 1000 + x[1]});
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
        FunctionRunner runner = runner();
        RecordingProgress progress = new RecordingProgress();
        Sizes chunks = new Sizes(3, 3, 3, 3, 3, 3, 1, 5);
        assertTrue(new RowStream(runner, progress, new RequestContext(), TimeBudget.NONE, 10).run(chunks));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), chunks.absorbed);
        assertEquals(List.of(3, 3, 3, 3, 3, 3, 1, 5), runner.submits());
        assertEquals(24, progress.done);
        // Chunks go out while fewer than 10 rows are in flight: 0, 3, 6, 9, then no more.
        assertEquals(12, chunks.mostInFlight);
    }

    @ParameterizedTest
    @EnumSource(value = Reason.class, names = {"CANCELLED", "DEADLINE_EXCEEDED", "SHUTTING_DOWN"})
    void aCancellationStopsTheStreamBeforeItsNextChunk(Reason reason) {
        RequestContext context = new RequestContext();
        FunctionRunner runner = runner().afterSubmit(2, () -> context.cancel(reason));
        Sizes chunks = new Sizes(2, 2, 2, 2, 2, 2);
        PrismException e = assertThrows(PrismException.class,
                () -> new RowStream(runner, new RecordingProgress(), context, TimeBudget.NONE, 100).run(chunks));
        assertEquals(reason, e.reason());
        // Room for all six, but none went out after the cancellation, and none came back.
        assertEquals(List.of(2, 2), runner.submits());
        assertEquals(List.of(), chunks.absorbed);
    }

    @Test
    void atTheTimeBudgetItStopsWithTheChunksAbsorbedUntilThen() {
        RecordingProgress progress = new RecordingProgress();
        // The clock is the rows that came back: the budget is spent once 12 have.
        TimeBudget budget = TimeBudget.until(12, () -> progress.done);
        Sizes chunks = new Sizes(5, 5, 5, 5, 5, 5);
        assertFalse(new RowStream(runner(), progress, new RequestContext(), budget, 10).run(chunks));
        assertEquals(List.of(0, 1, 2), chunks.absorbed);
        assertFalse(budget.partial(), "partial is the explainer's to say");
    }

    @Test
    void aBudgetSpentWithTheLastChunkIsNoStop() {
        RecordingProgress progress = new RecordingProgress();
        Sizes chunks = new Sizes(5, 5, 5);
        assertTrue(new RowStream(runner(), progress, new RequestContext(), TimeBudget.until(15, () -> progress.done),
                100).run(chunks));
        assertEquals(List.of(0, 1, 2), chunks.absorbed);
    }

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
        FunctionRunner runner = runner();
        RowStream stream = new RowStream(runner, new RecordingProgress(), new RequestContext(),
                TimeBudget.until(0, () -> 0), 10);
        PrismException e = assertThrows(PrismException.class,
                () -> stream.evaluate(new RowBlock(1, 2, new double[2]), ANY));
        assertEquals(Reason.DEADLINE_EXCEEDED, e.reason());
        assertEquals(List.of(), runner.submits());
    }

    @Test
    void theRowsEveryAnswerNeedsCountInTheProgress() {
        RecordingProgress progress = new RecordingProgress();
        RowBlock out = new RowStream(runner(), progress, new RequestContext(), TimeBudget.NONE, 10)
                .evaluate(new RowBlock(2, 2, new double[] {1, 2, 3, 4}), ANY);
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
        assertThrows(IllegalStateException.class, () -> new RowStream(runner(), new RecordingProgress(),
                new RequestContext(), TimeBudget.NONE, 10).run(stalled));
    }
}
