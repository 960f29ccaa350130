package dev.prism.onnx.trees;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.util.Arrays;
import java.util.List;

/** Builders for hand-written ONNX graphs around tree-ensemble nodes. */
public final class OnnxTrees {
    public static final String ML = "ai.onnx.ml";
    public static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
    public static final int DOUBLE = TensorProto.DataType.DOUBLE_VALUE;
    public static final int INT64 = TensorProto.DataType.INT64_VALUE;

    private OnnxTrees() {
    }

    public static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    public static AttributeProto floats(String name, double... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
                .setType(AttributeProto.AttributeType.FLOATS);
        for (double v : values) {
            a.addFloats((float) v);
        }
        return a.build();
    }

    public static AttributeProto strings(String name, String... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
                .setType(AttributeProto.AttributeType.STRINGS);
        for (String v : values) {
            a.addStrings(ByteString.copyFromUtf8(v));
        }
        return a.build();
    }

    public static AttributeProto integer(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    public static AttributeProto string(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    public static AttributeProto tensor(String name, TensorProto t) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.TENSOR).setT(t).build();
    }

    public static TensorProto floatTensor(String name, long[] dims, double... values) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(FLOAT);
        Arrays.stream(dims).forEach(t::addDims);
        for (double v : values) {
            t.addFloatData((float) v);
        }
        return t.build();
    }

    public static TensorProto doubleTensor(String name, double... values) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(DOUBLE).addDims(values.length);
        for (double v : values) {
            t.addDoubleData(v);
        }
        return t.build();
    }

    public static TensorProto uint8Tensor(String name, int... values) {
        byte[] raw = new byte[values.length];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) values[i];
        }
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.UINT8_VALUE)
                .addDims(values.length).setRawData(ByteString.copyFrom(raw)).build();
    }

    /** A tensor value of the given type; dimension −1 is the batch. */
    public static ValueInfoProto value(String name, int type, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape))).build();
    }

    public static NodeProto node(String op, String domain, String name, List<String> inputs, List<String> outputs,
                          AttributeProto... attributes) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setDomain(domain).setName(name)
                .addAllInput(inputs).addAllOutput(outputs);
        for (AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        return n.build();
    }

    public static ModelProto model(int mlOpset, List<NodeProto> nodes, List<TensorProto> initializers,
                            ValueInfoProto input, ValueInfoProto... outputs) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("trees").addAllNode(nodes)
                .addAllInitializer(initializers).addInput(input);
        for (ValueInfoProto o : outputs) {
            g.addOutput(o);
        }
        return ModelProto.newBuilder().setIrVersion(8).setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(ML).setVersion(mlOpset)).build();
    }
}
