package dev.prism.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificates made when a test runs: a CA, and servers and clients it signs, written as PEM files. */
public final class TestCertificates {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** A certificate with its key, as PEM files. */
    public record Issued(X509Certificate certificate, KeyPair keys, Path certFile, Path keyFile) {}

    private TestCertificates() {}

    /** A self-signed CA. */
    public static Issued authority(Path dir, String name) throws IOException {
        KeyPair keys = keyPair();
        X500Name subject = new X500Name("CN=" + name);
        X509v3CertificateBuilder cert = builder(subject, subject, keys);
        cert.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        cert.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return write(dir, name, sign(cert, keys), keys);
    }

    /** A server certificate for localhost and 127.0.0.1, signed by the CA. */
    public static Issued server(Path dir, Issued ca) throws IOException {
        KeyPair keys = keyPair();
        X509v3CertificateBuilder cert = builder(subject(ca), new X500Name("CN=localhost"), keys);
        cert.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        return write(dir, "server", sign(cert, ca.keys()), keys);
    }

    /** A client certificate signed by the CA. */
    public static Issued client(Path dir, Issued ca, String name) throws IOException {
        KeyPair keys = keyPair();
        return write(dir, name, sign(builder(subject(ca), new X500Name("CN=" + name), keys), ca.keys()), keys);
    }

    private static X500Name subject(Issued ca) {
        return new X500Name(ca.certificate().getSubjectX500Principal().getName());
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject,
                keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder cert, KeyPair issuer) {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    cert.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
        } catch (OperatorCreationException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair keyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The certificate as PEM and the key as unencrypted PKCS#8 PEM, the format the server reads. */
    private static Issued write(Path dir, String name, X509Certificate cert, KeyPair keys) throws IOException {
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(cert);
        }
        Path certFile = Files.writeString(dir.resolve(name + ".crt"), pem.toString());
        Path keyFile = Files.writeString(dir.resolve(name + ".key"), "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        return new Issued(cert, keys, certFile, keyFile);
    }
}
