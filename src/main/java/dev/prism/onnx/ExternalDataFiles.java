package dev.prism.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Checks the files an ONNX model keeps tensor data in (its {@code external_data} locations) before
 * ONNX Runtime opens them: each must be a relative path without {@code ..} that, links followed,
 * names an existing file inside the model's own folder. A model can thus not make the server read,
 * and serve values computed from, a file elsewhere on the machine.
 */
final class ExternalDataFiles {
    private ExternalDataFiles() {}

    /**
     * @param model  the parsed model
     * @param folder the folder of the model file
     * @throws IllegalArgumentException naming the tensor and its location when one points elsewhere
     */
    static void confine(ModelProto model, Path folder) {
        Path realFolder;
        try {
            realFolder = folder.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot resolve the model folder " + folder + ": " + e, e);
        }
        graph(model.getGraph(), folder, realFolder);
        for (var function : model.getFunctionsList()) {
            for (NodeProto node : function.getNodeList()) {
                node(node, folder, realFolder);
            }
        }
    }

    private static void graph(GraphProto graph, Path folder, Path realFolder) {
        for (TensorProto t : graph.getInitializerList()) {
            tensor(t, folder, realFolder);
        }
        for (SparseTensorProto t : graph.getSparseInitializerList()) {
            sparse(t, folder, realFolder);
        }
        for (NodeProto node : graph.getNodeList()) {
            node(node, folder, realFolder);
        }
    }

    private static void node(NodeProto node, Path folder, Path realFolder) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.hasT()) {
                tensor(a.getT(), folder, realFolder);
            }
            for (TensorProto t : a.getTensorsList()) {
                tensor(t, folder, realFolder);
            }
            if (a.hasSparseTensor()) {
                sparse(a.getSparseTensor(), folder, realFolder);
            }
            for (SparseTensorProto t : a.getSparseTensorsList()) {
                sparse(t, folder, realFolder);
            }
            if (a.hasG()) {
                graph(a.getG(), folder, realFolder);
            }
            for (GraphProto g : a.getGraphsList()) {
                graph(g, folder, realFolder);
            }
        }
    }

    private static void sparse(SparseTensorProto t, Path folder, Path realFolder) {
        tensor(t.getValues(), folder, realFolder);
        tensor(t.getIndices(), folder, realFolder);
    }

    private static void tensor(TensorProto t, Path folder, Path realFolder) {
        // Any declared location is checked, whatever data_location says: a reader may still follow it.
        for (StringStringEntryProto entry : t.getExternalDataList()) {
            if (entry.getKey().equals("location")) {
                location(t.getName(), entry.getValue(), folder, realFolder);
            }
        }
    }

    private static void location(String tensor, String location, Path folder, Path realFolder) {
        String what = "tensor '" + tensor + "' keeps its data in '" + location + "'";
        Path relative;
        try {
            relative = Path.of(location);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(what + ", which is not a file name", e);
        }
        if (location.isEmpty() || relative.isAbsolute()) {
            throw new IllegalArgumentException(what + "; external data must be a file in the model folder");
        }
        for (Path part : relative) {
            if (part.toString().equals("..")) {
                throw new IllegalArgumentException(what + "; external data must be a file in the model folder,"
                        + " without '..'");
            }
        }
        Path real;
        try {
            real = folder.resolve(relative).toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ", which cannot be read: " + e, e);
        }
        if (!real.startsWith(realFolder)) {
            throw new IllegalArgumentException(what + ", which leads to " + real + ", outside the model folder");
        }
    }
}
