package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.PredictResponse;
import dev.prism.api.v1.ResponseFormat;
import inference.GRPCInferenceServiceGrpc;
import inference.OpenInferenceGrpc.InferParameter;
import inference.OpenInferenceGrpc.InferTensorContents;
import inference.OpenInferenceGrpc.ModelInferRequest;
import inference.OpenInferenceGrpc.ModelInferResponse;
import inference.OpenInferenceGrpc.ModelMetadataRequest;
import inference.OpenInferenceGrpc.ModelMetadataResponse;
import inference.OpenInferenceGrpc.ModelReadyRequest;
import inference.OpenInferenceGrpc.ServerLiveRequest;
import inference.OpenInferenceGrpc.ServerMetadataRequest;
import inference.OpenInferenceGrpc.ServerReadyRequest;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Open Inference Protocol on Prism's port: health, metadata, and ModelInfer as Prism's Predict. */
class OpenInferenceServiceTest {
    private static final float[] FLOWERS = {5.1f, 3.5f, 1.4f, 0.2f, 6.3f, 2.9f, 5.6f, 1.8f};
    private static ServerTestSupport.InProcess prism;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(
                ServerTestSupport.repository(dir, "iris", "breast_cancer")));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        prism.close();
    }

    private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub oip() {
        return GRPCInferenceServiceGrpc.newBlockingStub(prism.channel);
    }

    private static ByteString raw(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return ByteString.copyFrom(b.array());
    }

    private static float[] floatsOf(ByteString raw) {
        ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getFloat();
        }
        return v;
    }

    private static ModelInferRequest.InferInputTensor.Builder input(String datatype) {
        return ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype(datatype)
                .addShape(2).addShape(4);
    }

    @Test
    void healthAndMetadataDescribeTheServedModels() {
        assertTrue(oip().serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        assertTrue(oip().serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        var server = oip().serverMetadata(ServerMetadataRequest.getDefaultInstance());
        assertEquals("prism", server.getName());
        assertFalse(server.getVersion().isEmpty());
        assertTrue(oip().modelReady(ModelReadyRequest.newBuilder().setName("iris").build()).getReady());
        assertFalse(oip().modelReady(ModelReadyRequest.newBuilder().setName("tulips").build()).getReady());
        ModelMetadataResponse iris = oip().modelMetadata(ModelMetadataRequest.newBuilder().setName("iris").build());
        assertEquals("onnx_onnxv1", iris.getPlatform());
        assertEquals(1, iris.getVersionsCount());
        assertEquals("input", iris.getInputs(0).getName());
        assertEquals("FP32", iris.getInputs(0).getDatatype());
        assertEquals(List.of(-1L, 4L), iris.getInputs(0).getShapeList());
        assertEquals(List.of("probabilities"), iris.getOutputsList().stream().map(o -> o.getName()).toList());
        // The version a model serves is the one asked for; another is not found.
        assertTrue(oip().modelReady(ModelReadyRequest.newBuilder().setName("iris")
                .setVersion(iris.getVersions(0)).build()).getReady());
        assertStatus(failure(() -> oip().modelMetadata(ModelMetadataRequest.newBuilder().setName("iris")
                .setVersion("7").build())), Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
    }

    @Test
    void modelInferEqualsPredictBitForBitRawOrTyped() {
        PredictResponse predicted = prism.models().predict(PredictRequest.newBuilder().setModel("iris")
                .addInputs(floats(2, 5.1, 3.5, 1.4, 0.2, 6.3, 2.9, 5.6, 1.8)).build());
        List<Double> want = predicted.getOutputs(0).getDoubleDataList();

        ModelInferResponse raw = oip().modelInfer(ModelInferRequest.newBuilder().setModelName("iris").setId("r1")
                .addInputs(input("FP32")).addRawInputContents(raw(FLOWERS)).build());
        assertEquals("r1", raw.getId());
        assertEquals("FP32", raw.getOutputs(0).getDatatype());
        assertEquals(List.of(2L, 3L), raw.getOutputs(0).getShapeList());
        float[] rawOut = floatsOf(raw.getRawOutputContents(0));
        ModelInferResponse typed = oip().modelInfer(ModelInferRequest.newBuilder().setModelName("iris")
                .addInputs(input("FP32").setContents(InferTensorContents.newBuilder().addAllFp32Contents(
                        List.of(5.1f, 3.5f, 1.4f, 0.2f, 6.3f, 2.9f, 5.6f, 1.8f)))).build());
        assertEquals(0, typed.getRawOutputContentsCount());
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.get(i).floatValue(), rawOut[i]);
            assertEquals(want.get(i).floatValue(), typed.getOutputs(0).getContents().getFp32Contents(i));
        }
        // FP64 inputs are rounded to the model's float32 as Predict rounds them.
        ModelInferResponse wide = oip().modelInfer(ModelInferRequest.newBuilder().setModelName("iris")
                .addInputs(input("FP64").setContents(InferTensorContents.newBuilder().addAllFp64Contents(
                        List.of(5.1, 3.5, 1.4, 0.2, 6.3, 2.9, 5.6, 1.8)))).build());
        assertArrayEquals(typed.getOutputs(0).getContents().getFp32ContentsList().toArray(),
                wide.getOutputs(0).getContents().getFp32ContentsList().toArray());
    }

    @Test
    void badRequestsGetPrismsStatusesAndTheServerKeepsServing() {
        ModelInferRequest.Builder ok = ModelInferRequest.newBuilder().setModelName("iris").addInputs(input("FP32"))
                .addRawInputContents(raw(FLOWERS));
        assertStatus(failure(() -> oip().modelInfer(ok.clone().setModelName("tulips").build())),
                Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
        assertViolation(assertStatus(failure(() -> oip().modelInfer(ok.clone().setInputs(0, input("BYTES")).build())),
                Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR"), "inputs[0].datatype");
        assertViolation(assertStatus(failure(() -> oip().modelInfer(ok.clone().setInputs(0, input("FP32")
                .setContents(InferTensorContents.newBuilder().addFp32Contents(1))).build())),
                Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR"), "inputs[0].contents");
        assertViolation(assertStatus(failure(() -> oip().modelInfer(ok.clone().setRawInputContents(0,
                raw(1, 2, 3)).build())), Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR"), "inputs[0]");
        assertViolation(assertStatus(failure(() -> oip().modelInfer(ok.clone().addOutputs(
                ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("label")).build())),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "outputs[0].name");
        ModelInferResponse named = oip().modelInfer(ok.clone().addOutputs(
                ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("probabilities")).build());
        assertEquals(1, named.getOutputsCount());
    }

    private static InferParameter text(String v) {
        return InferParameter.newBuilder().setStringParam(v).build();
    }

    private static InferParameter number(long v) {
        return InferParameter.newBuilder().setInt64Param(v).build();
    }

    @Test
    void anExplainParameterMakesModelInferPrismsExplain() {
        double[] rows = ServerTestSupport.backgroundRows("breast_cancer", 2);
        float[] narrow = new float[rows.length];
        for (int i = 0; i < rows.length; i++) {
            narrow[i] = (float) rows[i];
        }
        ExplainResponse prismAnswer = prism.explain().explain(ExplainRequest.newBuilder().setModel("breast_cancer")
                .addInputs(floats(2, rows)).setKernelShap(KernelShapParams.newBuilder().setNsamples(300)).setSeed(11)
                .setFormat(ResponseFormat.FORMAT_COMPACT).build());
        ModelInferResponse oipAnswer = oip().modelInfer(ModelInferRequest.newBuilder().setModelName("breast_cancer")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype("FP32")
                        .addShape(2).addShape(30)).addRawInputContents(raw(narrow))
                .putParameters("explain", text("kernel_shap")).putParameters("nsamples", number(300))
                .putParameters("seed", number(11)).build());
        assertEquals("kernel_shap", oipAnswer.getParametersOrThrow("method").getStringParam());
        assertEquals(String.join(",", prismAnswer.getFeatureNamesList()),
                oipAnswer.getParametersOrThrow("feature_names").getStringParam());
        assertEquals(List.of("attributions", "base_values", "model_outputs", "standard_errors"),
                oipAnswer.getOutputsList().stream().map(o -> o.getName()).toList());
        assertEquals(List.of(2L, 30L, 2L), oipAnswer.getOutputs(0).getShapeList());
        for (int t = 0; t < 4; t++) {
            float[] got = floatsOf(oipAnswer.getRawOutputContents(t));
            dev.prism.api.v1.Summary s = prismAnswer.getSummary();
            List<Double> want = (t == 0 ? s.getAttributions() : t == 1 ? s.getBaseValues()
                    : t == 2 ? s.getModelOutputs() : s.getStandardErrors()).getDoubleDataList();
            assertEquals(want.size(), got.length);
            for (int i = 0; i < got.length; i++) {
                assertEquals(want.get(i).floatValue(), got[i], "tensor " + t + " value " + i);
            }
        }
    }

    @Test
    void explanationParametersThatNameNothingAreRefusedByField() {
        ModelInferRequest.Builder ok = ModelInferRequest.newBuilder().setModelName("iris").addInputs(input("FP32"))
                .addRawInputContents(raw(FLOWERS)).putParameters("explain", text("exact_shapley"));
        assertTrue(assertViolation(assertStatus(failure(() -> oip().modelInfer(ok.clone()
                .putParameters("explain", text("magic")).build())), Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"),
                "parameters.explain").contains("kernel_shap"));
        assertTrue(assertViolation(assertStatus(failure(() -> oip().modelInfer(ok.clone()
                .putParameters("nsamples", number(10)).build())), Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"),
                "parameters.nsamples").startsWith("exact_shapley has no option 'nsamples'"));
        assertViolation(assertStatus(failure(() -> oip().modelInfer(ok.clone().putParameters("explain",
                text("kernel_shap")).putParameters("nsamples", text("many")).build())),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "parameters.nsamples");
        // The server keeps serving: the same request without the bad parameter explains.
        assertEquals("exact_shapley", oip().modelInfer(ok.build()).getParametersOrThrow("method").getStringParam());
    }
}
