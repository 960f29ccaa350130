package dev.prism.onnx.graph;

import ai.onnx.proto.OnnxMl.NodeProto;

/** The graph has something an attribution graph cannot be compiled for; the message names it. */
public final class UnsupportedGraphException extends RuntimeException {

    public UnsupportedGraphException(String message) {
        super(message);
    }

    /** A node without a rule, or with inputs its rule cannot take. */
    public static UnsupportedGraphException node(NodeProto node, String why) {
        String domain = node.getDomain().isEmpty() ? "" : node.getDomain() + ".";
        return new UnsupportedGraphException("operator " + domain + node.getOpType() + " (node '"
                + OnnxGraph.label(node) + "') " + why);
    }
}
