package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.ListModelsRequest;
import dev.prism.api.v1.ModelServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code prism serve} as a process receiving SIGTERM with a call in flight: health watchers see
 * NOT_SERVING, new calls get UNAVAILABLE, the running call finishes with its full answer, and the
 * process exits 0.
 */
class SigtermTest {
    private static final Pattern READY = Pattern.compile("serving .* on port (\\d+)");

    @TempDir
    Path dir;

    @Test
    void sigtermDrainsTheRunningCallAndExitsZero() throws Exception {
        Path repository = ServerTestSupport.repository(dir, "breast_cancer", "iris");
        // The classpath goes through an argument file: ONNX Runtime's native start-up overflows its
        // stack on command lines of more than a few KB.
        Path argfile = dir.resolve("java.args");
        Files.writeString(argfile, "-cp \"" + System.getProperty("java.class.path").replace("\\", "\\\\") + "\"\n");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + argfile, "dev.prism.cli.PrismCli", "serve", "--port", "0", "--metrics-port", "-1",
                "--model-repository", repository.toString(), "--shutdown-grace-seconds", "60")
                .redirectErrorStream(true).start();
        ManagedChannel channel = null;
        try {
            int port = awaitPort(process);
            channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            BlockingQueue<HealthCheckResponse.ServingStatus> health = watchHealth(channel);
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.poll(30, TimeUnit.SECONDS));

            // Seconds of work, far less than the 60 s grace: it must finish after SIGTERM.
            var request = ExplainServiceTest.breastCancer(1, 100_000).build();
            BlockingQueue<ExplainEvent> events = new LinkedBlockingQueue<>();
            CompletableFuture<ExplainResponse> inFlight = stream(channel, request, events);
            ExplainEvent first = events.poll(60, TimeUnit.SECONDS);
            assertNotNull(first, "no progress from the running explanation");
            assertTrue(first.hasProgress());

            process.destroy(); // SIGTERM

            assertEquals(HealthCheckResponse.ServingStatus.NOT_SERVING, health.poll(30, TimeUnit.SECONDS));
            // Health turns NOT_SERVING first, then the transport stops taking calls: a new call is
            // refused with UNAVAILABLE within moments.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Status.Code refused = null;
            while (refused == null && System.nanoTime() < until) {
                ManagedChannel fresh = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
                try {
                    ModelServiceGrpc.newBlockingStub(fresh).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .listModels(ListModelsRequest.getDefaultInstance());
                    Thread.sleep(20);
                } catch (StatusRuntimeException e) {
                    refused = e.getStatus().getCode();
                } finally {
                    fresh.shutdownNow();
                }
            }
            assertEquals(Status.Code.UNAVAILABLE, refused, "new calls after SIGTERM");
            assertTrue(process.isAlive(), "the process waits for the running call");

            ExplainResponse response = inFlight.get(120, TimeUnit.SECONDS);
            assertEquals(2, response.getExplanationsCount());
            for (Explanation e : response.getExplanationsList()) {
                assertEquals(e.getModelOutput() - e.getBaseValue(), ExplainServiceTest.sum(e.getAttributionsList()),
                        1e-9);
            }
            // The open health watch does not hold the process for the rest of the 60 s grace.
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the process did not exit within 20 s of the last answer");
            assertEquals(0, process.exitValue());
        } finally {
            if (channel != null) {
                channel.shutdownNow();
            }
            process.destroyForcibly();
        }
    }

    /** Reads the server's output until its ready line; the rest is drained in the background. */
    static int awaitPort(Process process) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher m = READY.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> out.lines().forEach(l -> { }), "prism-output");
                drain.setDaemon(true);
                drain.start();
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("prism serve exited before it was ready:\n" + seen);
    }

    private static BlockingQueue<HealthCheckResponse.ServingStatus> watchHealth(ManagedChannel channel) {
        BlockingQueue<HealthCheckResponse.ServingStatus> statuses = new LinkedBlockingQueue<>();
        HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
            @Override
            public void onNext(HealthCheckResponse r) {
                statuses.add(r.getStatus());
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        return statuses;
    }

    private static CompletableFuture<ExplainResponse> stream(ManagedChannel channel,
                                                             dev.prism.api.v1.ExplainRequest request,
                                                             BlockingQueue<ExplainEvent> events) {
        CompletableFuture<ExplainResponse> result = new CompletableFuture<>();
        ExplainServiceGrpc.newStub(channel).streamExplain(request, new StreamObserver<>() {
            @Override
            public void onNext(ExplainEvent e) {
                events.add(e);
                if (e.hasResult()) {
                    result.complete(e.getResult());
                }
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                if (!result.isDone()) {
                    result.completeExceptionally(new AssertionError("the stream ended without a result"));
                }
            }
        });
        return result;
    }
}
