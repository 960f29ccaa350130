package dev.prism.server.security;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Who may reach the server and what they may use. Every field is optional; {@link #NONE} serves
 * plaintext gRPC without authentication on every interface, reflection open, and metrics on every
 * interface.
 *
 * @param tlsCert     PEM certificate chain of the gRPC port; with {@code tlsKey}, turns TLS on
 * @param tlsKey      PEM PKCS#8 private key of {@code tlsCert}
 * @param tlsClientCa PEM CA certificates; when set, clients must present a certificate they signed (mutual TLS)
 * @param tokensFile  bearer tokens with their model allow lists (see {@link AccessTokens}); null = no authentication
 * @param host        address the gRPC port binds to; null = every interface
 * @param metricsHost address the metrics endpoint binds to; null = every interface
 * @param reflection  who may use server reflection; null = {@link Reflection#TOKENS} with a tokens file,
 *                    {@link Reflection#OPEN} without
 * @param healthPort  a second port, plaintext and without tokens, that serves only grpc.health.v1 (for
 *                    probes that cannot speak TLS), bound to {@code host}; 0 = any free port, -1 = none
 * @param httpHost    address the HTTP/JSON port binds to; null = every interface
 * @param httpPort    the HTTP/JSON port (HTTPS with the gRPC port's certificate and client CA, the same
 *                    tokens); 0 = any free port, -1 = none
 */
public record SecurityOptions(Path tlsCert, Path tlsKey, Path tlsClientCa, Path tokensFile, String host,
                              String metricsHost, Reflection reflection, int healthPort, String httpHost,
                              int httpPort) {
    public static final SecurityOptions NONE =
            new SecurityOptions(null, null, null, null, null, null, null, -1, null, -1);

    /** Who may use server reflection (both grpc.reflection.v1 and v1alpha). */
    public enum Reflection {
        /** Every caller, token or not. */
        OPEN,
        /** Callers with a token of the tokens file, whichever models it allows. */
        TOKENS,
        /** Nobody: the reflection services are not served. */
        OFF;

        /** The value of {@code --reflection}: open, tokens or off. */
        public static Reflection parse(String value) {
            for (Reflection r : values()) {
                if (r.name().toLowerCase(Locale.ROOT).equals(value)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("--reflection must be open, tokens or off, not '" + value + "'");
        }
    }

    public SecurityOptions {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("TLS needs both a certificate (--tls-cert) and its key (--tls-key)");
        }
        if (tlsClientCa != null && tlsCert == null) {
            throw new IllegalArgumentException("--tls-client-ca needs TLS: give --tls-cert and --tls-key too");
        }
        if (reflection == Reflection.TOKENS && tokensFile == null) {
            throw new IllegalArgumentException("--reflection tokens needs --tokens-file");
        }
        if (healthPort < -1 || healthPort > 65535) {
            throw new IllegalArgumentException("--health-port must be a port, 0 for any, or -1 for none; not "
                    + healthPort);
        }
        if (httpPort < -1 || httpPort > 65535) {
            throw new IllegalArgumentException("--http-port must be a port, 0 for any, or -1 for none; not "
                    + httpPort);
        }
    }

    public boolean tls() {
        return tlsCert != null;
    }

    /** Who may use reflection, the default resolved: tokens when there is a tokens file, open otherwise. */
    public Reflection reflectionAccess() {
        return reflection != null ? reflection : tokensFile != null ? Reflection.TOKENS : Reflection.OPEN;
    }

    public SecurityOptions withTokensFile(Path file) {
        return new SecurityOptions(tlsCert, tlsKey, tlsClientCa, file, host, metricsHost, reflection, healthPort,
                httpHost, httpPort);
    }

    public SecurityOptions withHost(String address) {
        return new SecurityOptions(tlsCert, tlsKey, tlsClientCa, tokensFile, address, metricsHost, reflection,
                healthPort, httpHost, httpPort);
    }

    public SecurityOptions withMetricsHost(String address) {
        return new SecurityOptions(tlsCert, tlsKey, tlsClientCa, tokensFile, host, address, reflection, healthPort,
                httpHost, httpPort);
    }

    public SecurityOptions withReflection(Reflection access) {
        return new SecurityOptions(tlsCert, tlsKey, tlsClientCa, tokensFile, host, metricsHost, access, healthPort,
                httpHost, httpPort);
    }

    public SecurityOptions withHealthPort(int port) {
        return new SecurityOptions(tlsCert, tlsKey, tlsClientCa, tokensFile, host, metricsHost, reflection, port, httpHost,
                httpPort);
    }

    /** Serves HTTP/JSON on that port (0 = any free one) and address (null = every interface). */
    public SecurityOptions withHttp(String address, int port) {
        return new SecurityOptions(tlsCert, tlsKey, tlsClientCa, tokensFile, host, metricsHost, reflection,
                healthPort, address, port);
    }
}
