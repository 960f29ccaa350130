package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.counter;
import static dev.prism.server.ServerTestSupport.eventually;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the explain queue treats requests that wait in it: too long, or cancelled. */
class ExplainQueueTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ExplainRequest IRIS = ExplainRequest.newBuilder().setModel("iris")
            .addInputs(floats(1, 5.1, 3.5, 1.4, 0.2)).build();

    @Test
    void requestQueuedPastTheBoundIsRefusedWithRetryInfo(@TempDir Path dir) throws Exception {
        ServerOptions options = ServerTestSupport.inProcessOptions(ServerTestSupport.repository(dir, "breast_cancer", "iris"))
                .withExplainPool(1, 1)
                .withExplainQueueWait(Duration.ofMillis(200));
        try (ServerTestSupport.InProcess small = new ServerTestSupport.InProcess(options)) {
            ServerTestSupport.StreamCall running = ServerTestSupport.StreamCall.start(small.explainAsync(),
                    ExplainServiceTest.breastCancer(8, 200_000).build());
            assertTrue(running.next(WAIT).hasProgress());
            ServerTestSupport.StreamCall queued = ServerTestSupport.StreamCall.start(small.explainAsync(), IRIS);
            ServerTestSupport.awaitQueued(small.registry(), 1);
            // Past the bound while the only thread is busy; the thread then frees up.
            Thread.sleep(400);
            running.cancel();
            assertEquals(Status.Code.CANCELLED, running.awaitEnd(WAIT).getCode());

            assertEquals(Status.Code.RESOURCE_EXHAUSTED, queued.awaitEnd(WAIT).getCode());
            StatusRuntimeException refused = (StatusRuntimeException) queued.error;
            assertStatus(refused, Status.Code.RESOURCE_EXHAUSTED, "QUEUE_FULL");
            String description = refused.getStatus().getDescription();
            assertTrue(description.contains("limit 200 ms"), description);
            assertEquals(1, ServerTestSupport.retryInfo(refused).getRetryDelay().getSeconds());
            assertTrue(queued.events.stream().noneMatch(ExplainEvent::hasResult));
            assertEquals(1, counter(small.registry(), "prism.explanations",
                    "model", "iris", "status", "RESOURCE_EXHAUSTED"));

            // Without a wait the same request runs.
            assertEquals(3, small.explain().explain(IRIS).getExplanationsCount());
        }
    }

    @Test
    void cancelledWaitingRequestFreesItsPlaceAtOnce(@TempDir Path dir) throws Exception {
        ServerOptions options = ServerTestSupport.inProcessOptions(ServerTestSupport.repository(dir, "breast_cancer", "iris"))
                .withExplainPool(1, 1);
        try (ServerTestSupport.InProcess small = new ServerTestSupport.InProcess(options)) {
            ServerTestSupport.StreamCall running = ServerTestSupport.StreamCall.start(small.explainAsync(),
                    ExplainServiceTest.breastCancer(8, 200_000).build());
            assertTrue(running.next(WAIT).hasProgress());
            ServerTestSupport.StreamCall queued = ServerTestSupport.StreamCall.start(small.explainAsync(), IRIS);
            ServerTestSupport.awaitQueued(small.registry(), 1);
            assertStatus(failure(() -> small.explain().explain(IRIS)), Status.Code.RESOURCE_EXHAUSTED, "QUEUE_FULL");

            queued.cancel();
            assertEquals(Status.Code.CANCELLED, queued.awaitEnd(WAIT).getCode());
            eventually(WAIT, () -> "the cancellation recorded", () -> counter(small.registry(),
                    "prism.explanations", "model", "iris", "status", "CANCELLED") == 1);
            // The running request still holds the only thread, and the freed place takes a new one.
            ServerTestSupport.StreamCall next = ServerTestSupport.StreamCall.start(small.explainAsync(), IRIS);
            ServerTestSupport.awaitQueued(small.registry(), 1);
            assertFalse(running.done.isDone());
            assertFalse(next.done.isDone());

            running.cancel();
            assertEquals(Status.Code.OK, next.awaitEnd(WAIT).getCode());
            assertEquals(1, next.events.stream().filter(ExplainEvent::hasResult).count());
        }
    }
}
