package dev.prism.onnx.graph;

import static dev.prism.onnx.graph.GraphWriter.intAttr;
import static dev.prism.onnx.graph.GraphWriter.stringAttr;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.List;

/**
 * MaxPool. GRADIENT routes each multiplier to its window's maximum. DEEP_LIFT uses Captum's
 * cross-max rule: with M = max(y, y'), the instance's maxima receive m·(M − y') and the
 * reference's maxima m·(y − M), which together carry m·Δy; their sum divided by Δx is the
 * multiplier (the gradient where |Δx| is below epsilon).
 */
final class MaxPoolRule {
    private MaxPoolRule() {
    }

    static void backward(NodeProto node, Backward b) {
        String m = b.multiplier(node.getOutput(0));
        if (m == null) {
            return;
        }
        if (OnnxGraph.intAttribute(node, "storage_order", 0) != 0) {
            throw b.unsupported(node, "stores its indices column-major (storage_order=1)");
        }
        GraphWriter w = b.writer();
        String x = node.getInput(0);
        String[] atInstance = pool(node, w, b.atInstance(x));
        String gradient = unpool(w, b, x, m, atInstance[1]);
        if (b.mode() == AttributionCompiler.Mode.GRADIENT) {
            b.send(x, gradient);
            return;
        }
        String[] atReference = pool(node, w, b.atReference(x));
        String crossMax = w.op("Max", atInstance[0], atReference[0]);
        String fromInstance = unpool(w, b, x, w.op("Mul", m, w.op("Sub", crossMax, atReference[0])), atInstance[1]);
        String fromReference = unpool(w, b, x, w.op("Mul", m, w.op("Sub", atInstance[0], crossMax)), atReference[1]);
        String change = w.op("Add", fromInstance, fromReference);
        String dx = b.delta(x);
        String small = w.op("Less", w.op("Abs", dx), w.scalar(AttributionCompiler.EPSILON));
        String safe = w.op("Where", List.of(small, w.scalar(1), dx));
        b.send(x, w.op("Where", List.of(small, gradient, w.op("Div", change, safe))));
    }

    /** The pool's values and flat indices on one half. */
    private static String[] pool(NodeProto node, GraphWriter w, String input) {
        List<AttributeProto> attributes = new ArrayList<>(node.getAttributeList());
        return w.ops("MaxPool", List.of(input), 2, attributes.toArray(AttributeProto[]::new));
    }

    /** Scatters values onto their flat indices in a tensor shaped like x's half, adding collisions. */
    private static String unpool(GraphWriter w, Backward b, String x, String values, String indices) {
        String flatZeros = w.op("Mul", w.op("Reshape", b.atInstance(x), w.int64s(-1)), w.scalar(0));
        String scattered = w.op("ScatterElements", List.of(flatZeros, w.op("Reshape", indices, w.int64s(-1)),
                w.op("Reshape", values, w.int64s(-1))), intAttr("axis", 0), stringAttr("reduction", "add"));
        return w.op("Reshape", scattered, b.batchShape(b.shape(x)));
    }
}
