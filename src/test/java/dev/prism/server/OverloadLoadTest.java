package dev.prism.server;

import static dev.prism.server.ServerTestSupport.backgroundRows;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.RetryInfo;
import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.LimeParams;
import dev.prism.api.v1.PermutationShapParams;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ten times the capacity of a small server (8 explain threads, 64 queued) in StreamExplain calls at
 * once over a real loopback connection: every call must end, with its exact result or a refusal that
 * says when to retry, accepted calls must not wait long, and retrying as told gets every call through.
 */
class OverloadLoadTest {
    private static final int THREADS = 8;
    private static final int QUEUE = 64;
    private static final int CALLS = 10 * (THREADS + QUEUE);
    private static final Duration QUEUE_WAIT = Duration.ofSeconds(5);
    /** Generous: an accepted call waits at most QUEUE_WAIT and then runs for well under a second. */
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(60);
    private static final int RETRY_ROUNDS = 40;

    @TempDir
    Path dir;

    @Test
    void tenTimesCapacityLosesNothingAndAnswersExactly() throws Exception {
        ServerOptions options = ServerOptions.defaults(ServerTestSupport.repository(dir, "iris", "breast_cancer"))
                .withPorts(0, -1)
                .withExplainPool(THREADS, QUEUE)
                .withExplainQueueWait(QUEUE_WAIT);
        try (PrismServer server = PrismServer.start(options)) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                ExplainServiceGrpc.ExplainServiceStub stub = ExplainServiceGrpc.newStub(channel);
                List<ExplainRequest> requests = requests();
                List<ExplainResponse> expected = new ArrayList<>();
                for (ExplainRequest r : requests) {
                    expected.add(sequential(ExplainServiceGrpc.newBlockingStub(channel), r));
                }

                List<CompletableFuture<Attempt>> burst = new ArrayList<>();
                for (int i = 0; i < CALLS; i++) {
                    burst.add(Attempt.start(stub, requests.get(i % requests.size())));
                }
                List<Attempt> firsts = ended(burst);
                assertEquals(CALLS, firsts.size(), "lost calls: " + (CALLS - firsts.size()));

                List<Long> acceptedNanos = new ArrayList<>();
                List<Integer> refused = new ArrayList<>();
                int wrong = 0;
                for (int i = 0; i < CALLS; i++) {
                    Attempt a = firsts.get(i);
                    if (a.status.isOk()) {
                        acceptedNanos.add(a.nanos);
                        wrong += a.matches(expected.get(i % requests.size())) ? 0 : 1;
                    } else {
                        assertRefusedWithRetry(a);
                        refused.add(i);
                    }
                }
                long heapBytes = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
                assertEquals(0, wrong, "results that differ from the sequential run");
                assertTrue(acceptedNanos.size() >= THREADS, "accepted only " + acceptedNanos.size());
                // Most of ten times the capacity is refused (how much depends on how fast the machine runs them).
                assertTrue(refused.size() > CALLS / 4, "refused only " + refused.size() + " of " + CALLS);

                acceptedNanos.sort(null);
                long p50 = percentile(acceptedNanos, 0.50);
                long p99 = percentile(acceptedNanos, 0.99);
                // An accepted call waits at most QUEUE_WAIT for a thread, then runs a small explanation.
                assertTrue(p99 < QUEUE_WAIT.toNanos() + TimeUnit.SECONDS.toNanos(5),
                        "p99 of accepted calls " + p99 / 1_000_000 + " ms");

                int retries = retryUntilDone(stub, requests, expected, refused);
                System.out.printf("overload: calls=%d accepted=%d refused=%d lost=0 wrong=0 p50=%d ms p99=%d ms "
                                + "retries=%d heap=%d MiB%n", CALLS, acceptedNanos.size(), refused.size(),
                        p50 / 1_000_000, p99 / 1_000_000, retries, heapBytes >> 20);
            } finally {
                channel.shutdownNow();
                channel.awaitTermination(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Retries the refused calls, each after the delay its RetryInfo gave, until all have their exact result. */
    private static int retryUntilDone(ExplainServiceGrpc.ExplainServiceStub stub, List<ExplainRequest> requests,
                                      List<ExplainResponse> expected, List<Integer> refused) throws Exception {
        List<Integer> pending = refused;
        int attempts = 0;
        for (int round = 0; round < RETRY_ROUNDS && !pending.isEmpty(); round++) {
            Thread.sleep(TimeUnit.SECONDS.toMillis(1));
            List<CompletableFuture<Attempt>> wave = new ArrayList<>();
            for (int i : pending) {
                wave.add(Attempt.start(stub, requests.get(i % requests.size())));
            }
            attempts += wave.size();
            List<Attempt> ends = ended(wave);
            assertEquals(wave.size(), ends.size(), "lost retries");
            List<Integer> still = new ArrayList<>();
            for (int k = 0; k < ends.size(); k++) {
                Attempt a = ends.get(k);
                int i = pending.get(k);
                if (a.status.isOk()) {
                    assertTrue(a.matches(expected.get(i % requests.size())), "retried call " + i + " differs");
                } else {
                    assertRefusedWithRetry(a);
                    still.add(i);
                }
            }
            pending = still;
        }
        assertTrue(pending.isEmpty(), pending.size() + " calls still refused after " + RETRY_ROUNDS + " rounds");
        return attempts;
    }

    /** The attempts that ended within the deadline, in order; a missing one is a lost call. */
    private static List<Attempt> ended(List<CompletableFuture<Attempt>> calls) throws InterruptedException {
        long deadline = System.nanoTime() + CALL_DEADLINE.toNanos() + TimeUnit.SECONDS.toNanos(10);
        List<Attempt> done = new ArrayList<>();
        for (CompletableFuture<Attempt> c : calls) {
            try {
                done.add(c.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                // Counted by the caller as lost.
            }
        }
        return done;
    }

    /** Refused for want of a thread (QUEUE_FULL) or of memory (MEMORY_EXHAUSTED), with a RetryInfo of 1 to 30 s. */
    private static void assertRefusedWithRetry(Attempt a) {
        StatusRuntimeException e = a.status.asRuntimeException(a.trailers);
        String reason = ServerTestSupport.errorInfo(e).getReason();
        assertTrue(reason.equals("QUEUE_FULL") || reason.equals("MEMORY_EXHAUSTED"), "refused with " + reason);
        ServerTestSupport.assertStatus(e, Status.Code.RESOURCE_EXHAUSTED, reason);
        RetryInfo retry = ServerTestSupport.retryInfo(e);
        long seconds = retry.getRetryDelay().getSeconds();
        assertTrue(seconds >= 1 && seconds <= 30, () -> "retry delay " + retry);
    }

    private static long percentile(List<Long> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    /** Small seeded requests on two models and three methods: deterministic, each a few thousand rows. */
    private static List<ExplainRequest> requests() {
        List<ExplainRequest> requests = new ArrayList<>();
        for (int seed = 1; seed <= 3; seed++) {
            requests.add(ExplainRequest.newBuilder().setModel("breast_cancer").setSeed(seed)
                    .addInputs(floats(1, Arrays.copyOfRange(backgroundRows("breast_cancer", seed), 30 * (seed - 1), 30 * seed)))
                    .setKernelShap(KernelShapParams.newBuilder().setNsamples(200)).build());
            requests.add(ExplainRequest.newBuilder().setModel("iris").setSeed(seed)
                    .addInputs(floats(1, Arrays.copyOfRange(backgroundRows("iris", seed), 4 * (seed - 1), 4 * seed)))
                    .setLime(LimeParams.newBuilder().setNumSamples(500)).build());
            requests.add(ExplainRequest.newBuilder().setModel("breast_cancer").setSeed(seed)
                    .addInputs(floats(1, Arrays.copyOfRange(backgroundRows("breast_cancer", seed), 30 * (seed - 1), 30 * seed)))
                    .setPermutationShap(PermutationShapParams.newBuilder().setNpermutations(4)).build());
        }
        return requests;
    }

    /** The request's result, run alone before the load. */
    private static ExplainResponse sequential(ExplainServiceGrpc.ExplainServiceBlockingStub stub, ExplainRequest r) {
        Iterator<ExplainEvent> events = stub.withDeadlineAfter(CALL_DEADLINE.toSeconds(), TimeUnit.SECONDS)
                .streamExplain(r);
        ExplainResponse result = null;
        while (events.hasNext()) {
            ExplainEvent e = events.next();
            if (e.hasResult()) {
                result = e.getResult();
            }
        }
        assertTrue(result != null, "no result for " + r.getModel());
        return result;
    }

    /** One StreamExplain call: how it ended, its result if any, and how long it took. */
    private static final class Attempt implements StreamObserver<ExplainEvent> {
        final CompletableFuture<Attempt> end = new CompletableFuture<>();
        final long startNanos = System.nanoTime();
        ExplainResponse result;
        int results;
        Status status;
        io.grpc.Metadata trailers;
        long nanos;

        static CompletableFuture<Attempt> start(ExplainServiceGrpc.ExplainServiceStub stub, ExplainRequest r) {
            Attempt a = new Attempt();
            stub.withDeadlineAfter(CALL_DEADLINE.toSeconds(), TimeUnit.SECONDS).streamExplain(r, a);
            return a.end;
        }

        @Override
        public void onNext(ExplainEvent event) {
            if (event.hasResult()) {
                result = event.getResult();
                results++;
            }
        }

        @Override
        public void onError(Throwable t) {
            finish(Status.fromThrowable(t), io.grpc.Status.trailersFromThrowable(t));
        }

        @Override
        public void onCompleted() {
            finish(Status.OK, null);
        }

        private void finish(Status s, io.grpc.Metadata t) {
            nanos = System.nanoTime() - startNanos;
            status = s;
            trailers = t;
            end.complete(this);
        }

        /** Exactly one result, equal to the expected one but for wall times. */
        boolean matches(ExplainResponse expected) {
            return results == 1 && withoutTimes(result).equals(withoutTimes(expected));
        }

        private static ExplainResponse withoutTimes(ExplainResponse r) {
            ExplainResponse.Builder b = r.toBuilder().clearElapsedSeconds();
            b.getExplanationsBuilderList().forEach(e -> e.getDiagnosticsBuilder().clearElapsedSeconds());
            return b.build();
        }
    }
}
