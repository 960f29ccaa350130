package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.PredictRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Admission under overload: models isolated from each other, refusals by expected wait and deadline, Predict's limits. */
class FairAdmissionTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ExplainRequest IRIS = ExplainRequest.newBuilder().setModel("iris")
            .addInputs(floats(1, 5.1, 3.5, 1.4, 0.2)).build();

    /**
     * A flood of long explanations of one model, more than the pool's threads, must not keep another
     * model's short requests waiting behind it: each iris call runs within its 5 s deadline, where a
     * single FIFO queue would have it wait for the flood. Each flood call (16 instances of 100,000
     * coalitions, about 20 s on two cores) outlasts the iris calls even on a loaded machine, so every
     * one of them is still running or queued when it is cancelled.
     */
    @Test
    void aFloodOnOneModelDoesNotHoldBackAnother(@TempDir Path dir) throws Exception {
        ServerOptions options = ServerTestSupport.inProcessOptions(ServerTestSupport.repository(dir, "breast_cancer", "iris"))
                .withExplainPool(4, 64);
        try (ServerTestSupport.InProcess server = new ServerTestSupport.InProcess(options)) {
            server.explain().explain(IRIS); // warm
            List<ServerTestSupport.StreamCall> flood = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                flood.add(ServerTestSupport.StreamCall.start(server.explainAsync(),
                        ExplainServiceTest.breastCancer(16, 100_000).build()));
            }
            ServerTestSupport.awaitQueued(server.registry(), 24 - 3);
            for (int i = 0; i < 18; i++) {
                assertEquals(3, server.explain().withDeadlineAfter(5, TimeUnit.SECONDS).explain(IRIS)
                        .getExplanationsCount(), "iris call " + i);
            }
            flood.forEach(ServerTestSupport.StreamCall::cancel);
            for (ServerTestSupport.StreamCall call : flood) {
                assertEquals(Status.Code.CANCELLED, call.awaitEnd(WAIT).getCode());
            }
        }
    }

    /**
     * Once a model's explanations are known to take a while, a request that would wait longer than its
     * own deadline, or than the queue wait bound, is refused at once with a RetryInfo rather than queued
     * to fail later.
     */
    @Test
    void requestsThatWouldWaitPastTheirDeadlineAreRefusedAtOnce(@TempDir Path dir) throws Exception {
        ServerOptions options = ServerTestSupport.inProcessOptions(ServerTestSupport.repository(dir, "breast_cancer"))
                .withExplainPool(1, 64).withExplainQueueWait(Duration.ofSeconds(20));
        try (ServerTestSupport.InProcess server = new ServerTestSupport.InProcess(options)) {
            // Teach the lane its run time: one explanation of a second or more.
            ExplainRequest slow = ExplainServiceTest.breastCancer(4, 20_000).build();
            long t0 = System.nanoTime();
            server.explain().explain(slow);
            double seconds = (System.nanoTime() - t0) / 1e9;

            ServerTestSupport.StreamCall running = ServerTestSupport.StreamCall.start(server.explainAsync(), slow);
            List<ServerTestSupport.StreamCall> waiting = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                waiting.add(ServerTestSupport.StreamCall.start(server.explainAsync(), slow));
            }
            ServerTestSupport.awaitQueued(server.registry(), 3);

            // Four explanations ahead: it would start after about 4 x the run time.
            long deadlineMillis = Math.max(50, (long) (seconds * 1000 / 2));
            long start = System.nanoTime();
            StatusRuntimeException refused = failure(() -> server.explain()
                    .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS).explain(slow));
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertStatus(refused, Status.Code.RESOURCE_EXHAUSTED, "QUEUE_FULL");
            assertTrue(refused.getStatus().getDescription().contains("after the call's deadline"),
                    refused.getStatus().getDescription());
            assertTrue(ServerTestSupport.retryInfo(refused).getRetryDelay().getSeconds() >= 1);
            assertTrue(tookMillis < deadlineMillis, "refused at once, not at the deadline: " + tookMillis + " ms");

            running.cancel();
            waiting.forEach(ServerTestSupport.StreamCall::cancel);
            assertEquals(Status.Code.CANCELLED, running.awaitEnd(WAIT).getCode());
        }
    }

    @Test
    void predictHasTheInstanceLimitAndTheMemoryBudget(@TempDir Path dir) throws Exception {
        ServerOptions options = ServerTestSupport.inProcessOptions(ServerTestSupport.repository(dir, "iris"))
                .withLimits(new RequestLimits(64 * 1024 * 1024, 100, 2000, 10_000, 1_000_000, 1_000_000_000L))
                .withAdmission(new ServerOptions.Admission(8 * 1024, Duration.ofSeconds(30), 128));
        try (ServerTestSupport.InProcess server = new ServerTestSupport.InProcess(options)) {
            double[] rows = new double[101 * 4];
            java.util.Arrays.fill(rows, 1.0);
            StatusRuntimeException tooMany = failure(() -> server.models().predict(PredictRequest.newBuilder()
                    .setModel("iris").addInputs(floats(101, rows)).build()));
            assertStatus(tooMany, Status.Code.INVALID_ARGUMENT, "BUDGET_EXCEEDED");
            assertTrue(tooMany.getStatus().getDescription().contains("max_instances = 100"),
                    tooMany.getStatus().getDescription());

            // 100 rows fit the instance limit, but not an 8 KiB budget.
            StatusRuntimeException tooBig = failure(() -> server.models().predict(PredictRequest.newBuilder()
                    .setModel("iris").addInputs(floats(100, java.util.Arrays.copyOf(rows, 400))).build()));
            assertStatus(tooBig, Status.Code.INVALID_ARGUMENT, "BUDGET_EXCEEDED");
            assertTrue(tooBig.getStatus().getDescription().contains("a prediction of 100 instances"),
                    tooBig.getStatus().getDescription());

            assertEquals(3, server.models().predict(PredictRequest.newBuilder().setModel("iris")
                    .addInputs(floats(1, 5.1, 3.5, 1.4, 0.2)).build()).getOutputs(0).getShape(1));
            ServerTestSupport.eventually(WAIT, () -> "every reservation given back once the calls close",
                    () -> server.server.budget().reserved() == 0);
        }
    }

    /**
     * HTTP/2 MAX_CONCURRENT_STREAMS bounds the calls one connection has open at the server, whatever
     * its token: the fifth and sixth calls of a connection limited to four wait on the client side.
     */
    @Test
    void aConnectionOpensAtMostItsStreamLimit(@TempDir Path dir) throws Exception {
        ServerOptions options = ServerOptions.defaults(ServerTestSupport.repository(dir, "breast_cancer"))
                .withPorts(0, -1).withAdmission(new ServerOptions.Admission(0, Duration.ofSeconds(30), 4));
        try (PrismServer server = PrismServer.start(options)) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            ExecutorService calls = Executors.newFixedThreadPool(6);
            try {
                ExplainServiceGrpc.ExplainServiceBlockingStub stub = ExplainServiceGrpc.newBlockingStub(channel);
                List<Future<?>> started = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    started.add(calls.submit(() -> stub.withDeadlineAfter(60, TimeUnit.SECONDS)
                            .explain(ExplainServiceTest.breastCancer(4, 200_000).build())));
                }
                ServerTestSupport.eventually(WAIT, () -> "four calls running",
                        () -> ServerTestSupport.gauge(server.registry(), "prism.explain.running") == 4);
                Thread.sleep(500);
                assertEquals(4, ServerTestSupport.gauge(server.registry(), "prism.explain.running")
                        + ServerTestSupport.gauge(server.registry(), "prism.explain.queued"),
                        "the connection's other calls wait for a stream");
                // A second connection is not held back by the first one's limit.
                ManagedChannel second = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
                assertEquals(2, ExplainServiceGrpc.newBlockingStub(second).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .explain(ExplainServiceTest.breastCancer(1, 64).build()).getExplanationsCount());
                second.shutdownNow();
            } finally {
                channel.shutdownNow();
                calls.shutdownNow();
            }
        }
    }
}
