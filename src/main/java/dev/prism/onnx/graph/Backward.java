package dev.prism.onnx.graph;

import ai.onnx.proto.OnnxMl.NodeProto;

/**
 * What a rule sees while the backward pass is written: the forward values on the instance's half
 * of the batch and the reference's, the multipliers arriving at a node's outputs, and where to send
 * the multipliers of its inputs. Multipliers are tensors shaped like the instance half ([N, ...]).
 */
interface Backward {

    AttributionCompiler.Mode mode();

    GraphWriter writer();

    boolean varying(String tensor);

    /** The value of an initializer or Constant output, or null. */
    ai.onnx.proto.OnnxMl.TensorProto constant(String tensor);

    /** The values of an int64 constant, or null. */
    long[] constantLongs(String tensor);

    /** The tensor's dimensions after the batch one. */
    long[] shape(String tensor);

    /** The tensor's values for the instances (the whole tensor for constants and in GRADIENT mode). */
    String atInstance(String tensor);

    /** The tensor's values for the references; DEEP_LIFT only. */
    String atReference(String tensor);

    /** Instance minus reference; DEEP_LIFT only. */
    String delta(String tensor);

    /** The summed multiplier arriving at one of the node's outputs, or null when none arrives. */
    String multiplier(String output);

    /** Sends a multiplier to a varying input of the node (summed with others arriving there). */
    void send(String input, String multiplier);

    /** An int64 shape constant [-1, dims...] for reshaping per-row dims back onto the batch. */
    String batchShape(long[] dims);

    /** Sums a multiplier shaped like the output down to a broadcast input's shape. */
    String unbroadcast(String multiplier, String input, String output);

    /**
     * change / Δin, or the fallback where |Δin| is below epsilon; DEEP_LIFT only.
     *
     * @param change   shaped like in
     * @param fallback shaped like in: the gradient's share where the secant is undefined
     */
    String secantOr(String change, String in, String fallback);

    /**
     * The Rescale rule for an elementwise function in -> out: m·Δout/Δin, falling back to
     * m·f'(x) where |Δin| is below epsilon; in GRADIENT mode m·f'(x).
     *
     * @param derivative the derivative at the instance, shaped like out
     */
    String rescale(String multiplier, String in, String out, String derivative);

    /** Rejects the node with a reason. */
    default UnsupportedGraphException unsupported(NodeProto node, String why) {
        return UnsupportedGraphException.node(node, why);
    }
}
