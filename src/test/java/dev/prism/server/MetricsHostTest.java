package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.server.security.SecurityOptions;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --metrics-host binds the metrics endpoint to the address asked for, and only there. */
class MetricsHostTest {
    @TempDir
    Path dir;

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

            Optional<InetAddress> other = nonLoopbackAddress();
            if (other.isPresent()) {
                assertThrows(ConnectException.class, () -> {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress(other.get(), bound.getPort()), 2000);
                    }
                }, "metrics answered on " + other.get());
            }
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
