package dev.prism.onnx.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Graphs the fuzzer produced (or that follow from its findings): read without an unchecked exception or a hang. */
class MalformedGraphTest {
    private static OnnxGraph graph(NodeProto... nodes) {
        GraphProto.Builder g = GraphProto.newBuilder();
        for (NodeProto n : nodes) {
            g.addNode(n);
        }
        return new OnnxGraph(ModelProto.newBuilder().setGraph(g).build());
    }

    @Test
    void aNodeWithoutNameOrOutputsIsLabelledByItsOperator() {
        assertEquals("unnamed Relu", OnnxGraph.label(NodeProto.newBuilder().setOpType("Relu").build()));
    }

    @Test
    void anIdentityWithoutInputEndsTheSearchForTheFinalSoftmax() {
        OnnxGraph g = graph(NodeProto.newBuilder().setOpType("Identity").addOutput("y").build());
        assertNull(AttributionCompiler.finalSoftmax(g, "y"));
    }

    @Test
    void aCycleOfIdentitiesEndsTheSearchForTheFinalSoftmax() {
        OnnxGraph g = graph(
                NodeProto.newBuilder().setOpType("Identity").addInput("b").addOutput("a").build(),
                NodeProto.newBuilder().setOpType("Identity").addInput("a").addOutput("b").build());
        assertNull(assertTimeoutPreemptively(Duration.ofSeconds(5), () -> AttributionCompiler.finalSoftmax(g, "a")));
    }

    @Test
    void aSoftmaxWithoutInputHasNoLogits() {
        OnnxGraph g = graph(NodeProto.newBuilder().setOpType("Softmax").addOutput("y").build());
        assertNull(AttributionCompiler.finalSoftmax(g, "y"));
        UnsupportedGraphException e = assertThrows(UnsupportedGraphException.class,
                () -> AttributionCompiler.target(g, "y", true));
        assertEquals("score output 'y' is not produced by a Softmax", e.getMessage());
    }
}
