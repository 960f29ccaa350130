package dev.prism.server.security;

import java.nio.file.Path;

/**
 * Who may reach the server and what they may use. Every field is optional; {@link #NONE} serves
 * plaintext gRPC without authentication and metrics on every interface.
 *
 * @param tlsCert     PEM certificate chain of the gRPC port; with {@code tlsKey}, turns TLS on
 * @param tlsKey      PEM PKCS#8 private key of {@code tlsCert}
 * @param tlsClientCa PEM CA certificates; when set, clients must present a certificate they signed (mutual TLS)
 * @param tokensFile  bearer tokens with their model allow lists (see {@link AccessTokens}); null = no authentication
 * @param metricsHost address the metrics endpoint binds to; null = every interface
 */
public record SecurityOptions(Path tlsCert, Path tlsKey, Path tlsClientCa, Path tokensFile, String metricsHost) {
    public static final SecurityOptions NONE = new SecurityOptions(null, null, null, null, null);

    public SecurityOptions {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("TLS needs both a certificate (--tls-cert) and its key (--tls-key)");
        }
        if (tlsClientCa != null && tlsCert == null) {
            throw new IllegalArgumentException("--tls-client-ca needs TLS: give --tls-cert and --tls-key too");
        }
    }

    public boolean tls() {
        return tlsCert != null;
    }

    public SecurityOptions withTokensFile(Path file) {
        return new SecurityOptions(tlsCert, tlsKey, tlsClientCa, file, metricsHost);
    }

    public SecurityOptions withMetricsHost(String host) {
        return new SecurityOptions(tlsCert, tlsKey, tlsClientCa, tokensFile, host);
    }
}
