package dev.prism.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.prism.model.Model;
import dev.prism.model.RowBatch;
import dev.prism.onnx.OnnxModelLoader;
import dev.prism.tensor.RowBlock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed, truncated and huge-shape model files: each is refused with a load error naming its
 * folder, before ONNX Runtime is asked to allocate anything for it, and the process goes on to load
 * a good model afterwards.
 */
class HostileModelFileTest {
    private static final Path IRIS = Path.of("models/iris/model.onnx");
    private static final long HUGE = 1L << 31;

    private static String loadError(Path root, String name, byte[] modelFile) throws IOException {
        Path folder = Files.createDirectories(root.resolve(name));
        Files.write(folder.resolve(ModelRepository.MODEL_FILE), modelFile);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelRepository.load(root, new OnnxModelLoader(1), "cpu", s -> s).close());
        assertTrue(e.getMessage().startsWith("model '" + name + "' (" + folder + "): "), e.getMessage());
        // The process survived: a good model loads in the same JVM.
        Files.delete(folder.resolve(ModelRepository.MODEL_FILE));
        Path good = Files.createDirectories(root.resolve("good"));
        Files.copy(IRIS, good.resolve(ModelRepository.MODEL_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (ModelRepository repo = ModelRepository.load(root, new OnnxModelLoader(1), "cpu", s -> s)) {
            assertEquals(4, repo.find("good").orElseThrow().model().signature().featureCount());
        }
        Files.delete(good.resolve(ModelRepository.MODEL_FILE));
        return e.getMessage();
    }

    /**
     * Bytes that do not parse as a model are refused before ONNX Runtime sees them; bytes that
     * parse (an empty file is an empty model) are refused by ONNX Runtime.
     */
    private static boolean refused(String error) {
        return error.contains("is not an ONNX model") || error.contains("ONNX Runtime cannot open");
    }

    private static ValueInfoProto floats(String name, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }

    /** y = x + w, with the given declared shapes and w's dims (its data left empty when huge). */
    private static byte[] addModel(long[] input, long[] output, long[] weightDims) {
        TensorProto.Builder w = TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE);
        long elements = 1;
        for (long d : weightDims) {
            w.addDims(d);
            elements *= d;
        }
        if (elements > 0 && elements < 1024) {
            for (int i = 0; i < elements; i++) {
                w.addFloatData(1f);
            }
        }
        GraphProto graph = GraphProto.newBuilder().setName("hostile")
                .addInput(floats("x", input)).addOutput(floats("y", output)).addInitializer(w)
                .addNode(NodeProto.newBuilder().setOpType("Add").addInput("x").addInput("w").addOutput("y"))
                .build();
        return ModelProto.newBuilder().setIrVersion(8).setGraph(graph)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).build().toByteArray();
    }

    @Test
    void randomBytesAreNotAModel(@TempDir Path root) throws IOException {
        byte[] noise = new byte[4096];
        new Random(6).nextBytes(noise);
        assertTrue(refused(loadError(root, "noise", noise)));
    }

    @Test
    void anEmptyFileIsNotAModel(@TempDir Path root) throws IOException {
        assertTrue(loadError(root, "empty", new byte[0]).contains("ONNX Runtime cannot open"));
    }

    @Test
    void aTruncatedModelIsRefused(@TempDir Path root) throws IOException {
        byte[] iris = Files.readAllBytes(IRIS);
        for (int length : new int[] {1, 16, iris.length / 2, iris.length - 1}) {
            assertTrue(refused(loadError(root, "truncated_" + length, Arrays.copyOf(iris, length))));
        }
    }

    @Test
    void anInputDimensionBeyondAnIntIsRefusedBeforeAnythingIsAllocated(@TempDir Path root) throws IOException {
        String error = loadError(root, "wide", addModel(new long[] {-1, HUGE}, new long[] {-1, HUGE}, new long[] {1}));
        assertTrue(error.contains("elements per instance"), error);
    }

    @Test
    void anInputWhoseElementsOverflowAnIntIsRefused(@TempDir Path root) throws IOException {
        long[] cube = {-1, 2048, 2048, 2048};
        String error = loadError(root, "cube", addModel(cube, cube, new long[] {1}));
        assertTrue(error.contains("elements per instance"), error);
    }

    @Test
    void aHugeInitializerWithoutItsDataIsRefused(@TempDir Path root) throws IOException {
        String error = loadError(root, "huge_weights", addModel(new long[] {-1, 4}, new long[] {-1, 4},
                new long[] {HUGE, HUGE}));
        assertTrue(error.contains("ONNX Runtime cannot open"), error);
    }

    @Test
    void aNegativeInitializerDimensionIsRefused(@TempDir Path root) throws IOException {
        String error = loadError(root, "negative_weights", addModel(new long[] {-1, 4}, new long[] {-1, 4},
                new long[] {-4}));
        assertTrue(error.contains("ONNX Runtime cannot open"), error);
    }

    /** y = x + w with w's four floats in the external file {@code location}. */
    private static byte[] externalWeights(String location) {
        TensorProto w = TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(4).setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("16"))
                .build();
        GraphProto graph = GraphProto.newBuilder().setName("external")
                .addInput(floats("x", -1, 4)).addOutput(floats("y", -1, 4)).addInitializer(w)
                .addNode(NodeProto.newBuilder().setOpType("Add").addInput("x").addInput("w").addOutput("y"))
                .build();
        return ModelProto.newBuilder().setIrVersion(8).setGraph(graph)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).build().toByteArray();
    }

    private static byte[] weights(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    @Test
    void externalDataInTheModelFolderIsRead(@TempDir Path root) throws IOException {
        Path folder = Files.createDirectories(root.resolve("repo").resolve("external"));
        Files.write(folder.resolve(ModelRepository.MODEL_FILE), externalWeights("weights/w.bin"));
        Files.createDirectories(folder.resolve("weights"));
        Files.write(folder.resolve("weights/w.bin"), weights(1, 2, 3, 4));
        try (ModelRepository repo = ModelRepository.load(root.resolve("repo"), new OnnxModelLoader(1), "cpu", s -> s)) {
            Model model = repo.find("external").orElseThrow().model();
            RowBlock y = model.run(RowBatch.of(new RowBlock(1, 4, new double[] {10, 20, 30, 40})));
            assertEquals(11, y.get(0, 0));
            assertEquals(44, y.get(0, 3));
        }
    }

    @Test
    void externalDataOutsideTheModelFolderIsNeverRead(@TempDir Path root) throws IOException {
        Path repo = Files.createDirectories(root.resolve("repo"));
        Path secret = Files.write(root.resolve("secret.bin"), weights(7, 7, 7, 7));
        // Another model's folder is outside this model's folder too.
        Files.createDirectories(repo.resolve("other"));
        Files.write(repo.resolve("other/w.bin"), weights(7, 7, 7, 7));

        assertTrue(loadError(repo, "parent", externalWeights("../../secret.bin")).contains("without '..'"));
        assertTrue(loadError(repo, "sibling", externalWeights("../other/w.bin")).contains("without '..'"));
        assertTrue(loadError(repo, "absolute", externalWeights(secret.toString()))
                .contains("external data must be a file in the model folder"));
        assertTrue(loadError(repo, "missing", externalWeights("w.bin")).contains("cannot be read"));

        Path linked = Files.createDirectories(repo.resolve("linked"));
        Files.createSymbolicLink(linked.resolve("w.bin"), secret);
        String error = loadError(repo, "linked", externalWeights("w.bin"));
        assertTrue(error.contains("outside the model folder"), error);
    }
}
