package dev.prism.onnx.graph;

import static dev.prism.onnx.graph.GraphWriter.intAttr;
import static dev.prism.onnx.graph.GraphWriter.intsAttr;
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
        Unpool unpool = Unpool.of(node, b, x);
        String[] atInstance = pool(node, w, b.atInstance(x));
        String gradient = unpool.apply(m, atInstance[1]);
        if (b.mode() == AttributionCompiler.Mode.GRADIENT) {
            b.send(x, gradient);
            return;
        }
        String[] atReference = pool(node, w, b.atReference(x));
        String crossMax = w.op("Max", atInstance[0], atReference[0]);
        String fromInstance = unpool.apply(w.op("Mul", m, w.op("Sub", crossMax, atReference[0])), atInstance[1]);
        String fromReference = unpool.apply(w.op("Mul", m, w.op("Sub", atInstance[0], crossMax)), atReference[1]);
        String change = w.op("Add", fromInstance, fromReference);
        b.send(x, b.secantOr(change, x, gradient));
    }

    /** The pool's values and flat indices on one half. */
    private static String[] pool(NodeProto node, GraphWriter w, String input) {
        List<AttributeProto> attributes = new ArrayList<>(node.getAttributeList());
        return w.ops("MaxPool", List.of(input), 2, attributes.toArray(AttributeProto[]::new));
    }

    /**
     * Places pooled values on their flat indices in a zero tensor shaped like x's half. Windows
     * that tile the input (stride = kernel, no padding or dilation) never share an element, so
     * MaxUnpool does it; otherwise a ScatterElements that adds the values of shared elements.
     * In ONNX Runtime MaxUnpool costs about a third of the scatter.
     */
    private interface Unpool {
        String apply(String values, String indices);

        static Unpool of(NodeProto node, Backward b, String x) {
            GraphWriter w = b.writer();
            long[] kernel = OnnxGraph.intsAttribute(node, "kernel_shape");
            if (tiles(node, kernel, b.shape(x), b.shape(node.getOutput(0)))) {
                String shape = w.op("Shape", b.atInstance(x));
                return (values, indices) -> w.op("MaxUnpool", List.of(values, indices, shape),
                        intsAttr("kernel_shape", kernel), intsAttr("strides", kernel));
            }
            String flatZeros = w.op("Mul", w.op("Reshape", b.atInstance(x), w.int64s(-1)), w.scalar(0));
            String shape = b.batchShape(b.shape(x));
            return (values, indices) -> {
                String scattered = w.op("ScatterElements", List.of(flatZeros,
                        w.op("Reshape", indices, w.int64s(-1)), w.op("Reshape", values, w.int64s(-1))),
                        intAttr("axis", 0), stringAttr("reduction", "add"));
                return w.op("Reshape", scattered, shape);
            };
        }

        /** Whether the windows cover x exactly once each. */
        private static boolean tiles(NodeProto node, long[] kernel, long[] in, long[] out) {
            int spatial = in.length - 1;
            if (kernel == null || kernel.length != spatial || out.length != in.length) {
                return false;
            }
            long[] strides = OnnxGraph.intsAttribute(node, "strides");
            long[] dilations = OnnxGraph.intsAttribute(node, "dilations");
            long[] pads = OnnxGraph.intsAttribute(node, "pads");
            for (int d = 0; d < spatial; d++) {
                boolean exact = (strides == null ? 1 : strides[d]) == kernel[d]
                        && (dilations == null || dilations[d] == 1)
                        && (pads == null || (pads[d] == 0 && pads[d + spatial] == 0))
                        && out[d + 1] * kernel[d] == in[d + 1];
                if (!exact) {
                    return false;
                }
            }
            return true;
        }
    }
}
