package dev.prism.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.server.PrismServer;
import dev.prism.server.ServerOptions;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code prism health} against a real Prism on a free port, a server that is not serving, and no server. */
class HealthCommandTest {
    @TempDir
    static Path repository;
    private static PrismServer prism;

    @BeforeAll
    static void start() throws IOException {
        Path iris = Files.createDirectories(repository.resolve("iris"));
        try (Stream<Path> files = Files.list(Path.of("models", "iris"))) {
            for (Path f : files.toList()) {
                Files.copy(f, iris.resolve(f.getFileName()));
            }
        }
        prism = PrismServer.start(ServerOptions.defaults(repository).withPorts(0, -1));
    }

    @AfterAll
    static void stop() {
        prism.close();
    }

    private static CliRun health(String... args) {
        return CliRun.of(Stream.concat(Stream.of("health"), Stream.of(args)).toArray(String[]::new));
    }

    @Test
    void aServingPrismExitsZero() {
        for (String service : new String[] {"", "prism.v1.ExplainService", "prism.v1.ModelService"}) {
            CliRun r = health("--target", "127.0.0.1:" + prism.port(), "--service", service);
            assertEquals(0, r.exit(), () -> "service '" + service + "': " + r.err());
            assertEquals("SERVING", r.out().strip());
        }
        CliRun byName = health("--target", "localhost:" + prism.port());
        assertEquals(0, byName.exit(), byName.err());
    }

    @Test
    void aServiceTheServerDoesNotKnowExitsOne() {
        CliRun r = health("--target", "127.0.0.1:" + prism.port(), "--service", "prism.v1.NoSuchService");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("NOT_FOUND"), r.err());
    }

    @Test
    void aServerThatIsNotServingExitsOneAndSaysSo() throws Exception {
        HealthStatusManager health = new HealthStatusManager();
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(health.getHealthService()).build().start();
        try {
            health.setStatus("", ServingStatus.NOT_SERVING);
            CliRun r = health("--target", "127.0.0.1:" + server.getPort());
            assertEquals(1, r.exit(), r.err());
            assertEquals("NOT_SERVING", r.out().strip());
        } finally {
            server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aPortNobodyListensOnExitsTwo() throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        CliRun r = health("--target", "127.0.0.1:" + port, "--timeout", "20");
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("cannot connect to 127.0.0.1:" + port), r.err());
        assertEquals("", r.out());
    }

    @Test
    void aListenerThatNeverAnswersExitsTwoAtTheTimeout() throws IOException {
        // TCP connects, but no HTTP/2 settings ever come back, so the channel never becomes ready.
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            long start = System.nanoTime();
            CliRun r = health("--target", "127.0.0.1:" + silent.getLocalPort(), "--timeout", "1.5");
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(2, r.exit(), r.out() + r.err());
            assertTrue(r.err().contains("within 1.5 s"), r.err());
            assertTrue(seconds >= 1.5 && seconds < 10, "took " + seconds + " s");
        }
    }

    @Test
    void aTimeoutThatIsNotPositiveIsAUsageError() {
        CliRun r = health("--target", "127.0.0.1:" + prism.port(), "--timeout", "0");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--timeout must be a positive number of seconds"), r.err());
    }
}
