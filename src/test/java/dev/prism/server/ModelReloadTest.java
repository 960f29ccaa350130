package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.copyFolder;
import static dev.prism.server.ServerTestSupport.counter;
import static dev.prism.server.ServerTestSupport.eventually;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static dev.prism.server.ServerTestSupport.linearWithBias;
import static dev.prism.server.ServerTestSupport.writeAtomically;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.RefusedModel;
import dev.prism.api.v1.ReloadModelsRequest;
import dev.prism.api.v1.ReloadModelsResponse;
import dev.prism.error.PrismException;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot reload on a real server over loopback. The linear test model computes w·x + b, so at x = 1 it
 * answers 4.75 + b: variants that differ only in b tell at once which version answered.
 */
class ModelReloadTest {
    private static final double[] ONES = {1, 1, 1, 1, 1};
    /** The linear test model's weights add up to W_SUM, and its bias is ORIGINAL_BIAS. */
    static final double W_SUM = 4.75;
    static final double ORIGINAL_BIAS = 0.75;

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

    @Test
    void reloadUnderContinuousLoadFailsNoRequest() throws Exception {
        start("linear");
        // Every outcome is counted from zero, before the first reload.
        for (String outcome : List.of("added", "replaced", "removed", "refused", "unloaded")) {
            assertEquals(0.0, server.registry().get("prism.model.reloads").tags("model", "linear", "outcome", outcome)
                    .counter().count(), outcome);
        }
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger answered = new AtomicInteger();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        Set<Double> seen = ConcurrentHashMap.newKeySet();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 6; c++) {
            boolean explain = c % 2 == 1;
            Thread t = new Thread(() -> {
                while (running.get()) {
                    try {
                        seen.add(explain ? explainedOutput() : predict("linear"));
                        answered.incrementAndGet();
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
            });
            t.start();
            clients.add(t);
        }
        try {
            eventually(Duration.ofSeconds(30), () -> "first answers", () -> answered.get() > 20);
            for (int version = 1; version <= 5; version++) {
                double bias = 100.0 * version;
                writeAtomically(repo.resolve("linear/model.onnx"), linearWithBias(bias));
                ReloadResult result = server.reload();
                assertEquals(List.of("linear"), result.replaced(), () -> "reload " + result);
                int before = answered.get();
                eventually(Duration.ofSeconds(30), () -> "answers after the swap", () -> answered.get() > before + 20);
                assertEquals(W_SUM + bias, predict("linear"), 1e-5, "new requests get the new version");
            }
        } finally {
            running.set(false);
            for (Thread t : clients) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
        }
        assertEquals(List.of(), failures, "failed requests");
        for (int version = 1; version <= 5; version++) {
            double expected = W_SUM + 100.0 * version;
            assertTrue(seen.stream().anyMatch(v -> Math.abs(v - expected) < 1e-4),
                    () -> "answers " + seen + " lack version " + expected);
        }
        assertEquals(5.0, counter(server.registry(), "prism.model.reloads", "model", "linear", "outcome", "replaced"));
    }

    @Test
    void brokenVersionIsRefusedAndTheOldOneKeepsServing() throws Exception {
        start("linear");
        ServedModel serving = server.models().current("linear").orElseThrow();
        Path model = repo.resolve("linear/model.onnx");
        byte[] good = Files.readAllBytes(model);
        Files.write(model, java.util.Arrays.copyOf(good, good.length / 2));

        ReloadResult truncated = server.reload();
        assertEquals(Set.of("linear"), truncated.refused().keySet());
        assertTrue(truncated.refused().get("linear").contains("linear"), truncated.refused()::toString);
        assertEquals(W_SUM + ORIGINAL_BIAS, predict("linear"), 1e-5);
        assertEquals(1.0, counter(server.registry(), "prism.model.reloads", "model", "linear", "outcome", "refused"));

        Files.write(model, good);
        Files.writeString(repo.resolve("linear/config.json"), "{\"maxBatchRows\": \"many\"");
        assertEquals(Set.of("linear"), server.reload().refused().keySet(), "a broken config is refused too");
        assertEquals(W_SUM + ORIGINAL_BIAS, predict("linear"), 1e-5);
        assertEquals(2.0, counter(server.registry(), "prism.model.reloads", "model", "linear", "outcome", "refused"));
        assertFalse(serving.inFlight().isClosed(), "the serving version stays open");
        assertTrue(server.models().current("linear").orElseThrow() == serving, "and keeps its name");

        Files.delete(repo.resolve("linear/config.json"));
        writeAtomically(model, linearWithBias(-1));
        assertEquals(List.of("linear"), server.reload().replaced());
        assertEquals(W_SUM - 1, predict("linear"), 1e-5, "a repaired folder loads");
    }

    @Test
    void reloadModelsRpcSwapsAndGetModelShowsTheVersion() throws Exception {
        start("linear");
        var stub = ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        String before = stub.getModel(GetModelRequest.newBuilder().setName("linear").build()).getVersion();
        assertEquals(server.models().current("linear").orElseThrow().version(), before);
        assertEquals(16, before.length());

        writeAtomically(repo.resolve("linear/model.onnx"), linearWithBias(7));
        Files.writeString(Files.createDirectories(repo.resolve("broken_one")).resolve("model.onnx"), "not a model");
        ReloadModelsResponse r = stub.reloadModels(ReloadModelsRequest.getDefaultInstance());
        assertEquals(List.of("linear"), r.getReplacedList());
        assertEquals(List.of("broken_one"), r.getRefusedList().stream().map(RefusedModel::getName).toList());
        assertTrue(r.getRefused(0).getReason().contains("broken_one"), r::toString);

        String after = stub.getModel(GetModelRequest.newBuilder().setName("linear").build()).getVersion();
        assertFalse(after.equals(before), "a changed folder is a new version");
        assertEquals(W_SUM + 7, predict("linear"), 1e-5);
        assertStatus(failure(() -> predict("broken_one")), Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
    }

    @Test
    void unchangedFoldersAreNotReloaded() throws Exception {
        start("linear", "iris");
        ServedModel iris = server.models().current("iris").orElseThrow();
        ReloadResult result = server.reload();
        assertEquals(new ReloadResult(List.of(), List.of(), List.of(), Map.of(), ReloadResult.Tokens.NONE), result);
        assertTrue(server.models().current("iris").orElseThrow() == iris);
    }

    @Test
    void newFolderServesAndRemovedOneStopsAfterItsRunningRequest() throws Exception {
        start("linear");
        assertStatus(failure(() -> predict("breast_cancer")), Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
        copyFolder(ServerTestSupport.BUNDLED.resolve("breast_cancer"), repo.resolve("breast_cancer"));
        assertEquals(List.of("breast_cancer"), server.reload().added());
        assertEquals(1.0, counter(server.registry(), "prism.model.reloads", "model", "breast_cancer",
                "outcome", "added"));
        // An added model's explanations are counted from zero for every method, as a model served from the start.
        Map<String, Double> zero = new java.util.TreeMap<>();
        MethodTable.names().forEach(m -> zero.put(m + " OK", 0.0));
        assertEquals(zero, ServerTestSupport.explanations(server.registry(), "breast_cancer"));

        ServedModel old = server.models().current("breast_cancer").orElseThrow();
        double[] row = ServerTestSupport.backgroundRows("breast_cancer", 20);
        CompletableFuture<ExplainResponse> running = CompletableFuture.supplyAsync(() ->
                ExplainServiceGrpc.newBlockingStub(channel).explain(ExplainRequest.newBuilder()
                        .setModel("breast_cancer").addInputs(floats(20, row))
                        .setKernelShap(KernelShapParams.newBuilder().setNsamples(4096)).build()));
        eventually(Duration.ofSeconds(30), () -> "the explanation to start", () -> old.inFlight().requests() > 0);

        deleteFolder(repo.resolve("breast_cancer"));
        assertEquals(List.of("breast_cancer"), server.reload().removed());
        assertStatus(failure(() -> predict("breast_cancer")), Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
        assertFalse(old.inFlight().isClosed(), "the removed version stays open for its running request");
        assertFalse(running.isDone(), "the request was still running when its model was removed");

        ExplainResponse r = running.get(120, TimeUnit.SECONDS);
        assertEquals(20 * 2, r.getExplanationsCount(), "the running request finished on the removed version");
        eventually(Duration.ofSeconds(30), () -> "the removed version to close", old.inFlight()::isClosed);
        PrismException closed = assertThrows(PrismException.class, () -> old.scheduler().admit());
        assertEquals("SHUTTING_DOWN", closed.reason().name(), "its scheduler has stopped");
        assertEquals(W_SUM + ORIGINAL_BIAS, predict("linear"), 1e-5, "the other model was untouched");
    }

    @Test
    void watchedRepositoryReloadsByItself() throws Exception {
        start("linear");
        server.watchModels(Duration.ofMillis(200));
        writeAtomically(repo.resolve("linear/model.onnx"), linearWithBias(42));
        eventually(Duration.ofSeconds(30), () -> "the watch to reload linear",
                () -> Math.abs(predict("linear") - (W_SUM + 42)) < 1e-5);
        copyFolder(ServerTestSupport.BUNDLED.resolve("iris"), repo.resolve("iris"));
        eventually(Duration.ofSeconds(30), () -> "the watch to add iris",
                () -> server.models().current("iris").isPresent());
        List<Double> probabilities = ModelServiceGrpc.newBlockingStub(channel).predict(PredictRequest.newBuilder()
                .setModel("iris").addInputs(floats(1, 5.1, 3.5, 1.4, 0.2)).build()).getOutputs(0).getDoubleDataList();
        assertEquals(3, probabilities.size(), "iris serves after being copied in");
        assertEquals(1.0, probabilities.stream().mapToDouble(Double::doubleValue).sum(), 1e-5);
    }

    private double predict(String model) {
        return ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .predict(PredictRequest.newBuilder().setModel(model).addInputs(floats(1, ONES)).build())
                .getOutputs(0).getDoubleData(0);
    }

    /** f(1) of the linear model through an explanation against a zero background. */
    private double explainedOutput() {
        return ExplainServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .explain(ExplainRequest.newBuilder().setModel("linear").addInputs(floats(1, ONES))
                        .setBackground(floats(1, 0, 0, 0, 0, 0)).build())
                .getExplanations(0).getModelOutput();
    }

    private static void deleteFolder(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(folder);
    }
}
