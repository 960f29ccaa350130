package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.prism.tensor.DType;
import dev.prism.tensor.TensorSpec;
import org.junit.jupiter.api.Test;

/** Values are checked in the type of the model's input, at the exact edges of its range. */
class TensorCodecValueTest {
    private static TensorSpec input(DType dtype) {
        return new TensorSpec("x", dtype, new long[] {-1, 3});
    }

    @Test
    void float32HoldsWhatRoundsToAFiniteFloat() {
        TensorSpec x = input(DType.FLOAT32);
        // Float.MAX_VALUE + 2^103 is half an ulp above it: rounding to even goes to infinity, below it back.
        double edge = Float.MAX_VALUE + 0x1p103;
        assertNull(TensorCodec.unfit(Float.MAX_VALUE, x));
        assertNull(TensorCodec.unfit(-Float.MAX_VALUE, x));
        assertNull(TensorCodec.unfit(Math.nextDown(edge), x));
        assertNull(TensorCodec.unfit(-Math.nextDown(edge), x));
        assertNull(TensorCodec.unfit(1e-60, x), "underflow to 0 is a value, not an overflow");
        assertEquals("is " + edge + ", beyond the range of FLOAT32 input 'x'", TensorCodec.unfit(edge, x));
        assertEquals("is -1.0E39, beyond the range of FLOAT32 input 'x'", TensorCodec.unfit(-1e39, x));
        assertEquals("is 1.0E300, beyond the range of FLOAT32 input 'x'", TensorCodec.unfit(1e300, x));
    }

    @Test
    void float64HoldsEveryFiniteDouble() {
        TensorSpec x = input(DType.FLOAT64);
        assertNull(TensorCodec.unfit(Double.MAX_VALUE, x));
        assertNull(TensorCodec.unfit(1e300, x));
        assertEquals("is Infinity; NaN and Inf are not allowed", TensorCodec.unfit(Double.POSITIVE_INFINITY, x));
        assertEquals("is NaN; NaN and Inf are not allowed", TensorCodec.unfit(Double.NaN, x));
    }

    @Test
    void integersHoldWholeNumbersInTheirRange() {
        TensorSpec i32 = input(DType.INT32);
        assertNull(TensorCodec.unfit(Integer.MAX_VALUE, i32));
        assertNull(TensorCodec.unfit(Integer.MIN_VALUE, i32));
        assertEquals("is 2.147483648E9, beyond the range of INT32 input 'x'", TensorCodec.unfit(0x1p31, i32));
        assertNotNull(TensorCodec.unfit(Integer.MIN_VALUE - 1.0, i32));
        assertEquals("is 0.5 but input 'x' is INT32", TensorCodec.unfit(0.5, i32));

        TensorSpec i64 = input(DType.INT64);
        assertNull(TensorCodec.unfit(-0x1p63, i64), "Long.MIN_VALUE");
        assertNull(TensorCodec.unfit(Math.nextDown(0x1p63), i64));
        assertEquals("is 9.223372036854776E18, beyond the range of INT64 input 'x'", TensorCodec.unfit(0x1p63, i64));
        assertNotNull(TensorCodec.unfit(Math.nextDown(-0x1p63), i64));
        assertNotNull(TensorCodec.unfit(1e19, i64));
        assertNotNull(TensorCodec.unfit(Double.NaN, i64));
    }
}
