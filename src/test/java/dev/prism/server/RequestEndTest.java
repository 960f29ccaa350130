package dev.prism.server;

import static dev.prism.server.ServerTestSupport.backgroundRows;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.PredictRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every request ends by giving back the model version it acquired, exactly once, however it
 * ended: answered in full, answered at its time budget, or refused after the model was looked up.
 * None of them is a cancellation: {@code prism.requests.cancelled} counts only the requests their
 * client or their deadline cancelled.
 */
class RequestEndTest {
    @TempDir
    static Path dir;
    static ServerTestSupport.InProcess prism;

    @BeforeAll
    static void start() throws Exception {
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(
                ServerTestSupport.repository(dir, "breast_cancer")));
    }

    @AfterAll
    static void stop() throws Exception {
        prism.close();
    }

    @Test
    void everyRequestGivesBackItsModelVersionOnceAndNoneCountsAsCancelled() throws Exception {
        assertEquals(Map.of("CANCELLED", 0.0, "DEADLINE_EXCEEDED", 0.0, "SHUTTING_DOWN", 0.0), cancelled(prism),
                "every reason is there at zero from the start");
        ServedModel model = prism.server.models().current("breast_cancer").orElseThrow();
        PredictRequest predict = PredictRequest.newBuilder().setModel("breast_cancer")
                .addInputs(floats(3, backgroundRows("breast_cancer", 3))).build();
        for (int i = 0; i < 3; i++) {
            assertEquals(1, prism.models().predict(predict).getOutputsCount());
        }
        ExplainRequest explain = ExplainServiceTest.breastCancer(2, 64).build();
        for (int i = 0; i < 2; i++) {
            assertEquals(4, prism.explain().explain(explain).getExplanationsCount());
        }
        List<ExplainEvent> events = new ArrayList<>();
        prism.explain().streamExplain(explain).forEachRemaining(events::add);
        assertTrue(events.get(events.size() - 1).hasResult());
        // An answer at the time budget leaves rows it no longer wants behind.
        ExplainRequest timed = ExplainServiceTest.breastCancer(1, 100_000)
                .setTimeBudget(Duration.newBuilder().setSeconds(1)).build();
        assertEquals(2, prism.explain().explain(timed).getExplanationsCount());
        // Refused after the model was looked up: an output it does not have, a tensor of the wrong width.
        assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> prism.explain().explain(explain.toBuilder()
                .addOutputs("no_such_output").build())).getStatus().getCode());
        assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> prism.models().predict(predict.toBuilder()
                .setInputs(0, floats(1, 1, 2, 3)).build())).getStatus().getCode());

        ServerTestSupport.eventually(java.time.Duration.ofSeconds(10),
                () -> model.inFlight().requests() + " requests holding the version", () -> model.inFlight().requests() == 0);
        assertNull(prism.registry().find("prism.explanation.cancel.lag").timer(), "no request was cancelled");
        assertEquals(Map.of("CANCELLED", 0.0, "DEADLINE_EXCEEDED", 0.0, "SHUTTING_DOWN", 0.0), cancelled(prism));
    }

    @Test
    void aCancellationByTheClientOrTheDeadlineIsCountedByItsReason(@TempDir Path own) throws Exception {
        try (ServerTestSupport.InProcess server = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(
                ServerTestSupport.repository(own, "breast_cancer")))) {
            ExplainRequest longRequest = ExplainServiceTest.breastCancer(8, 200_000).build();
            ServerTestSupport.StreamCall call = ServerTestSupport.StreamCall.start(server.explainAsync(), longRequest);
            assertTrue(call.next(java.time.Duration.ofSeconds(30)).hasProgress());
            call.cancel();
            ServerTestSupport.eventually(java.time.Duration.ofSeconds(10), () -> "one cancellation: " + cancelled(server),
                    () -> cancelled(server).get("CANCELLED") == 1);

            StatusRuntimeException late = failure(() -> server.explain()
                    .withDeadlineAfter(300, TimeUnit.MILLISECONDS).explain(longRequest));
            assertEquals(Status.Code.DEADLINE_EXCEEDED, late.getStatus().getCode());
            ServerTestSupport.eventually(java.time.Duration.ofSeconds(10), () -> "one deadline: " + cancelled(server),
                    () -> cancelled(server).get("DEADLINE_EXCEEDED") == 1);
            assertEquals(Map.of("CANCELLED", 1.0, "DEADLINE_EXCEEDED", 1.0, "SHUTTING_DOWN", 0.0), cancelled(server));
        }
    }

    /** prism.requests.cancelled by reason, as registered: a reason without a counter is missing, not 0. */
    private static Map<String, Double> cancelled(ServerTestSupport.InProcess server) {
        Map<String, Double> byReason = new TreeMap<>();
        server.registry().find("prism.requests.cancelled").counters()
                .forEach(c -> byReason.put(c.getId().getTag("reason"), c.count()));
        return byReason;
    }
}
