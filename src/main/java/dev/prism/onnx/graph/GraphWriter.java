package dev.prism.onnx.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Appends nodes and constants to a graph under construction, naming every new tensor uniquely. */
final class GraphWriter {
    private final List<NodeProto> nodes = new ArrayList<>();
    private final List<TensorProto> initializers = new ArrayList<>();
    private final String prefix;
    private int counter;

    GraphWriter(String prefix) {
        this.prefix = prefix;
    }

    List<NodeProto> nodes() {
        return nodes;
    }

    List<TensorProto> initializers() {
        return initializers;
    }

    /** Adds an existing node unchanged. */
    void copy(NodeProto node) {
        nodes.add(node);
    }

    String fresh(String hint) {
        return prefix + hint + "_" + (counter++);
    }

    /** A node with one output, returned. */
    String op(String opType, List<String> inputs, AttributeProto... attributes) {
        return ops(opType, inputs, 1, attributes)[0];
    }

    String op(String opType, String input, AttributeProto... attributes) {
        return op(opType, List.of(input), attributes);
    }

    String op(String opType, String a, String b, AttributeProto... attributes) {
        return op(opType, List.of(a, b), attributes);
    }

    /** A node with several outputs, returned in order. */
    String[] ops(String opType, List<String> inputs, int outputs, AttributeProto... attributes) {
        String[] names = new String[outputs];
        NodeProto.Builder node = NodeProto.newBuilder().setOpType(opType).setName(fresh(opType.toLowerCase()))
                .addAllInput(inputs).addAllAttribute(Arrays.asList(attributes));
        for (int i = 0; i < outputs; i++) {
            names[i] = fresh(opType.toLowerCase() + "_out");
            node.addOutput(names[i]);
        }
        nodes.add(node.build());
        return names;
    }

    /** A float32 constant of the given shape (a scalar when dims is empty). */
    String floats(long[] dims, float... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            bytes.putFloat(v);
        }
        return constant(TensorProto.DataType.FLOAT, dims, bytes);
    }

    String scalar(double value) {
        return floats(new long[0], (float) value);
    }

    /** An int64 vector constant. */
    String int64s(long... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            bytes.putLong(v);
        }
        return constant(TensorProto.DataType.INT64, new long[] {values.length}, bytes);
    }

    private String constant(TensorProto.DataType type, long[] dims, ByteBuffer bytes) {
        String name = fresh("const");
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(bytes.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        initializers.add(t.build());
        return name;
    }

    static AttributeProto intAttr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    static AttributeProto floatAttr(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value)
                .build();
    }

    static AttributeProto intsAttr(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    static AttributeProto stringAttr(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }
}
