package dev.prism.http;

import static dev.prism.http.HttpTesting.reason;
import static dev.prism.http.HttpTesting.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.prism.server.PrismServer;
import dev.prism.server.ServerOptions;
import dev.prism.server.security.SecurityOptions;
import io.micrometer.core.instrument.Gauge;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An explanation refused for want of a thread is 429 with the RetryInfo's delay as Retry-After. */
class HttpRetryAfterTest {
    @TempDir
    static Path dir;

    @Test
    void aFullServerIs429WithRetryAfter() throws Exception {
        try (PrismServer prism = PrismServer.start(ServerOptions.defaults(HttpTesting.repository(dir, "iris",
                        "breast_cancer")).withPorts(0, -1).withExplainPool(1, 0),
                SecurityOptions.NONE.withHttp("127.0.0.1", 0))) {
            HttpTesting.Client http = new HttpTesting.Client(prism.httpPort());
            String rows;
            try (Stream<String> lines = Files.lines(Path.of("models", "breast_cancer", "background.csv"))) {
                rows = lines.skip(1).limit(4).map(l -> "[" + l + "]").collect(Collectors.joining(","));
            }
            CompletableFuture<HttpResponse<String>> slow = http.http().sendAsync(HttpRequest.newBuilder(
                            URI.create(http.base() + "/v1/models/breast_cancer:explain"))
                    .header(Exchange.TIMEOUT_HEADER, "2")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"instances\": [" + rows
                            + "], \"method\": \"kernel_shap\", \"parameters\": {\"nsamples\": 200000}}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (running(prism) < 1) {
                if (System.nanoTime() > deadline) {
                    fail("the slow explanation never ran");
                }
                Thread.sleep(5);
            }
            HttpResponse<String> refused = http.post("/prism/v1/explain", "{\"model\": \"iris\","
                    + " \"inputs\": [{\"shape\": [1, 4], \"doubleData\": [5.9, 3.0, 4.2, 1.5]}], \"exactShapley\": {}}");
            assertEquals(429, refused.statusCode(), refused.body());
            assertEquals("QUEUE_FULL", reason(status(refused.body())));
            assertEquals("1", refused.headers().firstValue("Retry-After").orElseThrow());
            assertEquals(504, slow.get().statusCode(), "the slow one ends at its deadline");
        }
    }

    private static double running(PrismServer prism) {
        Gauge g = prism.registry().find("prism.explain.running").gauge();
        return g == null ? 0 : g.value();
    }
}
