package dev.prism.onnx.graph;

import static dev.prism.onnx.graph.GraphWriter.intAttr;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a model's graph into an attribution graph: the model's own nodes run forward (in
 * DEEP_LIFT mode on the instances and references concatenated along the batch, as Captum does),
 * then one backward node group per forward node carries multipliers from the target back to the
 * explained input.
 *
 * <p>Graph inputs {@value #INSTANCES} [N, ...], {@value #REFERENCES} [N, ...] (DEEP_LIFT) and
 * {@value #SEED} [N, K]; outputs {@value #ATTRIBUTIONS} [N, ...] ((x − x')·m, or the gradient),
 * {@value #SCORE} [N] = seed·f(x) and {@value #REFERENCE_SCORE} [N] = seed·f(x') (DEEP_LIFT).
 */
public final class AttributionCompiler {
    public static final String INSTANCES = "prism_instances";
    public static final String REFERENCES = "prism_references";
    public static final String SEED = "prism_seed";
    public static final String ATTRIBUTIONS = "prism_attributions";
    public static final String SCORE = "prism_score";
    public static final String REFERENCE_SCORE = "prism_reference_score";
    /** Captum's DeepLift epsilon: below it, a difference counts as zero and the gradient is used. */
    static final double EPSILON = 1e-10;
    /** Emitted nodes use the opset-13 forms (axes and splits as inputs) and 16's ScatterElements reduction. */
    private static final long MIN_OPSET = 13;
    private static final long EMITTED_OPSET = 16;

    public enum Mode { DEEP_LIFT, GRADIENT }

    private AttributionCompiler() {
    }

    /**
     * The tensor attributions are taken of: the score output, or with logits the input of the Softmax
     * that produces it.
     */
    public static String target(OnnxGraph graph, String scoreOutput, boolean logits) {
        if (!logits) {
            return scoreOutput;
        }
        NodeProto softmax = finalSoftmax(graph, scoreOutput);
        if (softmax == null) {
            throw new UnsupportedGraphException("score output '" + scoreOutput + "' is not produced by a Softmax");
        }
        return softmax.getInput(0);
    }

    /** The Softmax producing the score output (through Identity nodes), or null. */
    public static NodeProto finalSoftmax(OnnxGraph graph, String scoreOutput) {
        NodeProto producer = graph.producer(scoreOutput);
        // A malformed graph may have an Identity without an input, or a cycle of them.
        Set<NodeProto> seen = new HashSet<>();
        while (producer != null && producer.getOpType().equals("Identity") && producer.getInputCount() > 0
                && seen.add(producer)) {
            producer = graph.producer(producer.getInput(0));
        }
        return producer != null && producer.getOpType().equals("Softmax") && producer.getDomain().isEmpty()
                && producer.getInputCount() > 0 ? producer : null;
    }

    /**
     * The nodes the attributions flow through, each checked to have a rule in this mode.
     *
     * @throws UnsupportedGraphException naming the first node without one
     */
    public static List<NodeProto> path(OnnxGraph graph, String input, String target, Mode mode) {
        if (graph.defaultOpset() < MIN_OPSET) {
            throw new UnsupportedGraphException("the model uses opset " + graph.defaultOpset()
                    + "; gradient graphs need opset " + MIN_OPSET + " or later");
        }
        Set<String> varying = graph.varying(input);
        NodeProto finalSoftmax = finalSoftmax(graph, target);
        List<NodeProto> path = new ArrayList<>();
        for (NodeProto n : graph.ancestors(target)) {
            if (n.getInputList().stream().anyMatch(varying::contains)) {
                Rules.check(n, mode, n == finalSoftmax);
                path.add(n);
            }
        }
        return path;
    }

    /**
     * Writes the attribution graph.
     *
     * @param shapes the per-row dimensions of every varying tensor on the path (from {@link ShapeProbe})
     */
    public static ModelProto compile(OnnxGraph graph, String input, String scoreOutput, boolean logits, Mode mode,
                                     Map<String, long[]> shapes) {
        String target = target(graph, scoreOutput, logits);
        List<NodeProto> path = path(graph, input, target, mode);
        Compilation c = new Compilation(graph, input, target, mode, shapes);
        return c.build(path);
    }

    private static final class Compilation implements Backward {
        private final OnnxGraph graph;
        private final String input;
        private final String target;
        private final Mode mode;
        private final Map<String, long[]> shapes;
        private final Set<String> varying;
        private final GraphWriter w = new GraphWriter("prism_");
        private final Map<String, List<String>> arriving = new HashMap<>();
        private final Map<String, String> summed = new HashMap<>();
        private final Map<String, String[]> halves = new HashMap<>();
        private final Map<String, String> deltas = new HashMap<>();
        private final Map<String, String> smallDeltas = new HashMap<>();
        private final Map<String, String> safeDeltas = new HashMap<>();
        private String halfSizes;

        Compilation(OnnxGraph graph, String input, String target, Mode mode, Map<String, long[]> shapes) {
            this.graph = graph;
            this.input = input;
            this.target = target;
            this.mode = mode;
            this.shapes = shapes;
            this.varying = graph.varying(input);
        }

        ModelProto build(List<NodeProto> path) {
            long[] inShape = shape(input);
            if (mode == Mode.DEEP_LIFT) {
                w.copy(NodeProto.newBuilder().setOpType("Concat").setName("prism_concat_references")
                        .addInput(INSTANCES).addInput(REFERENCES).addOutput(input).addAttribute(intAttr("axis", 0))
                        .build());
                String rows = w.op("Slice", List.of(w.op("Shape", INSTANCES), w.int64s(0), w.int64s(1)));
                halfSizes = w.op("Concat", List.of(rows, rows), intAttr("axis", 0));
                halves.put(input, new String[] {INSTANCES, REFERENCES});
            } else {
                w.copy(NodeProto.newBuilder().setOpType("Identity").setName("prism_instances_identity")
                        .addInput(INSTANCES).addOutput(input).build());
            }
            for (NodeProto n : graph.ancestors(target)) {
                w.copy(n);
            }

            long[] targetShape = shape(target);
            String seed = w.op("Reshape", SEED, batchShape(targetShape));
            List<String> outputs = new ArrayList<>();
            outputs.add(score(seed, atInstance(target), targetShape, SCORE));
            if (mode == Mode.DEEP_LIFT) {
                outputs.add(score(seed, atReference(target), targetShape, REFERENCE_SCORE));
            }
            send(target, seed);

            for (int i = path.size() - 1; i >= 0; i--) {
                NodeProto n = path.get(i);
                boolean anyArrives = n.getOutputList().stream().anyMatch(arriving::containsKey);
                if (anyArrives) {
                    Rules.backward(n, this, isFinalSoftmax(n));
                }
            }
            String m = multiplier(input);
            if (m == null) {
                // The target does not depend on the input's values: every multiplier is zero.
                m = w.op("Mul", INSTANCES, w.scalar(0));
            }
            String attributions = mode == Mode.DEEP_LIFT ? w.op("Mul", w.op("Sub", INSTANCES, REFERENCES), m) : m;
            w.copy(NodeProto.newBuilder().setOpType("Identity").setName("prism_attributions_identity")
                    .addInput(attributions).addOutput(ATTRIBUTIONS).build());

            GraphProto original = graph.model().getGraph();
            Set<String> used = new java.util.HashSet<>();
            w.nodes().forEach(n -> used.addAll(n.getInputList()));
            GraphProto.Builder g = GraphProto.newBuilder().setName(original.getName() + "_attributions")
                    .addAllNode(w.nodes()).addAllInitializer(w.initializers());
            original.getInitializerList().stream().filter(t -> used.contains(t.getName())).forEach(g::addInitializer);
            g.addInput(valueInfo(INSTANCES, inShape));
            if (mode == Mode.DEEP_LIFT) {
                g.addInput(valueInfo(REFERENCES, inShape));
            }
            g.addInput(valueInfo(SEED, new long[] {product(targetShape)}));
            g.addOutput(valueInfo(ATTRIBUTIONS, inShape));
            g.addOutput(valueInfo(SCORE, new long[0]));
            if (mode == Mode.DEEP_LIFT) {
                g.addOutput(valueInfo(REFERENCE_SCORE, new long[0]));
            }
            ModelProto.Builder model = graph.model().toBuilder().setGraph(g).clearOpsetImport();
            for (OperatorSetIdProto o : graph.model().getOpsetImportList()) {
                boolean main = o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx");
                model.addOpsetImport(main ? o.toBuilder().setVersion(Math.max(o.getVersion(), EMITTED_OPSET)).build() : o);
            }
            return model.build();
        }

        /** The final Softmax only takes Captum's rule; DEEP_LIFT has none for an interior one. */
        private boolean isFinalSoftmax(NodeProto n) {
            return n == finalSoftmax(graph, target);
        }

        private String score(String seed, String values, long[] targetShape, String name) {
            String product = w.op("Mul", seed, values);
            String s = targetShape.length == 0 ? product
                    : w.op("ReduceSum", List.of(product, w.int64s(range(1, targetShape.length + 1))),
                    intAttr("keepdims", 0));
            w.copy(NodeProto.newBuilder().setOpType("Identity").setName(name + "_identity").addInput(s)
                    .addOutput(name).build());
            return name;
        }

        @Override
        public Mode mode() {
            return mode;
        }

        @Override
        public GraphWriter writer() {
            return w;
        }

        @Override
        public TensorProto constant(String tensor) {
            return graph.constant(tensor);
        }

        @Override
        public long[] constantLongs(String tensor) {
            return graph.constantLongs(tensor);
        }

        @Override
        public boolean varying(String tensor) {
            return varying.contains(tensor);
        }

        @Override
        public long[] shape(String tensor) {
            long[] s = shapes.get(tensor);
            if (s == null) {
                throw new IllegalStateException("no probed shape for tensor '" + tensor + "'");
            }
            return s;
        }

        private String[] split(String tensor) {
            return halves.computeIfAbsent(tensor, t -> w.ops("Split", List.of(t, halfSizes), 2, intAttr("axis", 0)));
        }

        @Override
        public String atInstance(String tensor) {
            if (mode == Mode.GRADIENT || !varying(tensor)) {
                return tensor;
            }
            return split(tensor)[0];
        }

        @Override
        public String atReference(String tensor) {
            if (mode != Mode.DEEP_LIFT) {
                throw new IllegalStateException("references exist in DEEP_LIFT mode only");
            }
            return varying(tensor) ? split(tensor)[1] : tensor;
        }

        @Override
        public String delta(String tensor) {
            return deltas.computeIfAbsent(tensor, t -> w.op("Sub", atInstance(t), atReference(t)));
        }

        @Override
        public String multiplier(String output) {
            if (summed.containsKey(output)) {
                return summed.get(output);
            }
            List<String> parts = arriving.get(output);
            String m = parts == null ? null : parts.size() == 1 ? parts.get(0) : w.op("Sum", parts);
            summed.put(output, m);
            return m;
        }

        @Override
        public void send(String tensor, String multiplier) {
            if (summed.containsKey(tensor)) {
                throw new IllegalStateException("multiplier sent to '" + tensor + "' after it was read");
            }
            arriving.computeIfAbsent(tensor, t -> new ArrayList<>()).add(multiplier);
        }

        @Override
        public String batchShape(long[] dims) {
            long[] s = new long[dims.length + 1];
            s[0] = -1;
            System.arraycopy(dims, 0, s, 1, dims.length);
            return w.int64s(s);
        }

        @Override
        public String unbroadcast(String multiplier, String in, String out) {
            long[] inShape = shape(in);
            long[] outShape = shape(out);
            if (java.util.Arrays.equals(inShape, outShape)) {
                return multiplier;
            }
            if (inShape.length != outShape.length) {
                throw new UnsupportedGraphException("tensor '" + in + "' of shape " + java.util.Arrays.toString(inShape)
                        + " is broadcast to rank " + outShape.length + " across the batch");
            }
            List<Long> axes = new ArrayList<>();
            for (int i = 0; i < inShape.length; i++) {
                if (inShape[i] == 1 && outShape[i] != 1) {
                    axes.add((long) i + 1);
                }
            }
            return w.op("ReduceSum", List.of(multiplier, w.int64s(axes.stream().mapToLong(Long::longValue).toArray())),
                    intAttr("keepdims", 1));
        }

        @Override
        public String rescale(String multiplier, String in, String out, String derivative) {
            if (mode == Mode.GRADIENT) {
                return w.op("Mul", multiplier, derivative);
            }
            return w.op("Mul", multiplier, secantOr(delta(out), in, derivative));
        }

        @Override
        public String secantOr(String change, String in, String fallback) {
            String dIn = delta(in);
            String small = smallDeltas.computeIfAbsent(in, t -> w.op("Less", w.op("Abs", dIn), w.scalar(EPSILON)));
            // Δin + 1 where the delta is small (the quotient there is replaced), Δin exactly elsewhere:
            // cheaper in ONNX Runtime than a Where with a broadcast scalar.
            String safe = safeDeltas.computeIfAbsent(in, t -> w.op("Add", dIn,
                    w.op("Cast", small, intAttr("to", TensorProto.DataType.FLOAT_VALUE))));
            return w.op("Where", List.of(small, fallback, w.op("Div", change, safe)));
        }

        private static ValueInfoProto valueInfo(String name, long[] rowDims) {
            TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
                    .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
            for (long d : rowDims) {
                shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
            }
            return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                    TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT.getNumber())
                            .setShape(shape))).build();
        }
    }

    static long product(long[] dims) {
        long p = 1;
        for (long d : dims) {
            p *= d;
        }
        return p;
    }

    static long[] range(int from, int to) {
        long[] r = new long[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }
}
