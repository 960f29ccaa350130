package dev.prism.onnx.graph;

import static dev.prism.onnx.graph.GraphWriter.floatAttr;
import static dev.prism.onnx.graph.GraphWriter.intAttr;
import static dev.prism.onnx.graph.GraphWriter.intsAttr;
import static dev.prism.onnx.graph.OnnxGraph.floatAttribute;
import static dev.prism.onnx.graph.OnnxGraph.intAttribute;
import static dev.prism.onnx.graph.OnnxGraph.intsAttribute;
import static dev.prism.onnx.graph.OnnxGraph.stringAttribute;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Operators linear in their varying input: the multiplier goes back through the exact transpose
 * (for DeepLIFT the secant of a linear map is the map itself, so both modes share these).
 */
final class LinearTransposes {
    static final Set<String> OPERATORS = Set.of("Identity", "Dropout", "Cast", "Neg", "Add", "Sub", "Sum", "Mul",
            "Div", "Gemm", "MatMul", "Conv", "BatchNormalization", "AveragePool", "GlobalAveragePool", "Flatten",
            "Reshape", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "ReduceSum", "ReduceMean", "Scaler");

    private LinearTransposes() {
    }

    static void backward(NodeProto node, Backward b) {
        if (node.getOpType().equals("Split")) {
            split(node, b);
            return;
        }
        String out = node.getOutput(0);
        String m = b.multiplier(out);
        if (m == null) {
            return;
        }
        GraphWriter w = b.writer();
        String x = node.getInput(0);
        switch (node.getOpType()) {
            case "Identity", "Dropout" -> b.send(x, m);
            case "Cast" -> {
                if (intAttribute(node, "to", 0) != TensorProto.DataType.FLOAT_VALUE) {
                    throw b.unsupported(node, "casts a varying tensor to a type other than float32");
                }
                b.send(x, m);
            }
            case "Neg" -> b.send(x, w.op("Neg", m));
            case "Add", "Sum" -> {
                for (String in : node.getInputList()) {
                    if (b.varying(in)) {
                        b.send(in, b.unbroadcast(m, in, out));
                    }
                }
            }
            case "Sub" -> {
                if (b.varying(node.getInput(0))) {
                    b.send(node.getInput(0), b.unbroadcast(m, node.getInput(0), out));
                }
                if (b.varying(node.getInput(1))) {
                    b.send(node.getInput(1), b.unbroadcast(w.op("Neg", m), node.getInput(1), out));
                }
            }
            case "Mul" -> {
                String v = b.varying(x) ? x : node.getInput(1);
                String c = v.equals(x) ? node.getInput(1) : x;
                b.send(v, b.unbroadcast(w.op("Mul", m, c), v, out));
            }
            case "Div" -> b.send(x, b.unbroadcast(w.op("Div", m, node.getInput(1)), x, out));
            case "Gemm" -> gemm(node, b, m);
            case "MatMul" -> matMul(node, b, m);
            case "Conv" -> conv(node, b, m);
            case "BatchNormalization" -> batchNorm(node, b, m);
            case "AveragePool" -> averagePool(node, b, m);
            case "GlobalAveragePool" -> {
                long[] in = b.shape(x);
                long[] dims = new long[in.length];
                dims[0] = 1;
                long count = 1;
                for (int i = 1; i < in.length; i++) {
                    dims[i] = in[i];
                    count *= in[i];
                }
                float[] values = new float[(int) count];
                Arrays.fill(values, 1f / count);
                b.send(x, w.op("Mul", m, w.floats(dims, values)));
            }
            case "Flatten", "Reshape", "Squeeze", "Unsqueeze" -> b.send(x, w.op("Reshape", m, b.batchShape(b.shape(x))));
            case "Transpose" -> transpose(node, b, m);
            case "Concat" -> concat(node, b, m);
            case "ReduceSum", "ReduceMean" -> reduce(node, b, m);
            case "Scaler" -> {
                float[] scale = floats(OnnxGraph.attribute(node, "scale"));
                b.send(x, w.op("Mul", m, w.floats(scale.length == 1 ? new long[0] : new long[] {scale.length}, scale)));
            }
            default -> throw b.unsupported(node, "has no linear rule");
        }
    }

    private static void requireStatic(NodeProto node, Backward b, int... inputs) {
        for (int i : inputs) {
            if (i < node.getInputCount() && b.varying(node.getInput(i))) {
                throw b.unsupported(node, "has a varying input " + i + "; only its data input may vary");
            }
        }
    }

    private static void gemm(NodeProto node, Backward b, String m) {
        requireStatic(node, b, 1, 2);
        if (intAttribute(node, "transA", 0) != 0) {
            throw b.unsupported(node, "transposes its varying input (transA=1), which moves the batch");
        }
        float alpha = floatAttribute(node, "alpha", 1f);
        long transB = intAttribute(node, "transB", 0);
        b.send(node.getInput(0), b.writer().op("Gemm", List.of(m, node.getInput(1)), floatAttr("alpha", alpha),
                intAttr("transB", 1 - transB)));
    }

    private static void matMul(NodeProto node, Backward b, String m) {
        GraphWriter w = b.writer();
        String a = node.getInput(0);
        String c = node.getInput(1);
        if (b.varying(a)) {
            long[] weight = staticDims(node, b, c);
            if (weight.length != 2) {
                throw b.unsupported(node, "multiplies by a constant of rank " + weight.length + "; rank 2 is supported");
            }
            b.send(a, w.op("MatMul", m, w.op("Transpose", c)));
        } else {
            long[] weight = staticDims(node, b, a);
            if (weight.length != 2 || b.shape(c).length < 2) {
                throw b.unsupported(node, "multiplies a varying right operand of per-row rank " + b.shape(c).length
                        + " by a constant of rank " + weight.length);
            }
            b.send(c, w.op("MatMul", w.op("Transpose", a), m));
        }
    }

    private static long[] staticDims(NodeProto node, Backward b, String tensor) {
        TensorProto t = b.constant(tensor);
        if (t == null) {
            throw b.unsupported(node, "has a computed weight '" + tensor + "'; weights must be initializers or constants");
        }
        return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    }

    private static void conv(NodeProto node, Backward b, String m) {
        requireStatic(node, b, 1, 2);
        String x = node.getInput(0);
        long[] in = b.shape(x);
        long[] out = b.shape(node.getOutput(0));
        int spatial = in.length - 1;
        long[] kernel = intsAttribute(node, "kernel_shape");
        if (kernel == null) {
            long[] wDims = staticDims(node, b, node.getInput(1));
            kernel = Arrays.copyOfRange(wDims, 2, wDims.length);
        }
        Window win = Window.of(node, b, spatial, kernel, in, out);
        b.send(x, b.writer().op("ConvTranspose", List.of(m, node.getInput(1)), intsAttr("strides", win.strides),
                intsAttr("pads", win.pads), intsAttr("dilations", win.dilations),
                intsAttr("output_padding", win.outputPadding), intsAttr("kernel_shape", kernel),
                intAttr("group", intAttribute(node, "group", 1))));
    }

    private static void batchNorm(NodeProto node, Backward b, String m) {
        requireStatic(node, b, 1, 2, 3, 4);
        if (intAttribute(node, "training_mode", 0) != 0) {
            throw b.unsupported(node, "runs in training mode");
        }
        GraphWriter w = b.writer();
        float epsilon = floatAttribute(node, "epsilon", 1e-5f);
        String factor = w.op("Div", node.getInput(1), w.op("Sqrt", w.op("Add", node.getInput(4), w.scalar(epsilon))));
        long[] dims = new long[b.shape(node.getInput(0)).length];
        Arrays.fill(dims, 1);
        dims[0] = -1;
        b.send(node.getInput(0), w.op("Mul", m, w.op("Reshape", factor, w.int64s(dims))));
    }

    private static void averagePool(NodeProto node, Backward b, String m) {
        GraphWriter w = b.writer();
        String x = node.getInput(0);
        long[] in = b.shape(x);
        long[] out = b.shape(node.getOutput(0));
        int spatial = in.length - 1;
        long[] kernel = intsAttribute(node, "kernel_shape");
        Window win = Window.of(node, b, spatial, kernel, in, out);
        // Every channel pools alone: fold channels into the batch and run one single-channel transpose.
        long[] folded = new long[in.length + 1];
        folded[0] = -1;
        folded[1] = 1;
        System.arraycopy(out, 1, folded, 2, spatial);
        String perWindow = w.op("Reshape", m, w.int64s(folded));
        boolean includePad = intAttribute(node, "count_include_pad", 0) == 1;
        perWindow = w.op("Mul", perWindow, divisors(w, win, kernel, in, out, includePad));
        long[] kernelDims = new long[spatial + 2];
        kernelDims[0] = 1;
        kernelDims[1] = 1;
        System.arraycopy(kernel, 0, kernelDims, 2, spatial);
        float[] ones = new float[(int) AttributionCompiler.product(kernel)];
        Arrays.fill(ones, 1f);
        String spread = w.op("ConvTranspose", List.of(perWindow, w.floats(kernelDims, ones)),
                intsAttr("strides", win.strides), intsAttr("pads", win.pads), intsAttr("dilations", win.dilations),
                intsAttr("output_padding", win.outputPadding), intsAttr("kernel_shape", kernel));
        b.send(x, w.op("Reshape", spread, b.batchShape(in)));
    }

    /** 1/(elements averaged) per output position, as a [1, 1, spatial...] constant. */
    private static String divisors(GraphWriter w, Window win, long[] kernel, long[] in, long[] out, boolean includePad) {
        int spatial = kernel.length;
        long[] outSpatial = Arrays.copyOfRange(out, 1, out.length);
        int positions = (int) AttributionCompiler.product(outSpatial);
        float[] values = new float[positions];
        long[] index = new long[spatial];
        for (int p = 0; p < positions; p++) {
            long rest = p;
            for (int d = spatial - 1; d >= 0; d--) {
                index[d] = rest % outSpatial[d];
                rest /= outSpatial[d];
            }
            long count = 1;
            for (int d = 0; d < spatial; d++) {
                long start = index[d] * win.strides[d] - win.pads[d];
                long end = start + (kernel[d] - 1) * win.dilations[d];
                long lo = includePad ? -win.pads[d] : 0;
                long hi = includePad ? in[d + 1] - 1 + win.pads[d + spatial] : in[d + 1] - 1;
                long inside = 0;
                for (long e = start; e <= end; e += win.dilations[d]) {
                    if (e >= lo && e <= hi) {
                        inside++;
                    }
                }
                count *= inside;
            }
            values[p] = 1f / count;
        }
        long[] dims = new long[spatial + 2];
        dims[0] = 1;
        dims[1] = 1;
        System.arraycopy(outSpatial, 0, dims, 2, spatial);
        return w.floats(dims, values);
    }

    private static void transpose(NodeProto node, Backward b, String m) {
        long[] perm = intsAttribute(node, "perm");
        int rank = b.shape(node.getInput(0)).length + 1;
        if (perm == null) {
            perm = new long[rank];
            for (int i = 0; i < rank; i++) {
                perm[i] = rank - 1 - i;
            }
        }
        if (perm[0] != 0) {
            throw b.unsupported(node, "moves the batch dimension (perm " + Arrays.toString(perm) + ")");
        }
        long[] inverse = new long[perm.length];
        for (int i = 0; i < perm.length; i++) {
            inverse[(int) perm[i]] = i;
        }
        b.send(node.getInput(0), b.writer().op("Transpose", m, intsAttr("perm", inverse)));
    }

    private static void concat(NodeProto node, Backward b, String m) {
        int rank = b.shape(node.getOutput(0)).length + 1;
        long axis = intAttribute(node, "axis", 0);
        axis = axis < 0 ? axis + rank : axis;
        if (axis == 0) {
            throw b.unsupported(node, "concatenates along the batch dimension");
        }
        GraphWriter w = b.writer();
        long offset = 0;
        for (String in : node.getInputList()) {
            long size = b.varying(in) ? b.shape(in)[(int) axis - 1] : constantAxisSize(node, b, in, (int) axis);
            if (b.varying(in)) {
                b.send(in, w.op("Slice", List.of(m, w.int64s(offset), w.int64s(offset + size), w.int64s(axis))));
            }
            offset += size;
        }
    }

    private static long constantAxisSize(NodeProto node, Backward b, String tensor, int axis) {
        long[] dims = staticDims(node, b, tensor);
        return dims[axis];
    }

    private static void split(NodeProto node, Backward b) {
        GraphWriter w = b.writer();
        List<String> parts = new ArrayList<>();
        boolean any = false;
        for (String out : node.getOutputList()) {
            String m = b.multiplier(out);
            any |= m != null;
            parts.add(m != null ? m : w.op("Mul", b.atInstance(out), w.scalar(0)));
        }
        if (!any) {
            return;
        }
        int rank = b.shape(node.getInput(0)).length + 1;
        long axis = intAttribute(node, "axis", 0);
        axis = axis < 0 ? axis + rank : axis;
        if (axis == 0) {
            throw b.unsupported(node, "splits along the batch dimension");
        }
        b.send(node.getInput(0), w.op("Concat", parts, intAttr("axis", axis)));
    }

    private static void reduce(NodeProto node, Backward b, String m) {
        String x = node.getInput(0);
        long[] in = b.shape(x);
        int rank = in.length + 1;
        long[] axes = intsAttribute(node, "axes");
        if (axes == null && node.getInputCount() > 1 && !node.getInput(1).isEmpty()) {
            axes = b.constantLongs(node.getInput(1));
            if (axes == null) {
                throw b.unsupported(node, "takes computed axes; they must be constants");
            }
        }
        if (axes == null || axes.length == 0) {
            if (intAttribute(node, "noop_with_empty_axes", 0) == 1) {
                b.send(x, m);
                return;
            }
            throw b.unsupported(node, "reduces over every axis, the batch included");
        }
        long[] keep = in.clone();
        long count = 1;
        for (long a : axes) {
            int axis = (int) (a < 0 ? a + rank : a);
            if (axis == 0) {
                throw b.unsupported(node, "reduces over the batch dimension");
            }
            count *= keep[axis - 1];
            keep[axis - 1] = 1;
        }
        GraphWriter w = b.writer();
        String kept = w.op("Reshape", m, b.batchShape(keep));
        float[] spread = new float[(int) AttributionCompiler.product(in)];
        Arrays.fill(spread, node.getOpType().equals("ReduceMean") ? 1f / count : 1f);
        b.send(x, w.op("Mul", kept, w.floats(in, spread)));
    }

    private static float[] floats(AttributeProto a) {
        float[] out = new float[a.getFloatsCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.getFloats(i);
        }
        return out;
    }

    /** Strides, explicit pads, dilations and the transpose's output padding of a Conv or pool window. */
    record Window(long[] strides, long[] pads, long[] dilations, long[] outputPadding) {
        static Window of(NodeProto node, Backward b, int spatial, long[] kernel, long[] in, long[] out) {
            long[] strides = orOnes(intsAttribute(node, "strides"), spatial);
            long[] dilations = orOnes(intsAttribute(node, "dilations"), spatial);
            long[] pads = intsAttribute(node, "pads");
            String autoPad = stringAttribute(node, "auto_pad", "NOTSET");
            if (autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER")) {
                pads = new long[2 * spatial];
                for (int d = 0; d < spatial; d++) {
                    long total = Math.max(0, (out[d + 1] - 1) * strides[d] + (kernel[d] - 1) * dilations[d] + 1 - in[d + 1]);
                    long small = total / 2;
                    pads[d] = autoPad.equals("SAME_UPPER") ? small : total - small;
                    pads[d + spatial] = total - pads[d];
                }
            } else if (pads == null || autoPad.equals("VALID")) {
                pads = new long[2 * spatial];
            }
            long[] outputPadding = new long[spatial];
            for (int d = 0; d < spatial; d++) {
                long covered = strides[d] * (out[d + 1] - 1) + (kernel[d] - 1) * dilations[d] + 1 - pads[d] - pads[d + spatial];
                outputPadding[d] = in[d + 1] - covered;
                if (outputPadding[d] < 0 || outputPadding[d] >= Math.max(strides[d], dilations[d])) {
                    throw b.unsupported(node, "has a window (ceil_mode or padding) whose transpose does not "
                            + "cover the input exactly");
                }
            }
            return new Window(strides, pads, dilations, outputPadding);
        }

        private static long[] orOnes(long[] values, int n) {
            if (values != null) {
                return values;
            }
            long[] ones = new long[n];
            Arrays.fill(ones, 1);
            return ones;
        }
    }
}
