package dev.prism.onnx.trees;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.prism.onnx.graph.OnnxGraph;
import dev.prism.onnx.graph.UnsupportedGraphException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The attributes of one tree-ensemble node, read as arrays: lists of ints, floats and strings, and
 * tensors of numbers. Absent attributes read as null; a tensor of a type Prism does not read, or a
 * present attribute of the wrong kind, is refused naming the node and the attribute.
 */
final class Attributes {
    private final NodeProto node;

    Attributes(NodeProto node) {
        this.node = node;
    }

    NodeProto node() {
        return node;
    }

    boolean has(String name) {
        return OnnxGraph.attribute(node, name) != null;
    }

    long[] ints(String name) {
        AttributeProto a = OnnxGraph.attribute(node, name);
        return a == null ? null : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    /** An ints attribute that must be present. */
    long[] requiredInts(String name) {
        long[] v = ints(name);
        if (v == null) {
            throw unsupported("has no attribute " + name);
        }
        return v;
    }

    long intValue(String name, long fallback) {
        AttributeProto a = OnnxGraph.attribute(node, name);
        return a == null ? fallback : a.getI();
    }

    String string(String name, String fallback) {
        return OnnxGraph.stringAttribute(node, name, fallback);
    }

    String[] strings(String name) {
        AttributeProto a = OnnxGraph.attribute(node, name);
        return a == null ? null : a.getStringsList().stream().map(s -> s.toStringUtf8()).toArray(String[]::new);
    }

    /** A floats attribute as doubles (each exactly the float), or null. */
    double[] floats(String name) {
        AttributeProto a = OnnxGraph.attribute(node, name);
        if (a == null) {
            return null;
        }
        double[] out = new double[a.getFloatsCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.getFloats(i);
        }
        return out;
    }

    /** The double tensor twin of a floats attribute ({@code name_as_tensor}, ai.onnx.ml 3) if present, else the floats. */
    double[] floatsOrTensor(String name) {
        return has(name + "_as_tensor") ? tensor(name + "_as_tensor") : floats(name);
    }

    /** A tensor attribute's values as doubles, or null when absent. */
    double[] tensor(String name) {
        AttributeProto a = OnnxGraph.attribute(node, name);
        if (a == null) {
            return null;
        }
        if (!a.hasT()) {
            throw unsupported("has attribute " + name + " without a tensor");
        }
        return values(a.getT(), name);
    }

    /** The element type of a tensor attribute, or -1 when absent. */
    int tensorType(String name) {
        AttributeProto a = OnnxGraph.attribute(node, name);
        return a == null || !a.hasT() ? -1 : a.getT().getDataType();
    }

    UnsupportedGraphException unsupported(String why) {
        return UnsupportedGraphException.node(node, why);
    }

    /** A numeric tensor's elements as doubles (float, double, and the integer types up to int64). */
    double[] values(TensorProto t, String what) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            throw unsupported("keeps " + what + " in an external file");
        }
        int type = t.getDataType();
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        boolean hasRaw = !t.getRawData().isEmpty();
        switch (type) {
            case TensorProto.DataType.FLOAT_VALUE -> {
                if (hasRaw) {
                    double[] out = new double[raw.remaining() / 4];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = raw.getFloat(4 * i);
                    }
                    return out;
                }
                return t.getFloatDataList().stream().mapToDouble(Float::doubleValue).toArray();
            }
            case TensorProto.DataType.DOUBLE_VALUE -> {
                if (hasRaw) {
                    double[] out = new double[raw.remaining() / 8];
                    raw.asDoubleBuffer().get(out);
                    return out;
                }
                return t.getDoubleDataList().stream().mapToDouble(Double::doubleValue).toArray();
            }
            case TensorProto.DataType.INT64_VALUE -> {
                if (hasRaw) {
                    double[] out = new double[raw.remaining() / 8];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = raw.getLong(8 * i);
                    }
                    return out;
                }
                return t.getInt64DataList().stream().mapToDouble(Long::doubleValue).toArray();
            }
            case TensorProto.DataType.UINT8_VALUE, TensorProto.DataType.INT8_VALUE,
                 TensorProto.DataType.INT32_VALUE -> {
                if (hasRaw) {
                    int size = type == TensorProto.DataType.INT32_VALUE ? 4 : 1;
                    double[] out = new double[raw.remaining() / size];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = switch (type) {
                            case TensorProto.DataType.UINT8_VALUE -> raw.get(i) & 0xff;
                            case TensorProto.DataType.INT8_VALUE -> raw.get(i);
                            default -> raw.getInt(4 * i);
                        };
                    }
                    return out;
                }
                return t.getInt32DataList().stream().mapToDouble(Integer::doubleValue).toArray();
            }
            default -> throw unsupported("has " + what + " of element type "
                    + TensorProto.DataType.forNumber(type) + "; Prism reads float, double and integer tensors");
        }
    }
}
