package dev.prism.onnx.graph;

import static dev.prism.onnx.graph.GraphWriter.intsAttr;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.Arrays;

/**
 * Two varying tensors meeting in a bilinear operator (Mul, MatMul). DEEP_LIFT splits the change
 * as the two-player Shapley value, which for a bilinear f(a, b) sends Δa·(b + b')/2 to a and
 * (a + a')/2·Δb to b, so the parts sum to f(a, b) − f(a', b') exactly. GRADIENT uses the product rule.
 */
final class ProductRule {
    private ProductRule() {
    }

    static void backward(NodeProto node, Backward b) {
        String out = node.getOutput(0);
        String m = b.multiplier(out);
        if (m == null) {
            return;
        }
        GraphWriter w = b.writer();
        String left = node.getInput(0);
        String right = node.getInput(1);
        String leftPartner = partner(b, left);
        String rightPartner = partner(b, right);
        if (node.getOpType().equals("Mul")) {
            b.send(left, b.unbroadcast(w.op("Mul", m, rightPartner), left, out));
            b.send(right, b.unbroadcast(w.op("Mul", m, leftPartner), right, out));
            return;
        }
        long[] l = b.shape(left);
        long[] r = b.shape(right);
        if (l.length < 2 || l.length != r.length || !Arrays.equals(Arrays.copyOf(l, l.length - 2),
                Arrays.copyOf(r, r.length - 2))) {
            throw b.unsupported(node, "multiplies two varying tensors of shapes " + Arrays.toString(l) + " and "
                    + Arrays.toString(r) + "; equal batch dimensions of rank 2 or more are supported");
        }
        long[] swap = new long[l.length + 1];
        for (int i = 0; i < swap.length; i++) {
            swap[i] = i;
        }
        swap[swap.length - 1] = swap.length - 2;
        swap[swap.length - 2] = swap.length - 1;
        b.send(left, w.op("MatMul", m, w.op("Transpose", rightPartner, intsAttr("perm", swap))));
        b.send(right, w.op("MatMul", w.op("Transpose", leftPartner, intsAttr("perm", swap)), m));
    }

    /** The value the other operand's change is multiplied by: the mean of both halves, or the instance's. */
    private static String partner(Backward b, String tensor) {
        if (b.mode() == AttributionCompiler.Mode.GRADIENT) {
            return b.atInstance(tensor);
        }
        GraphWriter w = b.writer();
        return w.op("Mul", w.op("Add", b.atInstance(tensor), b.atReference(tensor)), w.scalar(0.5));
    }
}
