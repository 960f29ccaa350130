package dev.prism.tensor;

import java.nio.ByteBuffer;

/**
 * Element values as the little-endian bytes of their type, as ONNX, protobuf's raw tensor fields and
 * the Open Inference Protocol's raw contents hold them. The buffers must be in little-endian order.
 */
public final class LittleEndian {
    private LittleEndian() {}

    /** Reads the buffer's remaining bytes, a whole number of values of the type. */
    public static double[] read(ByteBuffer bytes, DType dtype) {
        if (bytes.remaining() % dtype.bytes() != 0) {
            throw new IllegalArgumentException(bytes.remaining() + " bytes is not a whole number of " + dtype
                    + " values");
        }
        double[] v = new double[bytes.remaining() / dtype.bytes()];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (dtype) {
                case FLOAT32 -> bytes.getFloat();
                case FLOAT64 -> bytes.getDouble();
                case INT32 -> bytes.getInt();
                case INT64 -> bytes.getLong();
            };
        }
        return v;
    }

    /** Writes one value in the type (narrowed, or truncated to an integer). */
    public static void write(ByteBuffer bytes, DType dtype, double value) {
        switch (dtype) {
            case FLOAT32 -> bytes.putFloat((float) value);
            case FLOAT64 -> bytes.putDouble(value);
            case INT32 -> bytes.putInt((int) value);
            case INT64 -> bytes.putLong((long) value);
        }
    }
}
