package dev.prism.onnx.graph;

import static dev.prism.onnx.graph.GraphWriter.intAttr;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.List;

/**
 * Softmax. GRADIENT: the Jacobian-vector product y ⊙ (m − Σ m·y). DEEP_LIFT, for the final Softmax
 * only, Captum's rule: the elementwise secant Δy/Δx times m (the gradient where |Δx| is below
 * epsilon), minus its mean over the instance's elements. Captum takes that mean over the whole
 * batch it was given; per instance is the reading that does not depend on the batch.
 */
final class SoftmaxRule {
    private SoftmaxRule() {
    }

    static void backward(NodeProto node, Backward b, boolean finalSoftmax) {
        String out = node.getOutput(0);
        String m = b.multiplier(out);
        if (m == null) {
            return;
        }
        GraphWriter w = b.writer();
        String x = node.getInput(0);
        int rank = b.shape(x).length + 1;
        long axis = OnnxGraph.intAttribute(node, "axis", -1);
        axis = axis < 0 ? axis + rank : axis;
        if (axis == 0) {
            throw b.unsupported(node, "normalises across the batch dimension");
        }
        String y = b.atInstance(out);
        String weighted = w.op("ReduceSum", List.of(w.op("Mul", m, y), w.int64s(axis)), intAttr("keepdims", 1));
        String gradient = w.op("Mul", y, w.op("Sub", m, weighted));
        if (b.mode() == AttributionCompiler.Mode.GRADIENT) {
            b.send(x, gradient);
            return;
        }
        if (!finalSoftmax) {
            throw b.unsupported(node, "is a Softmax inside the network");
        }
        String unnormalised = b.secantOr(w.op("Mul", m, b.delta(out)), x, gradient);
        long[] axes = AttributionCompiler.range(1, rank);
        String mean = w.op("Mul", w.op("ReduceSum", List.of(unnormalised, w.int64s(axes)), intAttr("keepdims", 1)),
                w.scalar(1.0 / AttributionCompiler.product(b.shape(x))));
        b.send(x, w.op("Sub", unnormalised, mean));
    }
}
