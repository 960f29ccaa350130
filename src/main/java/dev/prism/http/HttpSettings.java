package dev.prism.http;

import java.security.KeyStore;

/**
 * Where and how the HTTP/JSON port listens.
 *
 * @param host         address to bind; null = every interface
 * @param port         port; 0 picks a free one
 * @param maxBodyBytes the largest request body; a larger one is refused with 413
 * @param tls          HTTPS key material; null serves plain HTTP
 */
public record HttpSettings(String host, int port, long maxBodyBytes, Tls tls) {
    /**
     * @param keys           the server's private key and certificate chain
     * @param keyPassword    the password of the key entry
     * @param trustedClients CA certificates a client certificate must be signed by; null = no
     *                       client certificate asked for
     */
    public record Tls(KeyStore keys, char[] keyPassword, KeyStore trustedClients) {}
}
