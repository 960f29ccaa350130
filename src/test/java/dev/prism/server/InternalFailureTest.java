package dev.prism.server;

import static dev.prism.server.LoggedFailures.idOf;
import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.PredictRequest;
import dev.prism.batch.BatchScheduler;
import dev.prism.testing.FunctionModel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failure nobody expected reaches the client as an id, never as the exception's text; the log
 * has the id with the stack trace.
 */
class InternalFailureTest {
    /** What the failing code says: a client must never see it. */
    private static final String SECRET = "/srv/secret/path holds key 0x5eed";

    private LoggedFailures log;

    @BeforeEach
    void captureLogs() {
        log = new LoggedFailures();
    }

    @AfterEach
    void releaseLogs() {
        log.close();
    }

    @Test
    void anUnexpectedExceptionBecomesInternalWithAnIdThatTheLogHas() {
        IllegalStateException thrown = new IllegalStateException(SECRET);
        StatusRuntimeException e = StatusMapper.toStatus(thrown);
        assertStatus(e, Status.Code.INTERNAL, "INTERNAL_ERROR");
        String id = idOf(e, "internal error ");
        assertLogged(StatusMapper.class, id, thrown);
    }

    @Test
    void aModelThatThrowsFailsItsRequestsWithAnIdThatTheLogHas(@TempDir Path dir) throws Exception {
        IllegalArgumentException thrown = new IllegalArgumentException(SECRET);
        StackOverflowError overflow = new StackOverflowError(SECRET);
        for (String name : List.of("throws", "overflows")) {
            Files.writeString(Files.createDirectories(dir.resolve(name)).resolve("model.onnx"), "computed in Java");
        }
        String server = "internal-failure-" + System.nanoTime();
        try (PrismServer prism = PrismServer.start(ServerTestSupport.inProcessOptions(dir),
                InProcessServerBuilder.forName(server), (file, settings, device) ->
                        new FunctionModel(2, 1, x -> {
                            if (file.getParent().getFileName().toString().equals("throws")) {
                                throw thrown;
                            }
                            throw overflow;
                        }))) {
            ManagedChannel channel = InProcessChannelBuilder.forName(server).build();
            try {
                // A RuntimeException from the model's run, explained and predicted.
                StatusRuntimeException explained = failure(() -> ExplainServiceGrpc.newBlockingStub(channel)
                        .explain(ExplainRequest.newBuilder().setModel("throws").addInputs(floats(1, 1, 2))
                                .setBackground(floats(1, 0, 0))
                                .setKernelShap(KernelShapParams.newBuilder().setNsamples(8)).build()));
                assertLogged(BatchScheduler.class, idOf(explained, "the model failed "), thrown);
                StatusRuntimeException predicted = failure(() -> ModelServiceGrpc.newBlockingStub(channel)
                        .predict(PredictRequest.newBuilder().setModel("throws").addInputs(floats(1, 1, 2)).build()));
                String id = idOf(predicted, "the model failed ");
                assertLogged(BatchScheduler.class, id, thrown);
                assertFalse(id.equals(idOf(explained, "the model failed ")), "each failure has its own id");

                // An Error fails the whole batch the same way, and the worker carries on.
                for (int i = 0; i < 2; i++) {
                    StatusRuntimeException error = failure(() -> ModelServiceGrpc.newBlockingStub(channel)
                            .predict(PredictRequest.newBuilder().setModel("overflows").addInputs(floats(1, 1, 2))
                                    .build()));
                    assertLogged(BatchScheduler.class, idOf(error, "the model failed "), overflow);
                }
            } finally {
                channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The logger's one ERROR record naming the id carries this very failure. */
    private void assertLogged(Class<?> logger, String id, Throwable failure) {
        assertSame(failure, log.logged(logger, id).getThrown());
    }
}
