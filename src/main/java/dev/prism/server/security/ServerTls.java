package dev.prism.server.security;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gRPC port's TLS credentials from PEM files. The files are read and checked here, before the
 * port opens, so that an unreadable file, a key in another format or a key that does not belong to
 * the certificate stops the start-up with a message naming the file, rather than failing each
 * handshake later.
 */
public final class ServerTls {
    private static final Pattern PKCS8 =
            Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    private static final byte[] PROBE = "prism key check".getBytes(StandardCharsets.US_ASCII);

    private ServerTls() {}

    public static ServerCredentials credentials(SecurityOptions options) {
        List<X509Certificate> chain = certificates(options.tlsCert(), "--tls-cert");
        PrivateKey key = privateKey(options.tlsKey());
        requireMatch(key, chain.get(0), options);
        TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder();
        try {
            tls.keyManager(options.tlsCert().toFile(), options.tlsKey().toFile());
            if (options.tlsClientCa() != null) {
                certificates(options.tlsClientCa(), "--tls-client-ca");
                tls.trustManager(options.tlsClientCa().toFile())
                        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the TLS files: " + e.getMessage(), e);
        }
        return tls.build();
    }

    /**
     * The same certificate, key and client CA as key stores in memory, for a TLS server that takes
     * Java key stores rather than PEM files (the HTTP/JSON port). The key entry is protected by
     * {@link KeyStores#password()}, which never leaves the process.
     */
    public static KeyStores keyStores(SecurityOptions options) {
        List<X509Certificate> chain = certificates(options.tlsCert(), "--tls-cert");
        PrivateKey key = privateKey(options.tlsKey());
        requireMatch(key, chain.get(0), options);
        char[] password = UUID.randomUUID().toString().toCharArray();
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("prism", key, password, chain.toArray(new X509Certificate[0]));
            KeyStore clients = null;
            if (options.tlsClientCa() != null) {
                clients = KeyStore.getInstance("PKCS12");
                clients.load(null, null);
                int i = 0;
                for (X509Certificate ca : certificates(options.tlsClientCa(), "--tls-client-ca")) {
                    clients.setCertificateEntry("client-ca-" + i++, ca);
                }
            }
            return new KeyStores(keys, password, clients);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot hold the TLS key in a key store: " + e.getMessage(), e);
        }
    }

    /**
     * @param keys           the private key under the alias "prism" with its certificate chain
     * @param password       the key entry's password
     * @param trustedClients the client CA certificates; null when clients need none
     */
    public record KeyStores(KeyStore keys, char[] password, KeyStore trustedClients) {}

    /** The PEM certificates of a file, at least one. */
    static List<X509Certificate> certificates(Path file, String flag) {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast).toList();
            if (certs.isEmpty()) {
                throw new IllegalArgumentException(flag + " " + file + " holds no PEM certificate");
            }
            return certs;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + flag + " " + file + ": " + e, e);
        } catch (CertificateException e) {
            throw new IllegalArgumentException(flag + " " + file + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(Path file) {
        String pem;
        try {
            pem = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read --tls-key " + file + ": " + e, e);
        }
        Matcher m = PKCS8.matcher(pem);
        if (!m.find()) {
            throw new IllegalArgumentException("--tls-key " + file + " holds no unencrypted PKCS#8 key "
                    + "('BEGIN PRIVATE KEY'); convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(m.group(1)));
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // not this algorithm; try the next
            }
        }
        throw new IllegalArgumentException("--tls-key " + file + " is not an RSA, EC or EdDSA private key");
    }

    /** Signs with the key and verifies with the certificate: the one check that they are a pair. */
    private static void requireMatch(PrivateKey key, X509Certificate cert, SecurityOptions options) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        boolean pair;
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(PROBE);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(PROBE);
            pair = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            pair = false;
        }
        if (!pair) {
            throw new IllegalArgumentException("--tls-key " + options.tlsKey() + " is not the key of --tls-cert "
                    + options.tlsCert() + " (" + cert.getSubjectX500Principal() + ")");
        }
    }
}
