package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.server.security.SecurityOptions;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --host and --metrics-host bind the gRPC port and the metrics endpoint to the address asked for, and only there. */
class BindAddressTest {
    @TempDir
    Path dir;

    @Test
    void grpcBoundToLoopbackAnswersThereAndNowhereElse() throws Exception {
        Path repo = ServerTestSupport.repository(dir, "iris");
        try (PrismServer prism = PrismServer.start(ServerOptions.defaults(repo).withPorts(0, -1),
                SecurityOptions.NONE.withHost("127.0.0.1"))) {
            InetSocketAddress bound = prism.address();
            assertEquals(InetAddress.getByName("127.0.0.1"), bound.getAddress());
            assertEquals(prism.port(), bound.getPort());

            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", bound.getPort()).usePlaintext()
                    .build();
            try {
                assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(30, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance())
                        .getStatus());
            } finally {
                channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
            assertRefusedElsewhere(bound.getPort());
        }
    }

    @Test
    void withoutAHostGrpcListensOnEveryInterface() throws Exception {
        Path repo = ServerTestSupport.repository(dir, "iris");
        try (PrismServer prism = PrismServer.start(ServerOptions.defaults(repo).withPorts(0, -1),
                SecurityOptions.NONE)) {
            assertTrue(prism.address().getAddress().isAnyLocalAddress(), prism.address().toString());
        }
    }

    @Test
    void aGrpcHostThatDoesNotResolveStopsTheStart() {
        Path repo = ServerTestSupport.repository(dir, "iris");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PrismServer.start(ServerOptions.defaults(repo).withPorts(0, -1),
                        SecurityOptions.NONE.withHost("no-such-host.invalid")).close());
        assertEquals("host 'no-such-host.invalid' does not resolve to an address", e.getMessage());
    }

    @Test
    void metricsBoundToLoopbackAnswerThereAndNowhereElse() throws Exception {
        Path repo = ServerTestSupport.repository(dir, "iris");
        try (PrismServer prism = PrismServer.start(ServerOptions.defaults(repo).withPorts(0, 0),
                SecurityOptions.NONE.withMetricsHost("127.0.0.1"))) {
            InetSocketAddress bound = prism.metricsAddress();
            assertEquals(InetAddress.getByName("127.0.0.1"), bound.getAddress());
            assertEquals(prism.metricsPort(), bound.getPort());

            HttpResponse<String> scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + bound.getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, scrape.statusCode());
            assertTrue(scrape.body().contains("jvm_memory_used_bytes"), "no JVM metrics in the scrape");

            assertRefusedElsewhere(bound.getPort());
        }
    }

    @Test
    void withoutAHostMetricsListenOnEveryInterface() throws Exception {
        Path repo = ServerTestSupport.repository(dir, "iris");
        try (PrismServer prism = PrismServer.start(ServerOptions.defaults(repo).withPorts(0, 0))) {
            assertTrue(prism.metricsAddress().getAddress().isAnyLocalAddress(), prism.metricsAddress().toString());
        }
    }

    @Test
    void aHostThatDoesNotResolveStopsTheStart() {
        Path repo = ServerTestSupport.repository(dir, "iris");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PrismServer.start(ServerOptions.defaults(repo).withPorts(0, 0),
                        SecurityOptions.NONE.withMetricsHost("no-such-host.invalid")).close());
        assertEquals("metrics host 'no-such-host.invalid' does not resolve to an address", e.getMessage());
    }

    /** A connection to the port on an address of this machine other than loopback is refused (if it has one). */
    private static void assertRefusedElsewhere(int port) throws IOException {
        Optional<InetAddress> other = nonLoopbackAddress();
        if (other.isPresent()) {
            assertThrows(ConnectException.class, () -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(other.get(), port), 2000);
                }
            }, "port " + port + " answered on " + other.get());
        }
    }

    /** An address of this machine other than loopback, where a loopback-only socket must not answer. */
    private static Optional<InetAddress> nonLoopbackAddress() throws IOException {
        return NetworkInterface.networkInterfaces().filter(n -> {
                    try {
                        return n.isUp() && !n.isLoopback();
                    } catch (IOException e) {
                        return false;
                    }
                })
                .flatMap(NetworkInterface::inetAddresses)
                .filter(a -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress())
                .findFirst();
    }
}
