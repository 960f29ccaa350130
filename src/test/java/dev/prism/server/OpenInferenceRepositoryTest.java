package dev.prism.server;

import static dev.prism.server.ModelReloadTest.ORIGINAL_BIAS;
import static dev.prism.server.ModelReloadTest.W_SUM;
import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.copyFolder;
import static dev.prism.server.ServerTestSupport.counter;
import static dev.prism.server.ServerTestSupport.eventually;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static dev.prism.server.ServerTestSupport.linearWithBias;
import static dev.prism.server.ServerTestSupport.writeAtomically;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.ReloadModelsRequest;
import dev.prism.repository.FolderDigest;
import inference.GRPCInferenceServiceGrpc;
import inference.OpenInferenceGrpc.InferTensorContents;
import inference.OpenInferenceGrpc.ModelInferRequest;
import inference.OpenInferenceGrpc.ModelReadyRequest;
import inference.OpenInferenceGrpc.ServerMetadataRequest;
import inference.model_repository.ModelRepository.RepositoryIndexRequest;
import inference.model_repository.ModelRepository.RepositoryIndexResponse.ModelIndex;
import inference.model_repository.ModelRepository.RepositoryModelLoadRequest;
import inference.model_repository.ModelRepository.RepositoryModelUnloadRequest;
import inference.model_repository.ModelRepositoryServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Open Inference Protocol's repository extension on a real port, by both of its names: index,
 * load and unload over a temporary repository. The linear test model answers W_SUM + b at x = 1,
 * so the bias tells which version answered.
 */
class OpenInferenceRepositoryTest {
    private static final String NOT_LOADED = "not loaded yet: the folder appeared after the last reload";
    private static final String UNLOADED = "unloaded; loading it serves it again";

    /** Where a client finds the extension's methods. */
    enum Route {
        /** MLServer's {@code inference.model_repository.ModelRepositoryService}. */
        MODEL_REPOSITORY_SERVICE(ModelRepositoryServiceGrpc.SERVICE_NAME),
        /** Triton's: the same methods under {@code inference.GRPCInferenceService}. */
        INFERENCE_SERVICE(GRPCInferenceServiceGrpc.SERVICE_NAME);

        private final String service;

        Route(String service) {
            this.service = service;
        }

        <Q, A> A call(ManagedChannel channel, MethodDescriptor<Q, A> method, Q request) {
            MethodDescriptor<Q, A> routed = method.toBuilder()
                    .setFullMethodName(MethodDescriptor.generateFullMethodName(service, method.getBareMethodName()))
                    .build();
            return ClientCalls.blockingUnaryCall(channel, routed,
                    CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS), request);
        }
    }

    @TempDir
    Path dir;
    private Path repo;
    private PrismServer server;
    private ManagedChannel channel;

    private void start(String... models) throws IOException {
        repo = ServerTestSupport.repository(dir, models);
        server = PrismServer.start(ServerOptions.defaults(repo).withPorts(0, -1));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
    }

    private List<ModelIndex> index(Route route, boolean ready) {
        return route.call(channel, ModelRepositoryServiceGrpc.getRepositoryIndexMethod(),
                RepositoryIndexRequest.newBuilder().setReady(ready).build()).getModelsList();
    }

    private void load(Route route, String model) {
        route.call(channel, ModelRepositoryServiceGrpc.getRepositoryModelLoadMethod(),
                RepositoryModelLoadRequest.newBuilder().setModelName(model).build());
    }

    private void unload(Route route, String model) {
        route.call(channel, ModelRepositoryServiceGrpc.getRepositoryModelUnloadMethod(),
                RepositoryModelUnloadRequest.newBuilder().setModelName(model).build());
    }

    private static ModelIndex entry(String name, String version, String state, String reason) {
        return ModelIndex.newBuilder().setName(name).setVersion(version).setState(state).setReason(reason).build();
    }

    private ModelIndex ready(String name) {
        return entry(name, server.models().current(name).orElseThrow().version(), "READY", "");
    }

    private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub oip() {
        return GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private boolean modelReady(String model) {
        return oip().modelReady(ModelReadyRequest.newBuilder().setName(model).build()).getReady();
    }

    /** The linear model at x = 1 through OIP's ModelInfer. */
    private float inferLinear() {
        return oip().modelInfer(ModelInferRequest.newBuilder().setModelName("linear")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("FP32")
                        .addShape(1).addShape(5).setContents(InferTensorContents.newBuilder()
                                .addAllFp32Contents(List.of(1f, 1f, 1f, 1f, 1f))))
                .build()).getOutputs(0).getContents().getFp32Contents(0);
    }

    private double predict(String model) {
        return ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .predict(PredictRequest.newBuilder().setModel(model).addInputs(floats(1, 1, 1, 1, 1, 1)).build())
                .getOutputs(0).getDoubleData(0);
    }

    private double count(String model, String outcome) {
        return counter(server.registry(), "prism.model.reloads", "model", model, "outcome", outcome);
    }

    @Test
    void serverMetadataNamesTheExtension() throws IOException {
        start("linear");
        assertEquals(List.of("model_repository"),
                oip().serverMetadata(ServerMetadataRequest.getDefaultInstance()).getExtensionsList());
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void theIndexListsEveryFolderWithItsStateVersionAndReason(Route route) throws IOException {
        start("linear", "iris");
        assertEquals(List.of(ready("iris"), ready("linear")), index(route, false));
        // Folders that appear between reloads are listed, not served.
        copyFolder(ServerTestSupport.BUNDLED.resolve("breast_cancer"), repo.resolve("breast_cancer"));
        Files.writeString(Files.createDirectories(repo.resolve("broken_one")).resolve("model.onnx"), "not a model");
        Files.createDirectories(repo.resolve("no_model_file"));
        assertEquals(List.of(entry("breast_cancer", "", "UNAVAILABLE", NOT_LOADED),
                entry("broken_one", "", "UNAVAILABLE", NOT_LOADED), ready("iris"), ready("linear")),
                index(route, false));
        assertEquals(List.of(ready("iris"), ready("linear")), index(route, true));

        // After a reload the new folder serves, and the broken one shows why it does not.
        ReloadResult reloaded = server.reload();
        assertEquals(List.of("breast_cancer"), reloaded.added());
        List<ModelIndex> all = index(route, false);
        assertEquals(List.of(ready("breast_cancer"), entry("broken_one", "", "UNAVAILABLE",
                reloaded.refused().get("broken_one")), ready("iris"), ready("linear")), all);
        assertTrue(all.get(1).getReason().startsWith("model 'broken_one' ("), all.get(1).getReason());
        assertEquals(List.of(ready("breast_cancer"), ready("iris"), ready("linear")), index(route, true));
        assertEquals(FolderDigest.of(repo.resolve("linear")), all.get(3).getVersion());

        // Prism's one repository has no name; another is not found.
        assertStatus(failure(() -> route.call(channel, ModelRepositoryServiceGrpc.getRepositoryIndexMethod(),
                RepositoryIndexRequest.newBuilder().setRepositoryName("elsewhere").build())),
                Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void loadServesANewFolderAndSwapsInAChangedOne(Route route) throws Exception {
        start("linear");
        copyFolder(ServerTestSupport.BUNDLED.resolve("iris"), repo.resolve("iris"));
        assertFalse(modelReady("iris"));
        load(route, "iris");
        assertTrue(modelReady("iris"));
        assertEquals(FolderDigest.of(repo.resolve("iris")), server.models().current("iris").orElseThrow().version());
        assertEquals(1.0, count("iris", "added"));

        ServedModel before = server.models().current("linear").orElseThrow();
        writeAtomically(repo.resolve("linear/model.onnx"), linearWithBias(7));
        load(route, "linear");
        assertEquals((float) (W_SUM + 7), inferLinear(), 1e-5f);
        assertEquals(1.0, count("linear", "replaced"));
        eventually(Duration.ofSeconds(30), () -> "the replaced version to close", before.inFlight()::isClosed);

        // An unchanged folder is not loaded again.
        ServedModel serving = server.models().current("linear").orElseThrow();
        load(route, "linear");
        assertSame(serving, server.models().current("linear").orElseThrow());
        assertEquals(1.0, count("linear", "replaced"));
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void aFolderThatFailsToLoadIsRefusedWithTheReasonAndTheOldVersionKeepsServing(Route route) throws Exception {
        start("linear");
        ServedModel serving = server.models().current("linear").orElseThrow();
        Path model = repo.resolve("linear/model.onnx");
        byte[] good = Files.readAllBytes(model);
        Files.write(model, Arrays.copyOf(good, good.length / 2));

        var refused = assertStatus(failure(() -> load(route, "linear")), Status.Code.FAILED_PRECONDITION,
                "MODEL_LOAD_FAILED");
        String message = refused.getStatus().getDescription();
        assertTrue(message.startsWith("version " + serving.version() + " keeps serving; model 'linear' ("), message);
        assertEquals((float) (W_SUM + ORIGINAL_BIAS), inferLinear(), 1e-5f);
        assertSame(serving, server.models().current("linear").orElseThrow());
        assertEquals(List.of(ready("linear")), index(route, false));
        assertEquals(1.0, count("linear", "refused"));

        // A new folder that fails is not served, and the index says why.
        Files.writeString(Files.createDirectories(repo.resolve("broken_one")).resolve("model.onnx"), "not a model");
        String why = assertStatus(failure(() -> load(route, "broken_one")), Status.Code.FAILED_PRECONDITION,
                "MODEL_LOAD_FAILED").getStatus().getDescription();
        assertTrue(why.startsWith("model 'broken_one' ("), why);
        assertFalse(modelReady("broken_one"));
        assertEquals(entry("broken_one", "", "UNAVAILABLE", why), index(route, false).get(0));

        // Repaired, it loads.
        writeAtomically(model, linearWithBias(-1));
        load(route, "linear");
        assertEquals((float) (W_SUM - 1), inferLinear(), 1e-5f);
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void anUnloadedModelStaysUnloadedAcrossReloadsUntilItIsLoaded(Route route) throws Exception {
        start("linear", "iris");
        assertEquals(0.0, count("linear", "unloaded"), "counted from zero");
        unload(route, "linear");
        assertFalse(modelReady("linear"));
        assertStatus(failure(this::inferLinear), Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
        assertStatus(failure(() -> predict("linear")), Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
        assertEquals(List.of(ready("iris"), entry("linear", "", "UNAVAILABLE", UNLOADED)), index(route, false));
        assertEquals(List.of(ready("iris")), index(route, true));
        assertEquals(1.0, count("linear", "unloaded"));

        // Whole reloads, even of a changed folder, leave it out: SIGHUP's and ReloadModels'.
        writeAtomically(repo.resolve("linear/model.onnx"), linearWithBias(3));
        ReloadResult reloaded = server.reload();
        assertEquals(List.of(), reloaded.added());
        assertEquals(List.of(), reloaded.removed());
        assertEquals(0, ModelServiceGrpc.newBlockingStub(channel).reloadModels(ReloadModelsRequest.getDefaultInstance())
                .getAddedCount());
        assertFalse(modelReady("linear"));
        assertTrue(modelReady("iris"), "the other model is untouched");
        // Unloading what is not served is no change.
        unload(route, "linear");
        assertEquals(1.0, count("linear", "unloaded"));

        load(route, "linear");
        assertTrue(modelReady("linear"));
        assertEquals((float) (W_SUM + 3), inferLinear(), 1e-5f);
        assertEquals(1.0, count("linear", "added"));
        // Loaded again, it takes part in reloads again.
        writeAtomically(repo.resolve("linear/model.onnx"), linearWithBias(4));
        assertEquals(List.of("linear"), server.reload().replaced());
        assertEquals((float) (W_SUM + 4), inferLinear(), 1e-5f);
    }

    @Test
    void anUnloadLetsRunningRequestsFinishOnTheUnloadedVersion() throws Exception {
        start("breast_cancer");
        ServedModel old = server.models().current("breast_cancer").orElseThrow();
        double[] rows = ServerTestSupport.backgroundRows("breast_cancer", 20);
        CompletableFuture<ExplainResponse> running = CompletableFuture.supplyAsync(() ->
                ExplainServiceGrpc.newBlockingStub(channel).explain(ExplainRequest.newBuilder()
                        .setModel("breast_cancer").addInputs(floats(20, rows))
                        .setKernelShap(KernelShapParams.newBuilder().setNsamples(4096)).build()));
        eventually(Duration.ofSeconds(30), () -> "the explanation to start", () -> old.inFlight().requests() > 0);

        unload(Route.INFERENCE_SERVICE, "breast_cancer");
        assertFalse(modelReady("breast_cancer"));
        assertFalse(old.inFlight().isClosed(), "the unloaded version stays open for its running request");
        assertFalse(running.isDone(), "the request was still running when its model was unloaded");
        assertEquals(20 * 2, running.get(120, TimeUnit.SECONDS).getExplanationsCount());
        eventually(Duration.ofSeconds(30), () -> "the unloaded version to close", old.inFlight()::isClosed);

        load(Route.INFERENCE_SERVICE, "breast_cancer");
        assertNotSame(old, server.models().current("breast_cancer").orElseThrow());
        assertTrue(modelReady("breast_cancer"));
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void unknownNamesAreNotFoundAndAMissingNameIsInvalid(Route route) throws IOException {
        start("linear");
        for (String name : List.of("tulips", "../" + repo.getFileName() + "/linear", "LINEAR")) {
            assertStatus(failure(() -> load(route, name)), Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
            assertStatus(failure(() -> unload(route, name)), Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
        }
        assertViolation(assertStatus(failure(() -> load(route, "")), Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"),
                "model_name");
        assertViolation(assertStatus(failure(() -> unload(route, "")), Status.Code.INVALID_ARGUMENT,
                "INVALID_PARAMS"), "model_name");
        assertStatus(failure(() -> route.call(channel, ModelRepositoryServiceGrpc.getRepositoryModelLoadMethod(),
                RepositoryModelLoadRequest.newBuilder().setRepositoryName("elsewhere").setModelName("linear").build())),
                Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
        assertStatus(failure(() -> route.call(channel, ModelRepositoryServiceGrpc.getRepositoryModelUnloadMethod(),
                RepositoryModelUnloadRequest.newBuilder().setRepositoryName("elsewhere").setModelName("linear")
                        .build())), Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
        assertTrue(modelReady("linear"), "nothing was unloaded");
        // A folder that is not served yet may be unloaded: reloads then leave it out.
        copyFolder(ServerTestSupport.BUNDLED.resolve("iris"), repo.resolve("iris"));
        unload(route, "iris");
        assertEquals(List.of(), server.reload().added());
        assertFalse(modelReady("iris"));
    }

    /** Triton's load request may carry parameters (field 3: a config, files), which Prism cannot honour. */
    @ParameterizedTest
    @EnumSource(Route.class)
    void tritonsLoadParametersAreRefusedAndItsUnloadParametersChangeNothing(Route route) throws IOException {
        start("linear");
        // parameters {"config": {string_param: "{}"}} as Triton's client writes it.
        ByteString config = ByteString.copyFrom(new byte[] {0x0a, 6, 'c', 'o', 'n', 'f', 'i', 'g', 0x12, 4, 0x1a, 2,
                '{', '}'});
        UnknownFieldSet parameters = UnknownFieldSet.newBuilder().addField(3,
                UnknownFieldSet.Field.newBuilder().addLengthDelimited(config).build()).build();
        assertViolation(assertStatus(failure(() -> route.call(channel,
                ModelRepositoryServiceGrpc.getRepositoryModelLoadMethod(), RepositoryModelLoadRequest.newBuilder()
                        .setModelName("linear").setUnknownFields(parameters).build())),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "parameters");
        route.call(channel, ModelRepositoryServiceGrpc.getRepositoryModelUnloadMethod(),
                RepositoryModelUnloadRequest.newBuilder().setModelName("linear").setUnknownFields(parameters).build());
        assertFalse(modelReady("linear"));
    }
}
