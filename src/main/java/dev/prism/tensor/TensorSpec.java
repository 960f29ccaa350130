package dev.prism.tensor;

import java.util.Arrays;

/**
 * Name, element type and shape of a graph input or output. A dimension of -1 is dynamic; the
 * first dimension is the batch.
 */
public record TensorSpec(String name, DType dtype, long[] shape) {
    public TensorSpec {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Shape of one instance (every dimension after the batch), or null if one of them is dynamic. */
    public int[] instanceShape() {
        int[] dims = new int[Math.max(0, shape.length - 1)];
        for (int i = 1; i < shape.length; i++) {
            if (shape[i] < 0) {
                return null;
            }
            dims[i - 1] = Math.toIntExact(shape[i]);
        }
        return dims;
    }

    /** Elements in one instance, or -1 if a non-batch dimension is dynamic. */
    public int instanceSize() {
        int[] dims = instanceShape();
        if (dims == null) {
            return -1;
        }
        int n = 1;
        for (int d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && t.name.equals(name) && t.dtype == dtype
                && Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + ":" + dtype + Arrays.toString(shape);
    }
}
