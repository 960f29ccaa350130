package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtException;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import dev.prism.api.v1.DataType;
import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.ListModelsRequest;
import dev.prism.api.v1.Method;
import dev.prism.api.v1.MethodInfo;
import dev.prism.api.v1.ModelInfo;
import dev.prism.api.v1.OutputKind;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.PredictResponse;
import dev.prism.api.v1.ReferenceInput;
import dev.prism.api.v1.RunsOn;
import dev.prism.api.v1.TreeEnsembleInfo;
import dev.prism.api.v1.Tensor;
import dev.prism.api.v1.TensorSpec;
import dev.prism.onnx.OnnxModel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ModelService over an in-process channel: ListModels, GetModel and Predict. */
class ModelServiceTest {
    @TempDir
    static Path dir;
    static ServerTestSupport.InProcess prism;

    /** Rows of the linear test model's input, exactly representable in float32. */
    static final double[][] X = {
            {1.0, 2.0, 3.0, 4.0, 5.0},
            {-0.5, 0.25, 1.5, -2.0, 0.125},
            {10.0, -3.0, 0.0, 7.5, -1.25},
    };

    @BeforeAll
    static void start() throws Exception {
        Path repo = ServerTestSupport.repository(dir, "iris", "breast_cancer", "linear", "broken");
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(repo));
    }

    @AfterAll
    static void stop() throws Exception {
        prism.close();
    }

    @Test
    void getModelReturnsTheFirstBackgroundRowsShapedLikeTheInputWhenAsked() {
        ModelInfo iris = prism.models().getModel(GetModelRequest.newBuilder().setName("iris").setBackgroundRows(3)
                .build());
        Tensor sample = iris.getBackgroundSample();
        assertEquals("input", sample.getName());
        assertEquals(DataType.DATA_TYPE_FLOAT32, sample.getDtype());
        assertEquals(List.of(3L, 4L), sample.getShapeList());
        double[] expected = ServerTestSupport.backgroundRows("iris", 3);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], sample.getDoubleData(i), 0.0, "value " + i);
        }
        assertFalse(prism.models().getModel(GetModelRequest.newBuilder().setName("iris").build()).hasBackgroundSample());
        // More rows than the background has: all of them; a model without a background: none.
        int rows = iris.getDefaultBackgroundRows();
        assertEquals(List.of((long) Math.min(100, rows), 4L), prism.models().getModel(GetModelRequest.newBuilder()
                .setName("iris").setBackgroundRows(100).build()).getBackgroundSample().getShapeList());
        assertFalse(prism.models().getModel(GetModelRequest.newBuilder().setName("linear").setBackgroundRows(5)
                .build()).hasBackgroundSample());
        for (int bad : new int[] {-1, 101}) {
            assertViolation(assertStatus(failure(() -> prism.models().getModel(GetModelRequest.newBuilder()
                    .setName("iris").setBackgroundRows(bad).build())), Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"),
                    "background_rows");
        }
    }

    @Test
    void listModelsIsSortedAndDescribesEachModel() {
        List<ModelInfo> models = prism.models().listModels(ListModelsRequest.getDefaultInstance()).getModelsList();
        assertEquals(List.of("breast_cancer", "broken", "iris", "linear"),
                models.stream().map(ModelInfo::getName).toList());

        ModelInfo iris = models.get(2);
        assertEquals(List.of("sepal_length", "sepal_width", "petal_length", "petal_width"), iris.getFeatureNamesList());
        assertEquals(List.of("setosa", "versicolor", "virginica"), iris.getOutputNamesList());
        assertEquals(OutputKind.OUTPUT_KIND_PROBABILITY, iris.getOutputKind());
        assertEquals(List.of(Method.METHOD_KERNEL_SHAP, Method.METHOD_LIME, Method.METHOD_EXACT_SHAPLEY,
                Method.METHOD_PERMUTATION_SHAP, Method.METHOD_AUTO, Method.METHOD_TREE_SHAP), iris.getMethodsList());
        assertEquals(List.of("kernel_shap", "lime", "exact_shapley", "permutation_shap", "auto", "tree_shap"),
                iris.getMethodDetailsList().stream().map(MethodInfo::getName).toList());
        MethodInfo kernel = iris.getMethodDetails(0);
        assertEquals(Method.METHOD_KERNEL_SHAP, kernel.getMethod());
        assertEquals(RunsOn.RUNS_ON_MODEL, kernel.getRunsOn());
        assertEquals(ReferenceInput.REFERENCE_INPUT_BACKGROUND_OR_BASELINE, kernel.getReference());
        assertTrue(kernel.getTimeBudget() && kernel.getTolerance() && kernel.getRunningEstimates());
        MethodInfo exact = iris.getMethodDetails(2);
        assertFalse(exact.getTimeBudget() || exact.getTolerance() || exact.getRunningEstimates());
        // The bundled forest, as the ONNX file lists it: 25 trees, 169 leaves, 4 splits deep at most.
        // skl2onnx states 1.0 as every node's cover: no count of rows for tree_shap.model_covers.
        assertEquals(TreeEnsembleInfo.newBuilder().setTrees(25).setLeaves(169).setMaxDepth(4)
                .setStatedCoversUnusable("every node states the same cover (1.0), as converters write when they"
                        + " have none").build(), iris.getTrees());
        assertEquals(List.of(), iris.getCategoricalFeaturesList());
        assertEquals(100, iris.getDefaultBackgroundRows());
        assertEquals("input", iris.getExplainedInput());
        assertEquals(List.of("probabilities"), iris.getScoreOutputsList());
        assertEquals(List.of(TensorSpec.newBuilder().setName("input").setDtype(DataType.DATA_TYPE_FLOAT32)
                .addShape(-1).addShape(4).build()), iris.getInputsList());
        // skl2onnx's int64 label is a graph output but not a score output.
        assertEquals(List.of("label", "probabilities"), iris.getOutputsList().stream().map(TensorSpec::getName).toList());
        assertEquals("cpu", iris.getDevice());
        assertEquals(dev.prism.batch.BatchingSettings.DEFAULT.maxBatchRows(), iris.getMaxBatchRows());
        assertEquals(dev.prism.batch.BatchingSettings.DEFAULT.maxQueueDelayMicros(), iris.getMaxQueueDelayMicros());

        ModelInfo linear = models.get(3);
        assertEquals(List.of("f0", "f1", "f2", "f3", "f4"), linear.getFeatureNamesList());
        assertEquals(List.of("y"), linear.getOutputNamesList());
        assertEquals(OutputKind.OUTPUT_KIND_UNSPECIFIED, linear.getOutputKind());
        assertEquals(0, linear.getDefaultBackgroundRows());
        assertEquals("x", linear.getExplainedInput());
        assertEquals(List.of(-1L, 5L), linear.getInputs(0).getShapeList());

        assertEquals(30, models.get(0).getFeatureNamesCount());
        assertEquals(List.of("malignant", "benign"), models.get(0).getOutputNamesList());
    }

    @Test
    void getModelAnswersWhatListModelsDoes() {
        ModelInfo listed = prism.models().listModels(ListModelsRequest.getDefaultInstance()).getModelsList().stream()
                .filter(m -> m.getName().equals("iris")).findFirst().orElseThrow();
        assertEquals(listed, prism.models().getModel(GetModelRequest.newBuilder().setName("iris").build()));
    }

    @Test
    void getModelOfAnUnknownNameIsNotFound() {
        StatusRuntimeException e = failure(() -> prism.models().getModel(
                GetModelRequest.newBuilder().setName("no_such_model").build()));
        assertStatus(e, Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
        assertTrue(e.getStatus().getDescription().contains("no_such_model"), e.getStatus().getDescription());
    }

    @Test
    void getModelWithoutANameIsInvalid() {
        StatusRuntimeException e = failure(() -> prism.models().getModel(GetModelRequest.getDefaultInstance()));
        assertStatus(e, Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS");
        assertViolation(e, "name");
    }

    @Test
    void predictComputesTheLinearModel() {
        PredictResponse r = prism.models().predict(PredictRequest.newBuilder().setModel("linear")
                .addInputs(floats(X.length, flatten(X))).build());
        assertEquals("linear", r.getModel());
        assertEquals(1, r.getOutputsCount());
        Tensor y = r.getOutputs(0);
        assertEquals("y", y.getName());
        assertEquals(DataType.DATA_TYPE_FLOAT64, y.getDtype());
        assertEquals(List.of((long) X.length, 1L), y.getShapeList());
        assertEquals(X.length, y.getDoubleDataCount());
        double[] expected = linear(X);
        for (int i = 0; i < X.length; i++) {
            double tolerance = 1e-5 * Math.max(1, Math.abs(expected[i]));
            assertEquals(expected[i], y.getDoubleData(i), tolerance, "row " + i);
        }
    }

    @Test
    void predictWithLittleEndianRawDataEqualsFloatData() {
        double[] values = flatten(X);
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            raw.putFloat((float) v);
        }
        Tensor rawTensor = Tensor.newBuilder().setDtype(DataType.DATA_TYPE_FLOAT32).addShape(X.length).addShape(5)
                .setRawData(ByteString.copyFrom(raw.array())).build();
        PredictResponse fromRaw = prism.models().predict(
                PredictRequest.newBuilder().setModel("linear").addInputs(rawTensor).build());
        PredictResponse fromFloats = prism.models().predict(
                PredictRequest.newBuilder().setModel("linear").addInputs(floats(X.length, values)).build());
        assertEquals(fromFloats, fromRaw);
        // And not trivially: the values are the model's.
        assertEquals(linear(X)[0], fromRaw.getOutputs(0).getDoubleData(0), 1e-5 * Math.abs(linear(X)[0]));
    }

    @Test
    void integerAndDoubleValuesAreConvertedToTheInputType() {
        Tensor.Builder ints = Tensor.newBuilder().addShape(1).addShape(5);
        Tensor.Builder doubles = Tensor.newBuilder().addShape(1).addShape(5).setDtype(DataType.DATA_TYPE_FLOAT64);
        for (int i = 0; i < 5; i++) {
            ints.addIntData(i - 2);
            doubles.addDoubleData(i - 2);
        }
        PredictResponse fromInts = prism.models().predict(PredictRequest.newBuilder().setModel("linear")
                .addInputs(ints).build());
        PredictResponse fromDoubles = prism.models().predict(PredictRequest.newBuilder().setModel("linear")
                .addInputs(doubles).build());
        assertEquals(fromDoubles, fromInts);
        assertEquals(linear(new double[][] {{-2, -1, 0, 1, 2}})[0], fromInts.getOutputs(0).getDoubleData(0), 1e-5);
    }

    @Test
    void predictOnIrisGivesProbabilitiesPerRow() {
        PredictResponse r = prism.models().predict(PredictRequest.newBuilder().setModel("iris")
                .addInputs(floats(2, 5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3)).build());
        Tensor p = r.getOutputs(0);
        assertEquals("probabilities", p.getName());
        assertEquals(List.of(2L, 3L), p.getShapeList());
        for (int row = 0; row < 2; row++) {
            double sum = 0;
            for (int c = 0; c < 3; c++) {
                double v = p.getDoubleData(row * 3 + c);
                assertTrue(v >= -1e-6 && v <= 1 + 1e-6, "probability " + v); // float32 scores
                sum += v;
            }
            assertEquals(1.0, sum, 1e-5);
        }
        // A textbook setosa and a textbook virginica.
        assertTrue(p.getDoubleData(0) > 0.5, "setosa " + p.getDoubleData(0));
        assertTrue(p.getDoubleData(5) > 0.5, "virginica " + p.getDoubleData(5));
    }

    @Test
    void predictRejectsBadTensorsWithTheirField() {
        StatusRuntimeException wrongWidth = failure(() -> prism.models().predict(PredictRequest.newBuilder()
                .setModel("linear").addInputs(floats(1, 1, 2, 3)).build()));
        assertStatus(wrongWidth, Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR");
        assertViolation(wrongWidth, "inputs[0].shape[1]");

        StatusRuntimeException rawWithoutDtype = failure(() -> prism.models().predict(PredictRequest.newBuilder()
                .setModel("linear").addInputs(Tensor.newBuilder().addShape(1).addShape(5)
                        .setRawData(ByteString.copyFrom(new byte[20]))).build()));
        assertStatus(rawWithoutDtype, Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR");
        assertViolation(rawWithoutDtype, "inputs[0].dtype");

        StatusRuntimeException ragged = failure(() -> prism.models().predict(PredictRequest.newBuilder()
                .setModel("linear").addInputs(Tensor.newBuilder().setDtype(DataType.DATA_TYPE_FLOAT32).addShape(1)
                        .addShape(5).setRawData(ByteString.copyFrom(new byte[19]))).build()));
        assertStatus(ragged, Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR");
        assertViolation(ragged, "inputs[0].raw_data");

        StatusRuntimeException twoFields = failure(() -> prism.models().predict(PredictRequest.newBuilder()
                .setModel("linear").addInputs(floats(1, X[0]).toBuilder().addDoubleData(1)).build()));
        assertStatus(twoFields, Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR");
        assertViolation(twoFields, "inputs[0]");

        StatusRuntimeException unknown = failure(() -> prism.models().predict(PredictRequest.newBuilder()
                .setModel("nope").addInputs(floats(1, 1, 2, 3, 4, 5)).build()));
        assertStatus(unknown, Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
    }

    @Test
    void predictOnABrokenModelIsAnInternalModelFailure() {
        try (LoggedFailures log = new LoggedFailures()) {
            StatusRuntimeException e = failure(() -> prism.models().predict(PredictRequest.newBuilder()
                    .setModel("broken").addInputs(floats(1, 1, 2)).build()));
            assertStatus(e, Status.Code.INTERNAL, "MODEL_EXECUTION_FAILED");
            // The client gets an id; the runtime's own message (the broken model fails in a Reshape) is logged under it.
            LogRecord r = log.logged(OnnxModel.class, LoggedFailures.idOf(e, "the model failed in ONNX Runtime "));
            assertTrue(r.getMessage().startsWith("model " + dir.resolve("repo").resolve("broken").resolve("model.onnx") + ": "),
                    r.getMessage());
            assertTrue(r.getThrown() instanceof OrtException
                    && r.getThrown().getMessage().toLowerCase().contains("reshape"), r.getThrown()::toString);
        }
        // The server is still fine.
        assertEquals(1, prism.models().predict(PredictRequest.newBuilder().setModel("linear")
                .addInputs(floats(1, X[0])).build()).getOutputs(0).getDoubleDataCount());
    }

    /** x·w + b with the weights the test model was built from. */
    static double[] linear(double[][] x) {
        JsonObject json = JsonParser.parseString(ServerTestSupport.resource("/models/linear/weights.json"))
                .getAsJsonObject();
        double[] w = new double[5];
        for (int i = 0; i < 5; i++) {
            w[i] = json.getAsJsonArray("w").get(i).getAsDouble();
        }
        double b = json.get("b").getAsDouble();
        double[] y = new double[x.length];
        for (int r = 0; r < x.length; r++) {
            y[r] = b;
            for (int i = 0; i < 5; i++) {
                y[r] += x[r][i] * w[i];
            }
        }
        return y;
    }

    static double[] flatten(double[][] rows) {
        return java.util.Arrays.stream(rows).flatMapToDouble(java.util.Arrays::stream).toArray();
    }
}
