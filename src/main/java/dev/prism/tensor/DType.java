package dev.prism.tensor;

/** Element types Prism reads and writes. */
public enum DType {
    FLOAT32(4),
    FLOAT64(8),
    INT32(4),
    INT64(8);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    public boolean isFloating() {
        return this == FLOAT32 || this == FLOAT64;
    }
}
