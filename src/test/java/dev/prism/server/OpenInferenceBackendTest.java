package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static dev.prism.server.ServerTestSupport.retryInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.prism.api.v1.ExactShapleyParams;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.ModelInfo;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.PredictResponse;
import dev.prism.api.v1.SaliencyParams;
import inference.GRPCInferenceServiceGrpc;
import inference.OpenInferenceGrpc.ModelInferRequest;
import inference.OpenInferenceGrpc.ModelInferResponse;
import inference.OpenInferenceGrpc.ModelMetadataRequest;
import inference.OpenInferenceGrpc.ModelMetadataResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models that live on another server speaking the Open Inference Protocol: another Prism serving
 * the same ONNX file (the answers must equal the local model's), and a backend written here whose
 * models misbehave on purpose (slow, down, wrong answers), which records what it was sent.
 */
class OpenInferenceBackendTest {
    private static final double[] WEIGHTS = {2.0, -1.0, 0.5};
    private static final int WIDE = 4096;

    @TempDir
    static Path dir;

    private static PrismServer backendPrism;
    private static Server fake;
    private static final LinearBackend linear = new LinearBackend();
    private static ServerTestSupport.InProcess prism;

    @BeforeAll
    static void start() throws Exception {
        backendPrism = PrismServer.start(ServerOptions.defaults(ServerTestSupport.repository(dir.resolve("a"), "iris"))
                .withPorts(0, -1));
        fake = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(linear).build().start();
        Path repo = ServerTestSupport.repository(dir.resolve("b"), "iris");
        String iris = "127.0.0.1:" + backendPrism.port();
        String local = "127.0.0.1:" + fake.getPort();
        Path remoteIris = Files.createDirectories(repo.resolve("iris_remote"));
        Files.copy(repo.resolve("iris/background.csv"), remoteIris.resolve("background.csv"));
        String irisConfig = Files.readString(repo.resolve("iris/config.json")).trim();
        Files.writeString(remoteIris.resolve("config.json"), irisConfig.substring(0, irisConfig.length() - 1)
                + ", \"openInferenceBackend\": {\"target\": \"" + iris + "\", \"modelName\": \"iris\"}}");
        backend(repo, "linear", "target: '" + local + "'", "batching { max_batch_rows: 16 }");
        backend(repo, "wide", "target: '" + local + "'", "");
        backend(repo, "hang_fast", "target: '" + local + "' model_name: 'hang' timeout_millis: 300", "");
        backend(repo, "hang", "target: '" + local + "' timeout_millis: 60000", "");
        backend(repo, "down", "target: '" + local + "'", "");
        backend(repo, "short", "target: '" + local + "'", "");
        backend(repo, "huge", "target: '" + local + "'", "");
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(repo));
    }

    private static void backend(Path repo, String name, String backend, String more) throws IOException {
        Path folder = Files.createDirectories(repo.resolve(name));
        Files.writeString(folder.resolve("config.pbtxt"), "open_inference_backend { " + backend + " }\n" + more);
        int width = name.equals("wide") ? WIDE : WEIGHTS.length;
        StringBuilder csv = new StringBuilder();
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < width; c++) {
                csv.append(c == 0 ? "" : ",").append(r + 0.25 * c % 2);
            }
            csv.append('\n');
        }
        Files.writeString(folder.resolve("background.csv"), csv);
    }

    @AfterAll
    static void stop() throws Exception {
        prism.close();
        backendPrism.close();
        fake.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    @Test
    void aModelOnAnotherPrismAnswersAsTheSameModelServedHere() {
        ModelInfo info = prism.models().getModel(GetModelRequest.newBuilder().setName("iris_remote").build());
        assertEquals("oip:127.0.0.1:" + backendPrism.port(), info.getDevice());
        PredictRequest.Builder predict = PredictRequest.newBuilder()
                .addInputs(floats(2, 5.1, 3.5, 1.4, 0.2, 6.3, 2.9, 5.6, 1.8));
        PredictResponse here = prism.models().predict(predict.setModel("iris").build());
        PredictResponse there = prism.models().predict(predict.setModel("iris_remote").build());
        assertEquals(here.getOutputs(0).getDoubleDataList(), there.getOutputs(0).getDoubleDataList());

        ExplainRequest.Builder explain = ExplainRequest.newBuilder().addInputs(floats(2, 5.1, 3.5, 1.4, 0.2, 6.3,
                2.9, 5.6, 1.8)).setKernelShap(KernelShapParams.newBuilder().setNsamples(200)).setSeed(7);
        ExplainResponse local = prism.explain().explain(explain.setModel("iris").build());
        ExplainResponse remote = prism.explain().explain(explain.setModel("iris_remote").build());
        assertEquals(local.getFeatureNamesList(), remote.getFeatureNamesList());
        assertEquals(6, remote.getExplanationsCount());
        for (int i = 0; i < local.getExplanationsCount(); i++) {
            Explanation l = local.getExplanations(i);
            Explanation r = remote.getExplanations(i);
            assertEquals(l.getOutput(), r.getOutput());
            assertEquals(l.getAttributionsList(), r.getAttributionsList(), "explanation " + i);
            assertEquals(l.getBaseValue(), r.getBaseValue());
            assertEquals(l.getModelOutput(), r.getModelOutput());
        }
    }

    @Test
    void exactShapleyValuesOfALinearBackendAreTheClosedFormInCallsOfAtMostTheBatchRows() {
        linear.rowsPerCall.clear();
        double[] x = {1.0, 2.0, -3.0, 0.5, 0.0, 4.0};
        ExplainResponse r = prism.explain().explain(ExplainRequest.newBuilder().setModel("linear")
                .addInputs(floats(2, x)).setExactShapley(ExactShapleyParams.getDefaultInstance()).build());
        // Background rows r = 0, 1, 2 hold r + (0.25 * c % 2): their mean is 1 + (0.25 * c % 2).
        for (int i = 0; i < 2; i++) {
            List<Double> phi = r.getExplanations(i).getAttributionsList();
            for (int c = 0; c < WEIGHTS.length; c++) {
                double mean = 1 + 0.25 * c % 2;
                assertEquals(WEIGHTS[c] * (x[3 * i + c] - mean), phi.get(c), 1e-5, "instance " + i + " feature " + c);
            }
        }
        // The coalitions' rows (tens of them) went in calls of at most 16, some of them full.
        assertTrue(linear.rowsPerCall.size() > 1, linear.rowsPerCall.toString());
        assertTrue(linear.rowsPerCall.stream().allMatch(n -> n <= 16), linear.rowsPerCall.toString());
        assertTrue(linear.rowsPerCall.contains(16), linear.rowsPerCall.toString());
    }

    @Test
    void rowsPastFourMebibytesGoInSeveralCalls() {
        linear.rowsPerCall.clear();
        int rows = 600;
        double[] x = new double[rows * WIDE];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 7) - 3;
        }
        PredictResponse r = prism.models().predict(PredictRequest.newBuilder().setModel("wide")
                .addInputs(floats(rows, x)).build());
        for (int row = 0; row < rows; row++) {
            double sum = 0;
            for (int c = 0; c < WIDE; c++) {
                sum += (float) x[row * WIDE + c];
            }
            assertEquals(sum, r.getOutputs(0).getDoubleData(row), 1e-3);
        }
        // 16 KiB a row: at most 252 rows fit under 4 MiB less 64 KiB. The calls overlap, so they arrive in any order.
        assertEquals(List.of(96, 252, 252), linear.rowsPerCall.stream().sorted().toList());
    }

    @Test
    void aRequestsDeadlineCancelsTheCallToTheBackend() throws InterruptedException {
        linear.hangCancelled = new CountDownLatch(1);
        StatusRuntimeExceptionHolder e = new StatusRuntimeExceptionHolder(failure(() -> prism.models()
                .withDeadlineAfter(500, TimeUnit.MILLISECONDS)
                .predict(PredictRequest.newBuilder().setModel("hang").addInputs(floats(1, 1, 2, 3)).build())));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.value.getStatus().getCode());
        assertTrue(linear.hangCancelled.await(5, TimeUnit.SECONDS), "the backend's call was not cancelled");

        linear.hangCancelled = new CountDownLatch(1);
        e = new StatusRuntimeExceptionHolder(failure(() -> prism.explain().withDeadlineAfter(500, TimeUnit.MILLISECONDS)
                .explain(ExplainRequest.newBuilder().setModel("hang").addInputs(floats(1, 1, 2, 3))
                        .setExactShapley(ExactShapleyParams.getDefaultInstance()).build())));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.value.getStatus().getCode());
        assertTrue(linear.hangCancelled.await(5, TimeUnit.SECONDS), "the backend's call was not cancelled");
    }

    private record StatusRuntimeExceptionHolder(io.grpc.StatusRuntimeException value) {}

    @Test
    void aBackendThatIsSlowOrDownIsUnavailableWithRetryInfo() {
        var slow = assertStatus(failure(() -> prism.models().predict(PredictRequest.newBuilder()
                .setModel("hang_fast").addInputs(floats(1, 1, 2, 3)).build())), Status.Code.UNAVAILABLE,
                "BACKEND_UNAVAILABLE");
        assertTrue(slow.getStatus().getDescription().contains("DEADLINE_EXCEEDED"), slow.getStatus().getDescription());
        assertEquals(1, retryInfo(slow).getRetryDelay().getSeconds());

        var down = assertStatus(failure(() -> prism.explain().explain(ExplainRequest.newBuilder().setModel("down")
                .addInputs(floats(1, 1, 2, 3)).setExactShapley(ExactShapleyParams.getDefaultInstance()).build())),
                Status.Code.UNAVAILABLE, "BACKEND_UNAVAILABLE");
        assertTrue(down.getStatus().getDescription().contains("the backend at 127.0.0.1:" + fake.getPort()),
                down.getStatus().getDescription());
        // The server goes on serving.
        assertEquals(1, prism.models().predict(PredictRequest.newBuilder().setModel("linear")
                .addInputs(floats(1, 1, 2, 3)).build()).getOutputs(0).getDoubleDataCount());
    }

    @Test
    void aWrongAnswerIsTheModelsFailure() {
        var e = assertStatus(failure(() -> prism.models().predict(PredictRequest.newBuilder().setModel("short")
                .addInputs(floats(2, 1, 2, 3, 4, 5, 6)).build())), Status.Code.INTERNAL, "MODEL_EXECUTION_FAILED");
        assertTrue(e.getStatus().getDescription().contains("output 'y' has 1 values for 2 rows of 1"),
                e.getStatus().getDescription());
    }

    @Test
    void anAnswerFarLargerThanTheRowsOutputsIsRefusedBeforeItIsHeld() {
        var e = assertStatus(failure(() -> prism.models().predict(PredictRequest.newBuilder().setModel("huge")
                .addInputs(floats(1, 1, 2, 3)).build())), Status.Code.INTERNAL, "MODEL_EXECUTION_FAILED");
        assertTrue(e.getStatus().getDescription().contains("gRPC message exceeds maximum size"),
                e.getStatus().getDescription());
    }

    @Test
    void gradientMethodsNeedTheGraphAndAreRefused() {
        var e = assertStatus(failure(() -> prism.explain().explain(ExplainRequest.newBuilder().setModel("linear")
                .addInputs(floats(1, 1, 2, 3)).setSaliency(SaliencyParams.getDefaultInstance()).build())),
                Status.Code.FAILED_PRECONDITION, "METHOD_UNSUPPORTED_FOR_MODEL");
        assertTrue(e.getStatus().getDescription().contains("Open Inference Protocol backend"),
                e.getStatus().getDescription());
    }

    @Test
    void aFolderThatCannotServeStopsTheStartNamingIt() throws IOException {
        String local = "127.0.0.1:" + fake.getPort();
        assertStartRefused("nobody", "open_inference_backend { target: '127.0.0.1:1' timeout_millis: 2000 }",
                "cannot read the metadata of model 'nobody' from the backend at 127.0.0.1:1");
        assertStartRefused("bytes", "open_inference_backend { target: '" + local + "' }",
                "input 'x' has datatype BYTES");
        assertStartRefused("nothing", "output_kind: OUTPUT_KIND_REGRESSION",
                "the folder has a config but no model.onnx, and the config names no open_inference_backend");
        assertStartRefused("timeless", "open_inference_backend { target: '" + local + "' timeout_millis: -5 }",
                "timeout_millis must be in [1, 3600000], not -5");
        assertStartRefused("tls", "open_inference_backend { target: '" + local + "' tls { ca_file: '../ca.pem' } }",
                "must be a path inside the model folder");
        Path both = ServerTestSupport.repository(dir.resolve("both"), "iris");
        Files.writeString(both.resolve("iris/config.json"), "{\"openInferenceBackend\": {\"target\": \"" + local
                + "\"}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PrismServer.start(ServerTestSupport.inProcessOptions(both)));
        assertTrue(e.getMessage().contains("model 'iris'") && e.getMessage().contains("keep one"), e.getMessage());
    }

    private static void assertStartRefused(String name, String config, String why) throws IOException {
        Path repo = Files.createDirectories(dir.resolve("refused-" + name));
        Files.createDirectories(repo.resolve(name));
        Files.writeString(repo.resolve(name).resolve("config.pbtxt"), config);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PrismServer.start(ServerTestSupport.inProcessOptions(repo)));
        assertTrue(e.getMessage().contains("model '" + name + "'") && e.getMessage().contains(why), e.getMessage());
    }

    /**
     * y = WEIGHTS · x for model "linear" (and the sum of 4096 inputs for "wide"), in float32 as a
     * runtime would; "hang" never answers, "down" answers UNAVAILABLE, "short" leaves out a row's
     * value, "huge" answers megabytes for a row, "bytes" takes strings.
     */
    private static final class LinearBackend extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
        final ConcurrentLinkedQueue<Integer> rowsPerCall = new ConcurrentLinkedQueue<>();
        volatile CountDownLatch hangCancelled = new CountDownLatch(1);

        @Override
        public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> answer) {
            String name = request.getName();
            int width = name.equals("wide") ? WIDE : WEIGHTS.length;
            answer.onNext(ModelMetadataResponse.newBuilder().setName(name).addVersions("1").setPlatform("test")
                    .addInputs(tensor("x", name.equals("bytes") ? "BYTES" : "FP32", -1, width))
                    .addOutputs(tensor("y", "FP32", -1, 1))
                    .addOutputs(tensor("label", "BYTES", -1)).build());
            answer.onCompleted();
        }

        private static ModelMetadataResponse.TensorMetadata tensor(String name, String datatype, long... shape) {
            ModelMetadataResponse.TensorMetadata.Builder t = ModelMetadataResponse.TensorMetadata.newBuilder()
                    .setName(name).setDatatype(datatype);
            for (long d : shape) {
                t.addShape(d);
            }
            return t.build();
        }

        @Override
        public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> answer) {
            switch (request.getModelName()) {
                case "hang" -> {
                    CountDownLatch latch = hangCancelled;
                    ((ServerCallStreamObserver<ModelInferResponse>) answer).setOnCancelHandler(latch::countDown);
                    return;
                }
                case "down" -> {
                    answer.onError(Status.UNAVAILABLE.withDescription("no replica is ready").asRuntimeException());
                    return;
                }
                default -> { }
            }
            int width = (int) request.getInputs(0).getShape(1);
            int rows = (int) request.getInputs(0).getShape(0);
            rowsPerCall.add(rows);
            ByteBuffer in = request.getRawInputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            if (request.getModelName().equals("huge")) {
                // 2 MiB of parameters beside one value: more than any answer for one row may take.
                answer.onNext(ModelInferResponse.newBuilder().setModelName("huge").putParameters("padding",
                        inference.OpenInferenceGrpc.InferParameter.newBuilder().setStringParam("x".repeat(2 << 20))
                                .build()).build());
                answer.onCompleted();
                return;
            }
            int answered = request.getModelName().equals("short") ? rows - 1 : rows;
            ByteBuffer out = ByteBuffer.allocate(4 * answered).order(ByteOrder.LITTLE_ENDIAN);
            for (int r = 0; r < rows; r++) {
                float y = 0;
                for (int c = 0; c < width; c++) {
                    float v = in.getFloat();
                    y += width == WIDE ? v : (float) WEIGHTS[c] * v;
                }
                if (r < answered) {
                    out.putFloat(y);
                }
            }
            answer.onNext(ModelInferResponse.newBuilder().setModelName(request.getModelName())
                    .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("y").setDatatype("FP32")
                            .addShape(answered).addShape(1))
                    .addRawOutputContents(ByteString.copyFrom(out.array())).build());
            answer.onCompleted();
        }
    }
}
