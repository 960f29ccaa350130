package dev.prism.onnx.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.prism.model.ModelSignature;
import dev.prism.model.OutputKind;
import dev.prism.onnx.trees.TreeEnsembleReader;
import dev.prism.tensor.DType;
import dev.prism.tensor.TensorSpec;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The graph reader and the compiler's load-time checks under arbitrary model bytes: reading the
 * graph, finding the final Softmax and the logits, checking every node on the attribution path, and
 * reading a tree ensemble either succeed or fail with {@link UnsupportedGraphException}. These run before ONNX Runtime sees
 * the compiled graph, so anything else thrown (or a hang) would stop a model from loading with an
 * unclear error.
 *
 * <p>Seeds: {@code src/test/resources/dev/prism/onnx/graph/OnnxGraphFuzzTestInputs/}: the bundled and
 * test models, the tree models among them.
 */
class OnnxGraphFuzzTest {
    @FuzzTest
    void everyGraphIsReadOrRefusedAsUnsupported(byte[] bytes) {
        ModelProto model;
        try {
            model = ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            return;
        }
        try {
            OnnxGraph graph = new OnnxGraph(model);
            GraphProto g = model.getGraph();
            for (ValueInfoProto output : g.getOutputList()) {
                AttributionCompiler.finalSoftmax(graph, output.getName());
                for (ValueInfoProto input : g.getInputList()) {
                    for (boolean logits : new boolean[] {false, true}) {
                        for (AttributionCompiler.Mode mode : AttributionCompiler.Mode.values()) {
                            readPath(graph, input.getName(), output.getName(), logits, mode);
                        }
                    }
                }
            }
            for (NodeProto n : g.getNodeList()) {
                OnnxGraph.label(n);
                n.getInputList().forEach(graph::constantLongs);
            }
        } catch (UnsupportedGraphException expected) {
            // A clear load error: the property holds.
        }
        for (ValueInfoProto input : model.getGraph().getInputList()) {
            for (ValueInfoProto output : model.getGraph().getOutputList()) {
                readTrees(model, input, output);
            }
        }
    }

    private static void readTrees(ModelProto model, ValueInfoProto input, ValueInfoProto output) {
        for (DType type : DType.values()) {
            TensorSpec in = new TensorSpec(input.getName(), type, new long[] {-1, width(input)});
            TensorSpec out = new TensorSpec(output.getName(), DType.FLOAT32, new long[] {-1, width(output)});
            ModelSignature signature = new ModelSignature(List.of(in), List.of(out), in, List.of(out),
                    names(in.instanceSize()), names(out.instanceSize()), OutputKind.UNSPECIFIED);
            try {
                TreeEnsembleReader.read(model, signature);
            } catch (UnsupportedGraphException expected) {
                // This graph has an ensemble Prism refuses, naming why.
            }
        }
    }

    /** The declared last dimension when it is a small fixed one, else 3. */
    private static long width(ValueInfoProto value) {
        var dims = value.getType().getTensorType().getShape().getDimList();
        long last = dims.isEmpty() ? 0 : dims.get(dims.size() - 1).getDimValue();
        return last > 0 && last <= 64 ? last : 3;
    }

    private static List<String> names(int n) {
        return IntStream.range(0, n).mapToObj(i -> "v" + i).toList();
    }

    private static void readPath(OnnxGraph graph, String input, String output, boolean logits,
                                 AttributionCompiler.Mode mode) {
        try {
            AttributionCompiler.path(graph, input, AttributionCompiler.target(graph, output, logits), mode);
        } catch (UnsupportedGraphException expected) {
            // This input, output and mode have no attribution graph; the others may.
        }
    }
}
