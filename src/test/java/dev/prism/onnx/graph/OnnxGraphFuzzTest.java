package dev.prism.onnx.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;

/**
 * The graph reader and the compiler's load-time checks under arbitrary model bytes: reading the
 * graph, finding the final Softmax and the logits, and checking every node on the attribution path
 * either succeed or fail with {@link UnsupportedGraphException}. These run before ONNX Runtime sees
 * the compiled graph, so anything else thrown (or a hang) would stop a model from loading with an
 * unclear error.
 *
 * <p>Seeds: {@code src/test/resources/dev/prism/onnx/graph/OnnxGraphFuzzTestInputs/}: the bundled and
 * test models.
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
