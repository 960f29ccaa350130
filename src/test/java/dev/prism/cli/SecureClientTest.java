package dev.prism.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.server.PrismServer;
import dev.prism.server.ServerOptions;
import dev.prism.server.security.SecurityOptions;
import dev.prism.testing.TestCertificates.Issued;
import dev.prism.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code prism health} and {@code prism explain} against a server with mutual TLS and tokens. */
class SecureClientTest {
    private static final String TOKEN = "cli-token-5e2b7d90c4a1f386";

    @TempDir
    static Path dir;
    private static PrismServer prism;
    private static String[] tls;

    @BeforeAll
    static void start() throws IOException {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        Path iris = Files.createDirectories(repo.resolve("iris"));
        try (Stream<Path> files = Files.list(Path.of("models", "iris"))) {
            for (Path f : files.toList()) {
                Files.copy(f, iris.resolve(f.getFileName()));
            }
        }
        Issued ca = TestCertificates.authority(dir, "cli-ca");
        Issued server = TestCertificates.server(dir, ca);
        Issued client = TestCertificates.client(dir, ca, "cli-client");
        Path tokens = Files.writeString(dir.resolve("tokens"), TOKEN + " iris\n");
        prism = PrismServer.start(ServerOptions.defaults(repo).withPorts(0, -1),
                new SecurityOptions(server.certFile(), server.keyFile(), ca.certFile(), tokens, null, null, null, -1, null,
                        -1));
        tls = new String[] {"--target", "localhost:" + prism.port(), "--tls-ca", ca.certFile().toString(),
                "--tls-cert", client.certFile().toString(), "--tls-key", client.keyFile().toString()};
    }

    @AfterAll
    static void stop() {
        prism.close();
    }

    private static CliRun prism(String command, String[] common, String... args) {
        return CliRun.of(Stream.of(new String[] {command}, common, args).flatMap(Stream::of).toArray(String[]::new));
    }

    @Test
    void healthAnswersOverMutualTlsWithoutAToken() {
        CliRun r = prism("health", tls);
        assertEquals(0, r.exit(), r.err());
        assertEquals("SERVING", r.out().strip());
    }

    @Test
    void healthWithoutTlsCannotConnect() {
        CliRun r = prism("health", new String[] {"--target", "localhost:" + prism.port()});
        assertEquals(HealthCommand.UNREACHABLE, r.exit(), r.err());
    }

    @Test
    void explainSendsTheToken() {
        CliRun r = prism("explain", tls, "--model", "iris", "--instance", "5.1,3.5,1.4,0.2", "--token", TOKEN);
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("iris / tree_shap / output setosa"), r.out());
    }

    @Test
    void explainWithoutATokenIsUnauthenticated() {
        CliRun r = prism("explain", tls, "--model", "iris", "--instance", "5.1,3.5,1.4,0.2");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("UNAUTHENTICATED") && r.err().contains("reason: UNAUTHENTICATED"), r.err());
    }

    @Test
    void halfAClientKeyPairIsAUsageError() {
        CliRun r = prism("health", new String[] {"--target", "localhost:" + prism.port(), "--tls-cert",
                dir.resolve("cli-client.crt").toString()});
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--tls-cert and --tls-key go together"), r.err());
    }
}
