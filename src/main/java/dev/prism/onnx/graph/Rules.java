package dev.prism.onnx.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.Set;

/** Which rule writes the backward pass of each operator. */
final class Rules {
    private Rules() {
    }

    /**
     * Rejects an operator that has no rule in the mode, before any shapes are known.
     *
     * @param finalSoftmax the node is the Softmax producing the explained output
     */
    static void check(NodeProto node, AttributionCompiler.Mode mode, boolean finalSoftmax) {
        String op = node.getOpType();
        if (node.getDomain().equals("ai.onnx.ml")) {
            if (!op.equals("Scaler")) {
                throw UnsupportedGraphException.node(node, "has no attribution rule");
            }
            return;
        }
        if (!node.getDomain().isEmpty() && !node.getDomain().equals("ai.onnx")) {
            throw UnsupportedGraphException.node(node, "is from a custom domain and has no attribution rule");
        }
        if (op.equals("Cast") && OnnxGraph.intAttribute(node, "to", 0) != ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE) {
            throw UnsupportedGraphException.node(node, "casts a varying tensor to a type other than float32");
        }
        if (op.equals("Softmax") && mode == AttributionCompiler.Mode.DEEP_LIFT && !finalSoftmax) {
            throw UnsupportedGraphException.node(node, "is a Softmax inside the network; DeepLIFT has a rule for "
                    + "the final Softmax only (gradient methods are supported)");
        }
        if (!LinearTransposes.OPERATORS.contains(op) && !ElementwiseRule.OPERATORS.contains(op)
                && !PRODUCTS.contains(op) && !op.equals("MaxPool") && !op.equals("Softmax")) {
            throw UnsupportedGraphException.node(node, "has no attribution rule");
        }
    }

    private static final Set<String> PRODUCTS = Set.of("Mul", "MatMul");

    static void backward(NodeProto node, Backward b, boolean finalSoftmax) {
        String op = node.getOpType();
        if (op.equals("MaxPool")) {
            MaxPoolRule.backward(node, b);
        } else if (op.equals("Softmax")) {
            SoftmaxRule.backward(node, b, finalSoftmax);
        } else if (PRODUCTS.contains(op) && b.varying(node.getInput(0)) && b.varying(node.getInput(1))) {
            ProductRule.backward(node, b);
        } else if (ElementwiseRule.handles(node, b)) {
            ElementwiseRule.backward(node, b);
        } else {
            LinearTransposes.backward(node, b);
        }
    }
}
