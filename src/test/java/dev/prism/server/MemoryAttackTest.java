package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.ErrorInfo;
import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.SaliencyParams;
import dev.prism.api.v1.Tensor;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory attack, scaled to a 320 MiB heap: 70 StreamExplain calls whose answers (saliency of
 * 1,000 digits, about 16 MiB each as objects, message and bytes) the client never reads, and 16
 * clients sending the same request and reading it. Unbounded, they need more than three times the
 * heap. The server must stay up and keep serving health, Predict and Explain within their deadlines
 * throughout, refuse what does not fit with MEMORY_EXHAUSTED and a RetryInfo, give the memory of
 * unread answers back after the stall limit, and never run out of memory.
 */
class MemoryAttackTest {
    private static final int INSTANCES = 1000;
    private static final int UNREAD = 70;
    private static final int READERS = 16;
    private static final int STALL_SECONDS = 4;

    @TempDir
    Path dir;

    @Test
    void unreadAnswersAndCrowdsCannotTakeTheServerDown() throws Exception {
        Path repository = ServerTestSupport.repository(dir, "digits", "iris");
        try (ServerProcess server = ServerProcess.start(dir, List.of("-Xmx320m"), List.of(
                "--model-repository", repository.toString(), "--stream-stall-seconds", String.valueOf(STALL_SECONDS)))) {
            ManagedChannel attacker = NettyChannelBuilder.forAddress("127.0.0.1", server.port).usePlaintext()
                    .maxInboundMessageSize(256 * 1024 * 1024).build();
            ManagedChannel others = NettyChannelBuilder.forAddress("127.0.0.1", server.port).usePlaintext()
                    .maxInboundMessageSize(256 * 1024 * 1024).build();
            ExecutorService probes = Executors.newFixedThreadPool(READERS + 1);
            try {
                // The probes' connection is up before the attack, as a monitor's would be.
                List<String> warmUp = new ArrayList<>();
                probe(others, warmUp);
                assertEquals(List.of(), warmUp);
                ExplainRequest saliency = ExplainRequest.newBuilder().setModel("digits")
                        .addInputs(digits(INSTANCES)).setSaliency(SaliencyParams.getDefaultInstance()).build();

                // The unread calls: started, never asked for a message.
                Map<String, AtomicInteger> unreadEnds = new ConcurrentHashMap<>();
                Map<ClientCall<ExplainRequest, ExplainEvent>, Status> closed = new ConcurrentHashMap<>();
                List<ClientCall<ExplainRequest, ExplainEvent>> unread = new ArrayList<>();
                for (int i = 0; i < UNREAD; i++) {
                    ClientCall<ExplainRequest, ExplainEvent> call = attacker.newCall(
                            ExplainServiceGrpc.getStreamExplainMethod(), CallOptions.DEFAULT);
                    call.start(new ClientCall.Listener<>() {
                        @Override
                        public void onClose(Status status, Metadata trailers) {
                            closed.put(call, status);
                            unreadEnds.computeIfAbsent(reason(status, trailers), k -> new AtomicInteger())
                                    .incrementAndGet();
                        }
                    }, new Metadata());
                    call.sendMessage(saliency);
                    call.halfClose();
                    unread.add(call);
                }

                // The unread calls are admitted or refused before the readers come.
                ServerTestSupport.eventually(java.time.Duration.ofSeconds(60), () -> "unread calls admitted: "
                        + unreadEnds, () -> closed.size() < UNREAD
                        && metricOrNaN(server, "prism_memory_reserved_bytes") > 0
                        && metricOrNaN(server, "prism_explain_running") + metricOrNaN(server, "prism_explain_queued")
                                == 0);
                // Readers with the same request, and probes of everything else, meanwhile.
                Map<String, AtomicInteger> readerEnds = new ConcurrentHashMap<>();
                List<Future<?>> readers = new ArrayList<>();
                for (int i = 0; i < READERS; i++) {
                    readers.add(probes.submit(() -> {
                        String end;
                        try {
                            var events = ExplainServiceGrpc.newBlockingStub(others)
                                    .withDeadlineAfter(120, TimeUnit.SECONDS).streamExplain(saliency);
                            int results = 0;
                            while (events.hasNext()) {
                                results += events.next().hasResult() ? 1 : 0;
                            }
                            end = results == 1 ? "OK" : "OK without a result";
                        } catch (StatusRuntimeException e) {
                            end = reason(e.getStatus(), e.getTrailers());
                            if (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                                assertTrue(ServerTestSupport.retryInfo(e).hasRetryDelay(), "RetryInfo with " + e);
                            }
                        }
                        readerEnds.computeIfAbsent(end, k -> new AtomicInteger()).incrementAndGet();
                    }));
                }
                List<String> probeFailures = new ArrayList<>();
                int probesRun = 0;
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3L * STALL_SECONDS);
                while (System.nanoTime() < until) {
                    probesRun++;
                    probe(others, probeFailures);
                    Thread.sleep(200);
                }
                for (Future<?> r : readers) {
                    r.get(180, TimeUnit.SECONDS);
                }

                assertEquals(List.of(), probeFailures, "health, Predict and Explain answer throughout");
                assertTrue(probesRun >= 10, "probes run: " + probesRun);
                // A reader gets its answer or a refusal to retry; nothing else.
                for (String end : readerEnds.keySet()) {
                    assertTrue(end.equals("OK") || end.equals("RESOURCE_EXHAUSTED/MEMORY_EXHAUSTED"),
                            "reader ended with " + end + ": " + readerEnds);
                }
                // Most unread calls could never fit at once: they were refused, and the ones admitted
                // were dropped after the stall limit, their memory given back.
                assertTrue(unreadEnds.getOrDefault("RESOURCE_EXHAUSTED/MEMORY_EXHAUSTED", new AtomicInteger()).get()
                        >= UNREAD / 2, "unread calls: " + unreadEnds);
                ServerTestSupport.eventually(java.time.Duration.ofSeconds(4L * STALL_SECONDS),
                        () -> "unread answers released: " + unreadEnds,
                        () -> metricOrNaN(server, "prism_memory_reserved_bytes") == 0);
                probe(others, probeFailures);
                assertEquals(List.of(), probeFailures);
                // The admitted ones were dropped and their streams reset. The client holds what reached it
                // before the reset and tells of the end only once that is read: asked for it now, every
                // admitted call ends without its answer, where one that was not reset would deliver it.
                List<ClientCall<ExplainRequest, ExplainEvent>> admitted = unread.stream()
                        .filter(c -> !closed.containsKey(c)).toList();
                assertFalse(admitted.isEmpty(), "some unread calls were admitted: " + unreadEnds);
                admitted.forEach(c -> c.request(Integer.MAX_VALUE));
                ServerTestSupport.eventually(java.time.Duration.ofSeconds(30), () -> "every unread call ended: "
                        + unreadEnds, () -> closed.size() == UNREAD);
                assertTrue(admitted.stream().noneMatch(c -> closed.get(c).isOk()),
                        "admitted unread calls were reset, not answered late: " + unreadEnds);
                assertTrue(server.process.isAlive(), "the server is up");
                System.out.println("memory attack: unread calls " + unreadEnds + ", readers " + readerEnds
                        + ", probes " + probesRun);
                String log = server.output();
                assertFalse(log.contains("OutOfMemoryError"), "no OutOfMemoryError in the log:\n" + tail(log));
            } finally {
                probes.shutdownNow();
                attacker.shutdownNow();
                others.shutdownNow();
            }
        }
    }

    /** Health, Predict and a small Explain, each within a short deadline; failures are noted. */
    private static void probe(ManagedChannel channel, List<String> failures) {
        try {
            HealthCheckResponse health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance());
            if (health.getStatus() != HealthCheckResponse.ServingStatus.SERVING) {
                failures.add("health " + health.getStatus());
            }
        } catch (StatusRuntimeException e) {
            failures.add("health " + e.getStatus());
        }
        Tensor iris = ServerTestSupport.floats(1, 5.1, 3.5, 1.4, 0.2);
        try {
            ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .predict(PredictRequest.newBuilder().setModel("iris").addInputs(iris).build());
        } catch (StatusRuntimeException e) {
            failures.add("predict " + e.getStatus());
        }
        try {
            ExplainServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .explain(ExplainRequest.newBuilder().setModel("iris").addInputs(iris).build());
        } catch (StatusRuntimeException e) {
            failures.add("explain " + e.getStatus());
        }
    }

    private static Tensor digits(int n) {
        double[] rows = ServerTestSupport.backgroundRows("digits", 20);
        double[] values = new double[n * 64];
        for (int i = 0; i < n; i++) {
            System.arraycopy(rows, (i % 20) * 64, values, i * 64, 64);
        }
        return ServerTestSupport.floats(n, values).toBuilder().clearShape().addShape(n).addShape(1).addShape(8)
                .addShape(8).build();
    }

    /** CODE/REASON of a status, from its ErrorInfo. */
    private static String reason(Status status, Metadata trailers) {
        com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(status, trailers);
        for (com.google.protobuf.Any any : details.getDetailsList()) {
            if (any.is(ErrorInfo.class)) {
                try {
                    return status.getCode() + "/" + any.unpack(ErrorInfo.class).getReason();
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return status.getCode().toString();
    }

    private static double metricOrNaN(ServerProcess server, String series) {
        try {
            return server.metric(series);
        } catch (Exception e) {
            return Double.NaN;
        }
    }

    private static String tail(String log) {
        return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
    }
}
