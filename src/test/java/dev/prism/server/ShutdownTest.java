package dev.prism.server;

import static dev.prism.server.ServerTestSupport.counter;
import static dev.prism.server.ServerTestSupport.eventually;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.ListModelsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Graceful shutdown: in-flight explanations finish within the grace period, new calls are refused. */
class ShutdownTest {
    @TempDir
    Path dir;

    @Test
    void closeLetsTheRunningExplanationFinishAndRefusesNewCalls() throws Exception {
        ServerOptions options = ServerTestSupport.withShutdownGrace(
                ServerTestSupport.inProcessOptions(ServerTestSupport.repository(dir, "breast_cancer", "iris")),
                Duration.ofSeconds(20));
        try (ServerTestSupport.InProcess prism = new ServerTestSupport.InProcess(options)) {
            // About 15 million model rows: seconds here, far less than the grace period.
            ExplainRequest request = ExplainServiceTest.breastCancer(1, 150_000).build();
            CompletableFuture<ExplainResponse> inFlight = CompletableFuture.supplyAsync(
                    () -> prism.explain().explain(request));
            eventually(Duration.ofSeconds(30), () -> "the explanation running",
                    () -> counter(prism.registry(), "prism.model.rows", "model", "breast_cancer", "graph", "") > 0);

            Thread closer = new Thread(prism.server::close, "test-close");
            closer.start();

            // Once close has begun, new calls are refused while the old one still runs.
            eventually(Duration.ofSeconds(10), () -> "new calls refused", () -> {
                try {
                    prism.models().listModels(ListModelsRequest.getDefaultInstance());
                    return false;
                } catch (StatusRuntimeException e) {
                    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
                    return true;
                }
            });
            StatusRuntimeException refused = failure(() -> prism.explain().explain(ExplainRequest.newBuilder()
                    .setModel("iris").addInputs(floats(1, 5.1, 3.5, 1.4, 0.2)).build()));
            assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
            assertFalse(inFlight.isDone(), "the explanation outlived the start of the shutdown");
            assertTrue(closer.isAlive(), "close waits for the running explanation");

            ExplainResponse response = inFlight.get(60, TimeUnit.SECONDS);
            assertEquals(2, response.getExplanationsCount());
            for (Explanation e : response.getExplanationsList()) {
                assertEquals(30, e.getAttributionsCount());
                assertEquals(e.getModelOutput() - e.getBaseValue(),
                        ExplainServiceTest.sum(e.getAttributionsList()), 1e-9);
                assertEquals(e.getDiagnostics().getCoalitions() * 100 + 1, e.getDiagnostics().getModelEvaluations());
            }
            closer.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(closer.isAlive(), "close() returned");
        }
    }

    /**
     * When the grace period ends first, what still runs is stopped, and its client learns that the
     * server is shutting down (UNAVAILABLE, ErrorInfo SHUTTING_DOWN: retry elsewhere), not that
     * it cancelled the call itself.
     */
    @Test
    void explanationsOutlivingTheGraceFailAsShuttingDown() throws Exception {
        ServerOptions options = ServerTestSupport.withShutdownGrace(
                ServerTestSupport.inProcessOptions(ServerTestSupport.repository(dir, "breast_cancer")),
                Duration.ofMillis(500));
        try (ServerTestSupport.InProcess prism = new ServerTestSupport.InProcess(options)) {
            // Minutes of work: it cannot finish within the grace period.
            ExplainRequest request = ExplainServiceTest.breastCancer(8, 200_000).build();
            CompletableFuture<ExplainResponse> inFlight = CompletableFuture.supplyAsync(
                    () -> prism.explain().explain(request));
            eventually(Duration.ofSeconds(30), () -> "the explanation running",
                    () -> counter(prism.registry(), "prism.model.rows", "model", "breast_cancer", "graph", "") > 0);

            Thread closer = new Thread(prism.server::close, "test-close");
            closer.start();
            closer.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(closer.isAlive(), "close() returned");

            ExecutionException failed = assertThrows(ExecutionException.class, () -> inFlight.get(30, TimeUnit.SECONDS));
            StatusRuntimeException e = (StatusRuntimeException) failed.getCause();
            ServerTestSupport.assertStatus(e, Status.Code.UNAVAILABLE, "SHUTTING_DOWN");
            assertEquals(1.0, counter(prism.registry(), "prism.requests.cancelled", "reason", "SHUTTING_DOWN"));
            assertEquals(0.0, counter(prism.registry(), "prism.requests.cancelled", "reason", "CANCELLED"),
                    "the transport's end after the shutdown's cancellation is not a second one");
        }
    }
}
