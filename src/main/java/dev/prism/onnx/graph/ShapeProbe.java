package dev.prism.onnx.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Learns the shape of every tensor on the attribution path by running the model once on two rows
 * with those tensors exposed as outputs (ONNX Runtime cannot fetch intermediate values otherwise),
 * and checks that each keeps the batch as its first dimension.
 */
public final class ShapeProbe {
    private static final int ROWS = 2;

    private ShapeProbe() {
    }

    /** Per-row dimensions (after the batch) of the path's tensors. */
    public static Map<String, long[]> shapes(OrtEnvironment env, OrtSession.SessionOptions options, OnnxGraph graph,
                                             String input, long[] instanceDims, List<NodeProto> path, String target) {
        Set<String> varying = graph.varying(input);
        Set<String> wanted = new LinkedHashSet<>();
        wanted.add(input);
        for (NodeProto n : path) {
            n.getInputList().stream().filter(varying::contains).forEach(wanted::add);
        }
        wanted.add(target);
        ModelProto.Builder probe = graph.model().toBuilder();
        Set<String> existing = new java.util.HashSet<>();
        probe.getGraph().getOutputList().forEach(o -> existing.add(o.getName()));
        for (String t : wanted) {
            if (!existing.contains(t) && !t.equals(input)) {
                probe.getGraphBuilder().addOutput(ValueInfoProto.newBuilder().setName(t).setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
            }
        }
        long[] shape = new long[instanceDims.length + 1];
        shape[0] = ROWS;
        System.arraycopy(instanceDims, 0, shape, 1, instanceDims.length);
        int elements = (int) (ROWS * AttributionCompiler.product(instanceDims));
        Map<String, long[]> shapes = new HashMap<>();
        shapes.put(input, instanceDims.clone());
        Set<String> fetch = new LinkedHashSet<>(wanted);
        fetch.remove(input);
        try (OrtSession session = env.createSession(probe.build().toByteArray(), options);
             OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[elements]), shape);
             OrtSession.Result result = session.run(Map.of(input, x), fetch)) {
            for (String t : fetch) {
                OnnxValue v = result.get(t).orElseThrow();
                long[] dims = ((TensorInfo) v.getInfo()).getShape();
                if (dims.length == 0 || dims[0] != ROWS) {
                    throw new UnsupportedGraphException("tensor '" + t + "' has shape " + Arrays.toString(dims)
                            + " for " + ROWS + " rows: it does not keep the batch as its first dimension");
                }
                shapes.put(t, Arrays.copyOfRange(dims, 1, dims.length));
            }
        } catch (OrtException e) {
            throw new UnsupportedGraphException("ONNX Runtime could not run the model with its intermediate "
                    + "tensors exposed: " + e.getMessage());
        }
        return shapes;
    }
}
