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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every request ends by giving back the model version it acquired, exactly once, however it
 * ended: answered in full, answered at its time budget, or refused after the model was looked up.
 * None of them is a cancellation.
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
    }
}
