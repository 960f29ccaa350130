package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ListModelsRequest;
import dev.prism.api.v1.ModelInfo;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.server.security.SecurityOptions;
import dev.prism.testing.TestCertificates;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import dev.prism.testing.TestCertificates.Issued;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS and mutual TLS on a real loopback port, with certificates made for the test. */
class TlsServerTest {
    @TempDir
    static Path dir;
    private static Path repo;
    private static Issued ca;
    private static Issued server;
    private static Issued client;
    private static Issued strangerCa;
    private static Issued stranger;
    private static PrismServer tls;
    private static PrismServer mutual;

    @BeforeAll
    static void start() throws IOException {
        repo = ServerTestSupport.repository(dir, "iris");
        ca = TestCertificates.authority(dir, "prism-test-ca");
        server = TestCertificates.server(dir, ca);
        client = TestCertificates.client(dir, ca, "client");
        strangerCa = TestCertificates.authority(dir, "stranger-ca");
        stranger = TestCertificates.client(dir, strangerCa, "stranger");
        ServerOptions options = ServerOptions.defaults(repo).withPorts(0, -1);
        tls = PrismServer.start(options,
                new SecurityOptions(server.certFile(), server.keyFile(), null, null, null, null, null, -1, null, -1));
        mutual = PrismServer.start(options,
                new SecurityOptions(server.certFile(), server.keyFile(), ca.certFile(), null, null, null, null, -1, null,
                        -1)
                        .withHealthPort(0));
    }

    @AfterAll
    static void stop() {
        tls.close();
        mutual.close();
    }

    @Test
    void aHealthPortAnswersProbesInPlaintextAndServesNothingElse() throws Exception {
        assertEquals(-1, tls.healthPort());
        ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", mutual.healthPort(),
                InsecureChannelCredentials.create()).build();
        try {
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance())
                    .getStatus());
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder().setService(ModelServiceGrpc.SERVICE_NAME).build())
                    .getStatus());
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ModelServiceGrpc
                    .newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .listModels(ListModelsRequest.getDefaultInstance()));
            assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        // The main port still wants a client certificate.
        assertThrows(StatusRuntimeException.class, () -> listModels(mutual, trusting(ca)));
    }

    private static List<String> listModels(PrismServer prism, ChannelCredentials credentials) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", prism.port(), credentials).build();
        try {
            return ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .listModels(ListModelsRequest.getDefaultInstance()).getModelsList().stream()
                    .map(ModelInfo::getName).toList();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static ChannelCredentials trusting(Issued authority) throws IOException {
        return TlsChannelCredentials.newBuilder().trustManager(authority.certFile().toFile()).build();
    }

    private static ChannelCredentials presenting(Issued cert) throws IOException {
        return TlsChannelCredentials.newBuilder().trustManager(ca.certFile().toFile())
                .keyManager(cert.certFile().toFile(), cert.keyFile().toFile()).build();
    }

    private static Status.Code refused(PrismServer prism, ChannelCredentials credentials) {
        return assertThrows(StatusRuntimeException.class, () -> listModels(prism, credentials)).getStatus().getCode();
    }

    @Test
    void aClientTrustingTheCaIsServed() throws Exception {
        assertEquals(List.of("iris"), listModels(tls, trusting(ca)));
    }

    @Test
    void aPlaintextClientIsRefusedAndTheServerKeepsServing() throws Exception {
        assertEquals(Status.Code.UNAVAILABLE, refused(tls, InsecureChannelCredentials.create()));
        assertEquals(List.of("iris"), listModels(tls, trusting(ca)));
    }

    @Test
    void aClientThatDoesNotTrustTheServersCaRefusesIt() throws Exception {
        assertEquals(Status.Code.UNAVAILABLE, refused(tls, trusting(strangerCa)));
        assertEquals(List.of("iris"), listModels(tls, trusting(ca)));
    }

    @Test
    void mutualTlsServesAClientCertificateSignedByTheCa() throws Exception {
        assertEquals(List.of("iris"), listModels(mutual, presenting(client)));
    }

    @Test
    void mutualTlsRefusesAClientWithoutACertificate() throws Exception {
        assertEquals(Status.Code.UNAVAILABLE, refused(mutual, trusting(ca)));
        assertEquals(List.of("iris"), listModels(mutual, presenting(client)));
    }

    @Test
    void mutualTlsRefusesACertificateFromAnotherCa() throws Exception {
        assertEquals(Status.Code.UNAVAILABLE, refused(mutual, presenting(stranger)));
        assertEquals(List.of("iris"), listModels(mutual, presenting(client)));
    }

    private static String startupError(SecurityOptions security) {
        ServerOptions options = ServerOptions.defaults(repo).withPorts(0, -1);
        return assertThrows(IllegalArgumentException.class, () -> PrismServer.start(options, security).close())
                .getMessage();
    }

    @Test
    void aKeyOfAnotherCertificateStopsTheStart() {
        String message = startupError(
                new SecurityOptions(server.certFile(), client.keyFile(), null, null, null, null, null, -1, null, -1));
        assertTrue(message.contains("is not the key of --tls-cert"), message);
        assertTrue(message.contains("CN=localhost"), message);
    }

    @Test
    void unreadableOrForeignKeyMaterialStopsTheStart() throws IOException {
        Path missing = dir.resolve("missing.crt");
        String noCert = startupError(new SecurityOptions(missing, server.keyFile(), null, null, null, null, null, -1,
                null, -1));
        assertTrue(noCert.startsWith("cannot read --tls-cert " + missing), noCert);

        Path traditional = Files.writeString(dir.resolve("traditional.key"),
                "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n");
        String noPkcs8 = startupError(
                new SecurityOptions(server.certFile(), traditional, null, null, null, null, null, -1, null, -1));
        assertTrue(noPkcs8.contains("holds no unencrypted PKCS#8 key"), noPkcs8);

        String keyAsCa = startupError(new SecurityOptions(server.certFile(), server.keyFile(), server.keyFile(),
                null, null, null, null, -1, null, -1));
        assertTrue(keyAsCa.startsWith("--tls-client-ca " + server.keyFile()), keyAsCa);
    }

    @Test
    void halfAKeyPairOrAClientCaWithoutTlsIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new SecurityOptions(server.certFile(), null, null, null, null, null, null, -1, null, -1));
        assertThrows(IllegalArgumentException.class,
                () -> new SecurityOptions(null, null, ca.certFile(), null, null, null, null, -1, null, -1));
    }
}
