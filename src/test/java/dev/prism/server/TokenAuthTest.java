package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ExactShapleyParams;
import dev.prism.api.v1.ExampleServiceGrpc;
import dev.prism.api.v1.ExplainByExampleRequest;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.ListModelsRequest;
import dev.prism.api.v1.ModelInfo;
import dev.prism.api.v1.ReloadModelsRequest;
import dev.prism.api.v1.ReloadModelsResponse;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.PredictRequest;
import dev.prism.server.security.SecurityOptions;
import inference.GRPCInferenceServiceGrpc;
import inference.model_repository.ModelRepository;
import inference.model_repository.ModelRepositoryServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bearer tokens with per-model allow lists, on a real loopback port. */
class TokenAuthTest {
    private static final String IRIS_TOKEN = "iris-only-7f3a9c2e51d04b86";
    private static final String EVERY_MODEL_TOKEN = "every-model-0b5d8e1f4a6c2937";
    private static final String UNAUTHENTICATED = "UNAUTHENTICATED";
    private static final String PERMISSION_DENIED = "PERMISSION_DENIED";
    /** The repository extension's two names: MLServer's service, and Triton's inference service. */
    private static final List<String> REPOSITORY_SERVICES = List.of(ModelRepositoryServiceGrpc.SERVICE_NAME,
            GRPCInferenceServiceGrpc.SERVICE_NAME);

    @TempDir
    static Path dir;
    private static Path repo;
    private static PrismServer prism;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws IOException {
        repo = ServerTestSupport.repository(dir, "iris", "diabetes");
        Path tokens = Files.writeString(dir.resolve("tokens"), """
                # who may use which model
                %s iris
                sha256:%s *
                """.formatted(IRIS_TOKEN, sha256(EVERY_MODEL_TOKEN)));
        prism = PrismServer.start(ServerOptions.defaults(repo).withPorts(0, -1),
                SecurityOptions.NONE.withTokensFile(tokens));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", prism.port()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        prism.close();
    }

    private static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The stub sending this authorization header, or none when null. */
    private static <S extends AbstractStub<S>> S as(S stub, String authorization) {
        S timed = stub.withDeadlineAfter(30, TimeUnit.SECONDS);
        if (authorization == null) {
            return timed;
        }
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
        return timed.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static ModelServiceGrpc.ModelServiceBlockingStub models(String authorization) {
        return as(ModelServiceGrpc.newBlockingStub(channel), authorization);
    }

    private static ExampleServiceGrpc.ExampleServiceBlockingStub examples(String authorization) {
        return as(ExampleServiceGrpc.newBlockingStub(channel), authorization);
    }

    private static ExplainServiceGrpc.ExplainServiceBlockingStub explain(String authorization) {
        return as(ExplainServiceGrpc.newBlockingStub(channel), authorization);
    }

    private static List<String> listModels(String authorization) {
        return models(authorization).listModels(ListModelsRequest.getDefaultInstance()).getModelsList().stream()
                .map(ModelInfo::getName).toList();
    }

    private static ExplainRequest explainRequest(String model, int features) {
        double[] row = new double[features];
        java.util.Arrays.fill(row, 0.5);
        return ExplainRequest.newBuilder().setModel(model).addInputs(floats(1, row))
                .setExactShapley(ExactShapleyParams.getDefaultInstance()).build();
    }

    /** A call with the iris token that must succeed: the server still serves after a refusal. */
    private static void stillServes() {
        assertEquals(List.of("iris"), listModels("Bearer " + IRIS_TOKEN));
    }

    /**
     * Names a client makes up never become metric labels: 300 calls for random model names, refused
     * with PERMISSION_DENIED, and as many for names nobody serves, leave only served names (or the
     * empty label) in the model label of every Prism series.
     */
    @Test
    void madeUpModelNamesNeverBecomeLabels() {
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 300; i++) {
            String name = "made-up-" + Long.toHexString(random.nextLong());
            assertStatus(failure(() -> explain("Bearer " + IRIS_TOKEN).explain(explainRequest(name, 4))),
                    Status.Code.PERMISSION_DENIED, PERMISSION_DENIED);
            assertStatus(failure(() -> explain("Bearer " + EVERY_MODEL_TOKEN).explain(explainRequest(name, 4))),
                    Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
        }
        java.util.Set<String> labels = new java.util.TreeSet<>();
        prism.registry().getMeters().forEach(m -> {
            String model = m.getId().getTag("model");
            if (model != null) {
                labels.add(model);
            }
        });
        labels.removeIf(l -> l.isEmpty() || l.startsWith("iris") || l.startsWith("diabetes"));
        assertEquals(java.util.Set.of(), labels, "model labels that are not served names");
        stillServes();
    }

    @Test
    void reloadingModelsNeedsATokenForEveryModel() {
        assertStatus(failure(() -> models("Bearer " + IRIS_TOKEN).reloadModels(ReloadModelsRequest.getDefaultInstance())),
                Status.Code.PERMISSION_DENIED, PERMISSION_DENIED);
        assertStatus(failure(() -> models(null).reloadModels(ReloadModelsRequest.getDefaultInstance())),
                Status.Code.UNAUTHENTICATED, UNAUTHENTICATED);
        ReloadModelsResponse r = models("Bearer " + EVERY_MODEL_TOKEN).reloadModels(
                ReloadModelsRequest.getDefaultInstance());
        assertEquals(ReloadModelsResponse.newBuilder().setTokensReloaded(true).build(), r,
                "nothing changed in the repository; the tokens file was read again");
        stillServes();
    }

    @Test
    void aCallWithoutATokenIsUnauthenticated() {
        StatusRuntimeException e = failure(() -> listModels(null));
        assertStatus(e, Status.Code.UNAUTHENTICATED, UNAUTHENTICATED);
        assertTrue(e.getStatus().getDescription().contains("authorization: Bearer"), e.getStatus().toString());
        assertStatus(failure(() -> explain(null).explain(explainRequest("iris", 4))),
                Status.Code.UNAUTHENTICATED, UNAUTHENTICATED);
        stillServes();
    }

    @Test
    void anUnknownTokenOrAnotherSchemeIsUnauthenticated() {
        for (String header : new String[] {"Bearer not-a-listed-token", "Bearer " + IRIS_TOKEN + "x",
                "Basic " + IRIS_TOKEN, "Bearer sha256:" + sha256(EVERY_MODEL_TOKEN), "Bearer "}) {
            assertStatus(failure(() -> listModels(header)), Status.Code.UNAUTHENTICATED, UNAUTHENTICATED);
            stillServes();
        }
    }

    @Test
    void listModelsShowsOnlyTheAllowedModels() {
        assertEquals(List.of("iris"), listModels("Bearer " + IRIS_TOKEN));
        assertEquals(List.of("diabetes", "iris"), listModels("Bearer " + EVERY_MODEL_TOKEN));
        assertEquals(List.of("diabetes", "iris"), listModels("bearer " + EVERY_MODEL_TOKEN));
    }

    @Test
    void aModelOutsideTheAllowListIsPermissionDeniedOnEveryMethod() {
        String iris = "Bearer " + IRIS_TOKEN;
        assertStatus(failure(() -> models(iris).getModel(GetModelRequest.newBuilder().setName("diabetes").build())),
                Status.Code.PERMISSION_DENIED, PERMISSION_DENIED);
        stillServes();
        assertStatus(failure(() -> models(iris).predict(PredictRequest.newBuilder().setModel("diabetes")
                .addInputs(floats(1, new double[10])).build())), Status.Code.PERMISSION_DENIED, PERMISSION_DENIED);
        stillServes();
        assertStatus(failure(() -> explain(iris).explain(explainRequest("diabetes", 10))),
                Status.Code.PERMISSION_DENIED, PERMISSION_DENIED);
        stillServes();
        assertStatus(failure(() -> explain(iris).streamExplain(explainRequest("diabetes", 10)).forEachRemaining(e -> {})),
                Status.Code.PERMISSION_DENIED, PERMISSION_DENIED);
        stillServes();
        assertStatus(failure(() -> explain(iris).evaluate(dev.prism.api.v1.EvaluateRequest.newBuilder()
                .setRequest(explainRequest("diabetes", 10).toBuilder().setEvaluate(dev.prism.api.v1.EvaluationParams
                        .newBuilder().setComplexity(dev.prism.api.v1.ComplexityParams.getDefaultInstance()))).build())),
                Status.Code.PERMISSION_DENIED, PERMISSION_DENIED);
        stillServes();
        // A model that is not served at all is denied the same way: the token learns nothing about other names.
        assertStatus(failure(() -> models(iris).getModel(GetModelRequest.newBuilder().setName("nope").build())),
                Status.Code.PERMISSION_DENIED, PERMISSION_DENIED);
        stillServes();
    }

    @Test
    void explanationsByExampleNeedATokenThatAllowsTheModel() {
        ExplainByExampleRequest.Builder request = ExplainByExampleRequest.newBuilder().setK(1)
                .setInstances(floats(1, new double[4]));
        assertStatus(failure(() -> examples(null).explainByExample(request.setModel("iris").build())),
                Status.Code.UNAUTHENTICATED, UNAUTHENTICATED);
        assertStatus(failure(() -> examples("Bearer " + IRIS_TOKEN).explainByExample(
                request.setModel("diabetes").build())), Status.Code.PERMISSION_DENIED, PERMISSION_DENIED);
        // Past the token: this iris has no reference set, which only an admitted call learns.
        assertStatus(failure(() -> examples("Bearer " + IRIS_TOKEN).explainByExample(
                request.setModel("iris").build())), Status.Code.FAILED_PRECONDITION, "METHOD_UNSUPPORTED_FOR_MODEL");
        stillServes();
    }

    @Test
    void anAllowedModelIsServed() {
        String iris = "Bearer " + IRIS_TOKEN;
        assertEquals(4, models(iris).getModel(GetModelRequest.newBuilder().setName("iris").build())
                .getFeatureNamesCount());
        assertEquals(3, explain(iris).explain(explainRequest("iris", 4)).getExplanationsCount());
        String every = "Bearer " + EVERY_MODEL_TOKEN;
        assertEquals(1, explain(every).explain(explainRequest("diabetes", 10)).getExplanationsCount());
    }

    @Test
    void aModelNameIsOnlyLookedUpNeverUsedAsAPath() {
        StatusRuntimeException e = failure(() -> models("Bearer " + EVERY_MODEL_TOKEN)
                .getModel(GetModelRequest.newBuilder().setName("../" + repo.getFileName() + "/iris").build()));
        assertStatus(e, Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
    }

    @Test
    void healthStaysOpenWithoutAToken() {
        assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus());
    }

    @Test
    void aTokensFileNamingAModelThatIsNotServedStopsTheStart() throws IOException {
        Path tokens = Files.writeString(dir.resolve("typo"), "some-token-4c1e9a77 iris,irsi\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PrismServer.start(ServerOptions.defaults(repo).withPorts(0, -1),
                        SecurityOptions.NONE.withTokensFile(tokens)).close());
        assertTrue(e.getMessage().contains("line 1: model 'irsi' is not served"), e.getMessage());
    }

    @Test
    void aMalformedTokensFileStopsTheStart() throws IOException {
        Path tokens = Files.writeString(dir.resolve("malformed"), "# ok\nlonely-token\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PrismServer.start(ServerOptions.defaults(repo).withPorts(0, -1),
                        SecurityOptions.NONE.withTokensFile(tokens)).close());
        assertTrue(e.getMessage().contains("line 2: expected '<token> <model,model,...|*>'"), e.getMessage());
    }

    @Test
    void aReloadReadsTheTokensFileAgainAndKeepsTheOldTokensWhenTheNewFileIsBroken() throws Exception {
        Path own = Files.createDirectories(dir.resolve("reloading"));
        Path tokens = Files.writeString(own.resolve("tokens"), "%s iris\n%s *\n".formatted(IRIS_TOKEN,
                EVERY_MODEL_TOKEN));
        try (PrismServer server = PrismServer.start(ServerOptions.defaults(repo).withPorts(0, -1),
                SecurityOptions.NONE.withTokensFile(tokens))) {
            ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                ModelServiceGrpc.ModelServiceBlockingStub stub = ModelServiceGrpc.newBlockingStub(ch);
                String admin = "Bearer " + EVERY_MODEL_TOKEN;
                String newToken = "diabetes-only-93d1c6a0e27f485b";
                assertEquals(1, as(stub, "Bearer " + IRIS_TOKEN).listModels(ListModelsRequest.getDefaultInstance())
                        .getModelsCount());
                // Both outcomes are counted from zero, before the first reload.
                for (String outcome : List.of("reloaded", "refused")) {
                    assertEquals(0.0, server.registry().get("prism.tokens.reloads").tag("outcome", outcome)
                            .counter().count(), outcome);
                }

                // The iris token is revoked and a new one granted diabetes.
                Files.writeString(tokens, "%s diabetes\n%s *\n".formatted(newToken, EVERY_MODEL_TOKEN));
                ReloadModelsResponse r = as(stub, admin).reloadModels(ReloadModelsRequest.getDefaultInstance());
                assertTrue(r.getTokensReloaded());
                assertEquals("", r.getTokensRefused());
                assertStatus(failure(() -> as(stub, "Bearer " + IRIS_TOKEN).listModels(
                        ListModelsRequest.getDefaultInstance())), Status.Code.UNAUTHENTICATED, UNAUTHENTICATED);
                // Refused before any service ran, and counted by its reason all the same.
                assertEquals(1.0, ServerTestSupport.counter(server.registry(), "prism.errors", "reason",
                        UNAUTHENTICATED));
                assertEquals(List.of("diabetes"), as(stub, "Bearer " + newToken)
                        .listModels(ListModelsRequest.getDefaultInstance()).getModelsList().stream()
                        .map(ModelInfo::getName).toList());

                // A broken file (a model that is not served) is refused; the tokens in force stay.
                Files.writeString(tokens, "%s diabetes,irsi\n%s *\n".formatted(newToken, EVERY_MODEL_TOKEN));
                r = as(stub, admin).reloadModels(ReloadModelsRequest.getDefaultInstance());
                assertFalse(r.getTokensReloaded());
                assertTrue(r.getTokensRefused().contains("line 1: model 'irsi' is not served"), r.getTokensRefused());
                assertEquals(1, as(stub, "Bearer " + newToken).listModels(ListModelsRequest.getDefaultInstance())
                        .getModelsCount());
                assertEquals(1.0, ServerTestSupport.counter(server.registry(), "prism.tokens.reloads",
                        "outcome", "refused"));
                assertEquals(1.0, ServerTestSupport.counter(server.registry(), "prism.tokens.reloads",
                        "outcome", "reloaded"));
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void theOpenInferenceProtocolKeepsToTheSameTokensAndModels() {
        inference.OpenInferenceGrpc.ModelInferRequest infer = inference.OpenInferenceGrpc.ModelInferRequest.newBuilder()
                .setModelName("diabetes").addInputs(inference.OpenInferenceGrpc.ModelInferRequest.InferInputTensor
                        .newBuilder().setName("input").setDatatype("FP32").addShape(1).addShape(10)
                        .setContents(inference.OpenInferenceGrpc.InferTensorContents.newBuilder()
                                .addAllFp32Contents(java.util.Collections.nCopies(10, 0.01f)))).build();
        assertStatus(failure(() -> as(inference.GRPCInferenceServiceGrpc.newBlockingStub(channel), null)
                .modelInfer(infer)), Status.Code.UNAUTHENTICATED, UNAUTHENTICATED);
        // A token for iris alone may not use diabetes, nor learn whether it is served.
        assertStatus(failure(() -> as(inference.GRPCInferenceServiceGrpc.newBlockingStub(channel), "Bearer " + IRIS_TOKEN)
                .modelInfer(infer)), Status.Code.PERMISSION_DENIED, PERMISSION_DENIED);
        assertStatus(failure(() -> as(inference.GRPCInferenceServiceGrpc.newBlockingStub(channel), "Bearer " + IRIS_TOKEN)
                .modelMetadata(inference.OpenInferenceGrpc.ModelMetadataRequest.newBuilder().setName("diabetes").build())),
                Status.Code.PERMISSION_DENIED, PERMISSION_DENIED);
        assertEquals(1, as(inference.GRPCInferenceServiceGrpc.newBlockingStub(channel), "Bearer " + EVERY_MODEL_TOKEN)
                .modelInfer(infer).getOutputsCount());
    }

    /** A call of the repository extension under the service's name, sending this authorization header (or none). */
    private static <Q, A> A repositoryCall(String service, MethodDescriptor<Q, A> method, Q request,
                                       String authorization, ManagedChannel on) {
        Channel ch = on;
        if (authorization != null) {
            Metadata headers = new Metadata();
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
            ch = ClientInterceptors.intercept(on, MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        return ClientCalls.blockingUnaryCall(ch, method.toBuilder().setFullMethodName(
                        MethodDescriptor.generateFullMethodName(service, method.getBareMethodName())).build(),
                CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), request);
    }

    private static List<String> index(String service, String authorization) {
        return repositoryCall(service, ModelRepositoryServiceGrpc.getRepositoryIndexMethod(),
                ModelRepository.RepositoryIndexRequest.getDefaultInstance(), authorization,
                channel).getModelsList().stream().map(m -> m.getName() + " " + m.getState()).toList();
    }

    private static void load(String service, String model, String authorization, ManagedChannel on) {
        repositoryCall(service, ModelRepositoryServiceGrpc.getRepositoryModelLoadMethod(),
                ModelRepository.RepositoryModelLoadRequest.newBuilder()
                        .setModelName(model).build(), authorization, on);
    }

    private static void unload(String service, String model, String authorization, ManagedChannel on) {
        repositoryCall(service, ModelRepositoryServiceGrpc.getRepositoryModelUnloadMethod(),
                ModelRepository.RepositoryModelUnloadRequest.newBuilder()
                        .setModelName(model).build(), authorization, on);
    }

    /**
     * Loading and unloading change what is served, so, as ReloadModels, they need a token for every
     * model, under both names of the extension; the index shows what the token may use, as
     * ListModels does.
     */
    @Test
    void theRepositoryExtensionNeedsATokenForEveryModelToChangeWhatIsServed() {
        String iris = "Bearer " + IRIS_TOKEN;
        String every = "Bearer " + EVERY_MODEL_TOKEN;
        for (String service : REPOSITORY_SERVICES) {
            for (String model : List.of("diabetes", "iris", "tulips")) {
                assertStatus(failure(() -> load(service, model, null, channel)), Status.Code.UNAUTHENTICATED,
                        UNAUTHENTICATED);
                assertStatus(failure(() -> unload(service, model, null, channel)), Status.Code.UNAUTHENTICATED,
                        UNAUTHENTICATED);
                assertStatus(failure(() -> load(service, model, iris, channel)), Status.Code.PERMISSION_DENIED,
                        PERMISSION_DENIED);
                assertStatus(failure(() -> unload(service, model, iris, channel)), Status.Code.PERMISSION_DENIED,
                        PERMISSION_DENIED);
            }
            assertStatus(failure(() -> index(service, null)), Status.Code.UNAUTHENTICATED, UNAUTHENTICATED);
            assertEquals(List.of("iris READY"), index(service, iris), service);
            assertEquals(List.of("diabetes READY", "iris READY"), index(service, every), service);
            stillServes();

            unload(service, "diabetes", every, channel);
            try {
                assertEquals(List.of("diabetes UNAVAILABLE", "iris READY"), index(service, every), service);
                assertEquals(List.of("iris READY"), index(service, iris), service);
            } finally {
                load(service, "diabetes", every, channel);
            }
            assertEquals(List.of("diabetes READY", "iris READY"), index(service, every), service);
        }
    }

    /** A token may go on naming an unloaded model: it is still the repository's, and may be loaded again. */
    @Test
    void aTokensFileNamingAnUnloadedModelIsStillReadOnAReload() throws Exception {
        Path own = Files.createDirectories(dir.resolve("unloading"));
        Path tokens = Files.writeString(own.resolve("tokens"), "%s iris\n%s *\n".formatted(IRIS_TOKEN,
                EVERY_MODEL_TOKEN));
        try (PrismServer server = PrismServer.start(ServerOptions.defaults(repo).withPorts(0, -1),
                SecurityOptions.NONE.withTokensFile(tokens))) {
            ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                String admin = "Bearer " + EVERY_MODEL_TOKEN;
                unload(REPOSITORY_SERVICES.get(0), "iris", admin, ch);
                ReloadModelsResponse r = as(ModelServiceGrpc.newBlockingStub(ch), admin)
                        .reloadModels(ReloadModelsRequest.getDefaultInstance());
                assertEquals("", r.getTokensRefused());
                assertTrue(r.getTokensReloaded());
                load(REPOSITORY_SERVICES.get(1), "iris", admin, ch);
                assertEquals(List.of("iris"), as(ModelServiceGrpc.newBlockingStub(ch), "Bearer " + IRIS_TOKEN)
                        .listModels(ListModelsRequest.getDefaultInstance()).getModelsList().stream()
                        .map(ModelInfo::getName).toList());
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }
}
