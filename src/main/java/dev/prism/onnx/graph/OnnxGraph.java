package dev.prism.onnx.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's main graph, read for compiling: which node produces each tensor, which tensors are
 * constants, and which depend on the values of the explained input (the varying ones, which
 * attributions flow through).
 */
public final class OnnxGraph {
    private final ModelProto model;
    private final Map<String, NodeProto> producers = new HashMap<>();
    private final Map<String, TensorProto> initializers = new HashMap<>();
    private final long defaultOpset;

    public OnnxGraph(ModelProto model) {
        this.model = model;
        GraphProto graph = model.getGraph();
        for (TensorProto t : graph.getInitializerList()) {
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                throw new UnsupportedGraphException("initializer '" + t.getName()
                        + "' keeps its data in an external file; gradient graphs need the weights inside model.onnx");
            }
            initializers.put(t.getName(), t);
        }
        for (NodeProto n : graph.getNodeList()) {
            for (String out : n.getOutputList()) {
                if (!out.isEmpty()) {
                    producers.put(out, n);
                }
            }
        }
        long opset = -1;
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                opset = o.getVersion();
            }
        }
        this.defaultOpset = opset;
    }

    public ModelProto model() {
        return model;
    }

    public long defaultOpset() {
        return defaultOpset;
    }

    /** The node producing the tensor, or null for graph inputs and initializers. */
    public NodeProto producer(String tensor) {
        return producers.get(tensor);
    }

    /** The value of a tensor that is an initializer or a Constant node's output, or null. */
    public TensorProto constant(String tensor) {
        TensorProto t = initializers.get(tensor);
        if (t != null) {
            return t;
        }
        NodeProto n = producers.get(tensor);
        if (n != null && n.getOpType().equals("Constant")) {
            AttributeProto value = attribute(n, "value");
            return value == null ? null : value.getT();
        }
        return null;
    }

    /** The values of an int64 constant tensor, or null when the tensor is not a constant. */
    public long[] constantLongs(String tensor) {
        TensorProto t = constant(tensor);
        if (t == null || t.getDataType() != TensorProto.DataType.INT64_VALUE) {
            return null;
        }
        if (!t.getRawData().isEmpty()) {
            java.nio.LongBuffer b = t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .asLongBuffer();
            long[] out = new long[b.remaining()];
            b.get(out);
            return out;
        }
        return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
    }

    /** Tensors whose values depend on the given input, in the graph's node order. */
    public Set<String> varying(String input) {
        Set<String> varying = new LinkedHashSet<>();
        varying.add(input);
        for (NodeProto n : model.getGraph().getNodeList()) {
            // Shape and Size read only the dimensions, which never vary with the values.
            if (n.getOpType().equals("Shape") || n.getOpType().equals("Size")) {
                continue;
            }
            if (n.getInputList().stream().anyMatch(varying::contains)) {
                n.getOutputList().stream().filter(o -> !o.isEmpty()).forEach(varying::add);
            }
        }
        return varying;
    }

    /** Nodes the target is computed from (its ancestors), in the graph's node order. */
    public List<NodeProto> ancestors(String target) {
        Set<NodeProto> needed = new HashSet<>();
        ArrayList<String> pending = new ArrayList<>(List.of(target));
        while (!pending.isEmpty()) {
            NodeProto n = producers.get(pending.remove(pending.size() - 1));
            if (n != null && needed.add(n)) {
                n.getInputList().stream().filter(i -> !i.isEmpty()).forEach(pending::add);
            }
        }
        List<NodeProto> ordered = new ArrayList<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            if (needed.contains(n)) {
                ordered.add(n);
            }
        }
        return ordered;
    }

    /** The node's name, or its first output when it has none, or its operator when it has neither. */
    public static String label(NodeProto node) {
        if (!node.getName().isEmpty()) {
            return node.getName();
        }
        return node.getOutputCount() > 0 ? node.getOutput(0) : "unnamed " + node.getOpType();
    }

    public static AttributeProto attribute(NodeProto node, String name) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    public static long intAttribute(NodeProto node, String name, long fallback) {
        AttributeProto a = attribute(node, name);
        return a == null ? fallback : a.getI();
    }

    public static float floatAttribute(NodeProto node, String name, float fallback) {
        AttributeProto a = attribute(node, name);
        return a == null ? fallback : a.getF();
    }

    public static String stringAttribute(NodeProto node, String name, String fallback) {
        AttributeProto a = attribute(node, name);
        return a == null ? fallback : a.getS().toStringUtf8();
    }

    /** An ints attribute, or null when absent. */
    public static long[] intsAttribute(NodeProto node, String name) {
        AttributeProto a = attribute(node, name);
        return a == null ? null : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }
}
