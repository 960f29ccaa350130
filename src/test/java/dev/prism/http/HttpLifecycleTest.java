package dev.prism.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.prism.server.PrismServer;
import dev.prism.server.ServerOptions;
import dev.prism.server.security.SecurityOptions;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP port opens with the server, only when asked for, and goes with it. */
class HttpLifecycleTest {
    @TempDir
    Path dir;

    @Test
    void theHttpPortIsOffUnlessAskedForAndClosesWithTheServer() throws Exception {
        ServerOptions options = ServerOptions.defaults(HttpTesting.repository(dir, "iris")).withPorts(0, -1);
        try (PrismServer plain = PrismServer.start(options)) {
            assertEquals(-1, plain.httpPort());
        }
        PrismServer prism = PrismServer.start(options, SecurityOptions.NONE.withHttp("127.0.0.1", 0));
        HttpTesting.Client http = new HttpTesting.Client(prism.httpPort());
        assertEquals(200, http.get("/v2/health/ready").statusCode());
        prism.close();
        assertThrows(IOException.class, () -> http.get("/v2/health/ready"));
    }

    @Test
    void anHttpHostThatDoesNotResolveStopsTheStart() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PrismServer.start(
                ServerOptions.defaults(HttpTesting.repository(dir, "iris")).withPorts(0, -1),
                SecurityOptions.NONE.withHttp("no-such-host.invalid", 0)));
        assertEquals("--http-host 'no-such-host.invalid' does not resolve to an address", e.getMessage());
    }
}
