package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.Tensor;
import dev.prism.error.FieldViolation;
import dev.prism.error.PrismException;
import dev.prism.tensor.DType;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Shapes whose element count overflows a long must not wrap around to the number of values sent. */
class TensorCodecShapeTest {
    private static Tensor floats(long[] shape, int count) {
        Tensor.Builder t = Tensor.newBuilder();
        for (long d : shape) {
            t.addShape(d);
        }
        for (int i = 0; i < count; i++) {
            t.addFloatData(i);
        }
        return t.build();
    }

    @Test
    void aMatrixWhoseShapeWrapsAroundIsRefusedNamingTheTrueCount() {
        // (2^62 + 1) · 4 = 2^64 + 4 wraps to 4, as does 3 · 6148914691236517206 = 2^64 + 2 to 2.
        PrismException wrapsToFour = assertThrows(PrismException.class,
                () -> TensorCodec.matrix(floats(new long[] {(1L << 62) + 1, 4}, 4), -1, "background"));
        assertTrue(wrapsToFour.getMessage().contains("18446744073709551620"), wrapsToFour.getMessage());
        assertThrows(PrismException.class,
                () -> TensorCodec.matrix(floats(new long[] {3, 6148914691236517206L}, 2), -1, "background"));
        RowBlock fine = TensorCodec.matrix(floats(new long[] {2, 3}, 6), 3, "background");
        assertEquals(2, fine.rows());
        assertEquals(3, fine.width());
    }

    @Test
    void inputsWhoseInstanceCountWrapsAroundAreRefused() {
        TensorSpec x = new TensorSpec("x", DType.FLOAT32, new long[] {-1, 4});
        List<FieldViolation> violations = new ArrayList<>();
        assertNull(TensorCodec.decode(floats(new long[] {(1L << 62) + 1, 4}, 4), x, false, "inputs[0]",
                violations));
        assertEquals(1, violations.size());
        assertEquals("inputs[0]", violations.get(0).field());
        assertTrue(violations.get(0).description().contains("needs 18446744073709551620 values, got 4"),
                violations.get(0).description());
    }
}
