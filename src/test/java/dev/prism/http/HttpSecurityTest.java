package dev.prism.http;

import static dev.prism.http.HttpTesting.object;
import static dev.prism.http.HttpTesting.reason;
import static dev.prism.http.HttpTesting.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.server.PrismServer;
import dev.prism.server.RequestLimits;
import dev.prism.server.ServerOptions;
import dev.prism.server.security.SecurityOptions;
import dev.prism.testing.TestCertificates;
import dev.prism.testing.TestCertificates.Issued;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokens, the body limit, HTTPS and client certificates on the HTTP/JSON port. */
class HttpSecurityTest {
    private static final String IRIS_TOKEN = "iris-only-5c1e8a7b93f04d26";
    private static final int MAX_MESSAGE_BYTES = 2048;

    @TempDir
    static Path dir;
    private static Issued ca;
    private static Issued client;
    private static PrismServer guarded;
    private static PrismServer tls;
    private static PrismServer mutual;

    @BeforeAll
    static void start() throws IOException {
        Path repo = HttpTesting.repository(dir, "iris", "diabetes");
        Path tokens = Files.writeString(dir.resolve("tokens"), IRIS_TOKEN + " iris\n");
        ServerOptions options = ServerOptions.defaults(repo).withPorts(0, -1);
        RequestLimits d = RequestLimits.DEFAULTS;
        guarded = PrismServer.start(options.withLimits(new RequestLimits(MAX_MESSAGE_BYTES, d.maxInstances(),
                        d.maxFeatures(), d.maxBackgroundRows(), d.maxSamples(), d.maxEvaluations())),
                SecurityOptions.NONE.withTokensFile(tokens).withHttp("127.0.0.1", 0));
        ca = TestCertificates.authority(dir, "http-test-ca");
        Issued server = TestCertificates.server(dir, ca);
        client = TestCertificates.client(dir, ca, "client");
        tls = PrismServer.start(options, new SecurityOptions(server.certFile(), server.keyFile(), null, null, null,
                null, null, -1, "127.0.0.1", 0));
        mutual = PrismServer.start(options, new SecurityOptions(server.certFile(), server.keyFile(), ca.certFile(),
                null, null, null, null, -1, "127.0.0.1", 0));
    }

    @AfterAll
    static void stop() {
        guarded.close();
        tls.close();
        mutual.close();
    }

    @Test
    void theBearerTokenIsTheCallsToken() throws Exception {
        HttpTesting.Client http = new HttpTesting.Client(guarded.httpPort());
        HttpResponse<String> none = http.get("/prism/v1/models/iris");
        assertEquals(401, none.statusCode(), none.body());
        assertEquals("UNAUTHENTICATED", reason(status(none.body())));
        HttpResponse<String> wrong = http.get("/prism/v1/models/iris", "Authorization", "Bearer not-a-token");
        assertEquals(401, wrong.statusCode());

        HttpResponse<String> iris = http.get("/prism/v1/models/iris", "Authorization", "Bearer " + IRIS_TOKEN);
        assertEquals(200, iris.statusCode(), iris.body());
        HttpResponse<String> diabetes = http.get("/prism/v1/models/diabetes", "Authorization", "Bearer " + IRIS_TOKEN);
        assertEquals(403, diabetes.statusCode(), diabetes.body());
        assertEquals("PERMISSION_DENIED", reason(status(diabetes.body())));
        HttpResponse<String> v1 = http.post("/v1/models/diabetes:predict", "{\"instances\": [[1]]}",
                "Authorization", "Bearer " + IRIS_TOKEN);
        assertEquals(403, v1.statusCode());
        assertEquals("PERMISSION_DENIED", reason(status(object(v1.body()).get("status").toString())));
        HttpResponse<String> ready = http.get("/v1/models/iris", "Authorization", "Bearer " + IRIS_TOKEN);
        assertEquals(200, ready.statusCode());
    }

    @Test
    void aBodyOverTheMessageLimitIs413() throws Exception {
        HttpTesting.Client http = new HttpTesting.Client(guarded.httpPort());
        String big = "{\"model\": \"iris\", \"inputs\": [{\"shape\": [1, 4], \"doubleData\": [1, 2, 3, 4]}], \"x\": \""
                + "a".repeat(MAX_MESSAGE_BYTES) + "\"}";
        HttpResponse<String> sized = http.post("/prism/v1/predict", big, "Authorization", "Bearer " + IRIS_TOKEN);
        assertEquals(413, sized.statusCode(), sized.body());
        assertTrue(object(sized.body()).has("error"), sized.body());

        // Without a Content-Length (chunked), the limit stops the reading.
        HttpResponse<String> chunked = http.http().send(HttpRequest.newBuilder(URI.create(http.base()
                        + "/prism/v1/predict")).header("Authorization", "Bearer " + IRIS_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(413, chunked.statusCode(), chunked.body());
    }

    private static HttpClient https(boolean withClientCertificate) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (withClientCertificate) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("client", client.keys().getPrivate(), new char[0],
                    new X509Certificate[] {client.certificate()});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
        }
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
    }

    @Test
    void withTlsTheHttpPortIsHttpsWithTheSameCertificate() throws Exception {
        HttpTesting.Client https = new HttpTesting.Client(https(false), "https://127.0.0.1:" + tls.httpPort());
        HttpResponse<String> live = https.get("/v2/health/live");
        assertEquals(200, live.statusCode());
        assertEquals(object("{\"live\": true}"), object(live.body()));
        HttpTesting.Client plain = new HttpTesting.Client(tls.httpPort());
        assertThrows(IOException.class, () -> plain.get("/v2/health/live"));
    }

    @Test
    void aClientCaRequiresClientCertificates() throws Exception {
        HttpTesting.Client withCertificate =
                new HttpTesting.Client(https(true), "https://127.0.0.1:" + mutual.httpPort());
        assertEquals(200, withCertificate.get("/prism/v1/models/iris").statusCode());
        HttpTesting.Client without = new HttpTesting.Client(https(false), "https://127.0.0.1:" + mutual.httpPort());
        assertThrows(IOException.class, () -> without.get("/prism/v1/models/iris"));
    }
}
