package dev.prism.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class LittleEndianTest {
    @Test
    void eachTypeIsWrittenLeastSignificantByteFirstAndReadBack() {
        double[] values = {1.5, -2.0, 3.0};
        for (DType dtype : DType.values()) {
            ByteBuffer b = ByteBuffer.allocate(values.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
            for (double v : values) {
                LittleEndian.write(b, dtype, v);
            }
            b.flip();
            double[] expected = dtype.isFloating() ? values : new double[] {1, -2, 3};
            assertArrayEquals(expected, LittleEndian.read(b, dtype), dtype.toString());
        }
        ByteBuffer one = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        LittleEndian.write(one, DType.INT32, 258);
        assertArrayEquals(new byte[] {2, 1, 0, 0}, one.array());
    }

    @Test
    void bytesThatAreNotWholeValuesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LittleEndian.read(ByteBuffer.allocate(6), DType.FLOAT32));
        assertEquals("6 bytes is not a whole number of FLOAT32 values", e.getMessage());
    }
}
