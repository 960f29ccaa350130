package dev.prism.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.tensor.RowBlock;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class NeededOutputsTest {
    private static final NeededOutputs.RowNames ROWS = row -> "row " + row + " of the test";

    /** 5,000 rows of three columns, all finite. */
    private static RowBlock block() {
        double[] data = new double[5000 * 3];
        for (int i = 0; i < data.length; i++) {
            data[i] = i * 0.5 - 7;
        }
        return new RowBlock(5000, 3, data);
    }

    @Test
    void finiteOutputsComeBackAsTheyAre() {
        RowBlock out = block();
        assertSame(out, NeededOutputs.scoreColumns(new int[] {0, 2}, ROWS).requireFinite(out));
        assertSame(out, BatchRunner.await(CompletableFuture.completedFuture(out),
                NeededOutputs.attributionRows(ROWS)));
    }

    @Test
    void theMessageCountsTheRowsAndNamesTheFirstAndItsColumn() {
        RowBlock out = block();
        for (int r = 17; r < 29; r++) {
            out.data()[r * 3 + 2] = Double.NaN;
        }
        out.data()[40 * 3 + 1] = Double.POSITIVE_INFINITY;
        PrismException e = assertThrows(PrismException.class,
                () -> NeededOutputs.scoreColumns(new int[] {2, 1}, ROWS).requireFinite(out));
        assertEquals(Reason.MODEL_OUTPUT_NOT_FINITE, e.reason());
        assertEquals("the model returned NaN for output column 2 on 13 of 5,000 rows; first row: row 17 of the test",
                e.getMessage());
    }

    @Test
    void columnsTheExplanationDoesNotReadAreNotChecked() {
        RowBlock out = block();
        out.data()[3 * 3] = Double.NaN;
        out.data()[9 * 3 + 1] = Double.NEGATIVE_INFINITY;
        assertSame(out, NeededOutputs.scoreColumns(new int[] {2}, ROWS).requireFinite(out));
        PrismException e = assertThrows(PrismException.class, () -> BatchRunner.await(
                CompletableFuture.completedFuture(out), NeededOutputs.attributionRows(ROWS)));
        assertEquals("the model's attribution graph returned NaN for column 0 on 2 of 5,000 rows; first row: row 3"
                + " of the test", e.getMessage());
        assertEquals("the model returned -Inf for output column 1 on 1 of 5,000 rows; first row: row 9 of the test",
                assertThrows(PrismException.class,
                        () -> NeededOutputs.scoreColumns(new int[] {1, 2}, ROWS).requireFinite(out)).getMessage());
    }

    @Test
    void aBlockNotThereInTimeIsNotChecked() {
        assertNull(BatchRunner.await(new CompletableFuture<>(), 1_000_000,
                NeededOutputs.attributionRows(ROWS)));
    }
}
