package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ListModelsRequest;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.server.security.SecurityOptions;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A maximum connection age makes the server ask each client to reconnect (GOAWAY) once its
 * connection is that old, so clients balancing over several replicas find the new ones; calls go
 * on over a fresh connection.
 */
class ConnectionAgeTest {

    /** How the channel stands a while after its first call, on a server with this connection age. */
    private static ConnectivityState stateAfterAWhile(Path repo, Duration age) throws Exception {
        ServerOptions options = ServerOptions.defaults(repo).withPorts(0, -1)
                .withAdmission(new ServerOptions.Admission(0, Duration.ofSeconds(30), 128, age, Duration.ZERO));
        try (PrismServer server = PrismServer.start(options, SecurityOptions.NONE)) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                ModelServiceGrpc.ModelServiceBlockingStub models = ModelServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(30, TimeUnit.SECONDS);
                assertEquals(1, models.listModels(ListModelsRequest.getDefaultInstance()).getModelsCount());
                assertEquals(ConnectivityState.READY, channel.getState(false));
                // Wait past the age (and the server's jitter of up to a tenth of it).
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_500);
                while (System.nanoTime() < end && channel.getState(false) == ConnectivityState.READY) {
                    Thread.sleep(50);
                }
                ConnectivityState after = channel.getState(false);
                // Whatever happened to the connection, the next call is answered.
                assertEquals(1, ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .listModels(ListModelsRequest.getDefaultInstance()).getModelsCount());
                return after;
            } finally {
                channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void anOldConnectionIsClosedByTheServerAndTheClientReconnects(@TempDir Path dir) throws Exception {
        Path repo = ServerTestSupport.repository(dir, "iris");
        ConnectivityState aged = stateAfterAWhile(repo, Duration.ofSeconds(1));
        assertTrue(aged != ConnectivityState.READY, "the connection was not closed: " + aged);
        assertEquals(ConnectivityState.READY, stateAfterAWhile(repo, Duration.ZERO));
    }
}
