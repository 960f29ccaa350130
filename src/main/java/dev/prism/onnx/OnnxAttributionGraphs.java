package dev.prism.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.prism.model.AttributionGraphs;
import dev.prism.model.AttributionKind;
import dev.prism.model.Model;
import dev.prism.model.ModelSignature;
import dev.prism.onnx.graph.AttributionCompiler;
import dev.prism.onnx.graph.OnnxGraph;
import dev.prism.onnx.graph.ShapeProbe;
import dev.prism.onnx.graph.UnsupportedGraphException;
import dev.prism.tensor.DType;
import dev.prism.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The attribution graphs of one ONNX model, compiled when it loads: for each kind, with and without
 * the final Softmax, a session ONNX Runtime has validated, on the model's device. A kind the graph
 * cannot support keeps the reason instead.
 */
final class OnnxAttributionGraphs implements AttributionGraphs {
    private record Key(AttributionKind kind, boolean logits) {}

    private final Map<AttributionKind, String> unsupported = new EnumMap<>(AttributionKind.class);
    private final Map<Key, AttributionModel> graphs = new HashMap<>();
    private final boolean hasLogits;

    private OnnxAttributionGraphs(boolean hasLogits) {
        this.hasLogits = hasLogits;
    }

    /**
     * Compiles every graph the model supports.
     *
     * @param options opens sessions configured as the model's own (device, threads)
     */
    static AttributionGraphs compile(OrtEnvironment env, ModelProto proto, ModelSignature signature,
                                     ExecutionDevice device, Supplier<OrtSession.SessionOptions> options) {
        TensorSpec input = signature.explainedInput();
        if (input.dtype() != DType.FLOAT32) {
            return AttributionGraphs.none("the explained input '" + input.name() + "' is " + input.dtype()
                    + "; gradient methods need a float32 input");
        }
        if (signature.scoreOutputs().size() != 1 || signature.scoreOutputs().get(0).dtype() != DType.FLOAT32) {
            return AttributionGraphs.none("gradient methods explain one float32 score output; this model has "
                    + signature.scoreOutputs());
        }
        String output = signature.scoreOutputs().get(0).name();
        OnnxGraph graph;
        try {
            graph = new OnnxGraph(proto);
        } catch (UnsupportedGraphException e) {
            return AttributionGraphs.none(e.getMessage());
        }
        boolean hasLogits = AttributionCompiler.finalSoftmax(graph, output) != null;
        OnnxAttributionGraphs result = new OnnxAttributionGraphs(hasLogits);
        long[] dims = new long[input.instanceShape().length];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = input.instanceShape()[i];
        }
        try (OrtSession.SessionOptions probeOptions = options.get()) {
            for (AttributionKind kind : AttributionKind.values()) {
                AttributionCompiler.Mode mode = AttributionCompiler.Mode.valueOf(kind.name());
                try {
                    for (boolean logits : hasLogits ? List.of(false, true) : List.of(false)) {
                        String target = AttributionCompiler.target(graph, output, logits);
                        List<NodeProto> path = AttributionCompiler.path(graph, input.name(), target, mode);
                        Map<String, long[]> shapes = ShapeProbe.shapes(env, probeOptions, graph, input.name(), dims,
                                path, target);
                        ModelProto compiled = AttributionCompiler.compile(graph, input.name(), output, logits, mode,
                                shapes);
                        result.graphs.put(new Key(kind, logits), open(env, compiled, kind, device, input,
                                signature.outputCount(), options, logits));
                    }
                } catch (UnsupportedGraphException e) {
                    result.unsupported.put(kind, e.getMessage());
                    result.closeKind(kind);
                }
            }
        } catch (RuntimeException e) {
            result.close();
            throw e;
        }
        return result;
    }

    private static AttributionModel open(OrtEnvironment env, ModelProto compiled, AttributionKind kind,
                                         ExecutionDevice device, TensorSpec input, int outputs,
                                         Supplier<OrtSession.SessionOptions> options, boolean logits) {
        try (OrtSession.SessionOptions o = options.get()) {
            OrtSession session = env.createSession(compiled.toByteArray(), o);
            String name = kind.name().toLowerCase(java.util.Locale.ROOT) + (logits ? "_logits" : "");
            return new AttributionModel(env, session, kind, device, input.instanceShape(), outputs, name);
        } catch (OrtException e) {
            // A compiled graph ONNX Runtime refuses must not stop the model serving its other methods.
            throw new UnsupportedGraphException("ONNX Runtime refused the compiled " + kind + " graph: " + e.getMessage());
        }
    }

    private void closeKind(AttributionKind kind) {
        List<Key> keys = new ArrayList<>(graphs.keySet());
        for (Key k : keys) {
            if (k.kind() == kind) {
                graphs.remove(k).close();
            }
        }
    }

    @Override
    public Optional<String> unsupported(AttributionKind kind) {
        return Optional.ofNullable(unsupported.get(kind));
    }

    @Override
    public boolean hasLogits() {
        return hasLogits;
    }

    @Override
    public Model graph(AttributionKind kind, boolean logits) {
        AttributionModel m = graphs.get(new Key(kind, logits));
        if (m == null) {
            throw new IllegalStateException(unsupported.getOrDefault(kind,
                    "the model has no " + (logits ? "logits" : "output") + " graph for " + kind));
        }
        return m;
    }

    @Override
    public void close() {
        graphs.values().forEach(AttributionModel::close);
        graphs.clear();
    }
}
