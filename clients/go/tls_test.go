package prism_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	prism "prism.dev/prism/clients/go"
	"prism.dev/prism/clients/go/internal/testserver"
)

// issued is a certificate with its key, signed by parent (itself when nil).
type issued struct {
	cert *x509.Certificate
	der  []byte
	key  *ecdsa.PrivateKey
}

func issue(t *testing.T, name string, parent *issued, isCA bool, usage x509.ExtKeyUsage) *issued {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if isCA {
		template.IsCA = true
		template.BasicConstraintsValid = true
		template.KeyUsage |= x509.KeyUsageCertSign
	} else {
		template.ExtKeyUsage = []x509.ExtKeyUsage{usage}
		template.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		template.DNSNames = []string{"localhost"}
	}
	signer, signerKey := template, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, template, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &issued{cert: cert, der: der, key: key}
}

// writePEM writes the certificate and its PKCS#8 key (the form the server reads) and returns their paths.
func (c *issued) writePEM(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(c.key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestMutualTLS runs a server that requires client certificates and checks
// that WithTLS reaches it with one, and that it is refused without one or
// when the server's certificate is not trusted.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := issue(t, "prism test CA", nil, true, 0)
	server := issue(t, "prism server", ca, false, x509.ExtKeyUsageServerAuth)
	clientCert := issue(t, "prism client", ca, false, x509.ExtKeyUsageClientAuth)
	caFile, _ := ca.writePEM(t, dir, "ca")
	serverCert, serverKey := server.writePEM(t, dir, "server")

	s, err := testserver.Start("--tls-cert", serverCert, "--tls-key", serverKey, "--tls-client-ca", caFile)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()

	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	withClientCert := &tls.Config{
		RootCAs: roots,
		Certificates: []tls.Certificate{{
			Certificate: [][]byte{clientCert.der}, PrivateKey: clientCert.key, Leaf: clientCert.cert,
		}},
	}
	c, err := prism.Dial(testContext(t), s.Target, prism.WithTLS(withClientCert))
	if err != nil {
		t.Fatalf("dial with a client certificate: %v", err)
	}
	defer c.Close()
	models, err := c.Models(testContext(t))
	if err != nil {
		t.Fatalf("Models over mutual TLS: %v", err)
	}
	if len(models) == 0 {
		t.Fatal("no models over mutual TLS")
	}
	instance, err := prism.Float32Rows([][]float32{{5.1, 3.5, 1.4, 0.2}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.Explain(testContext(t), prism.NewRequest("iris", instance, prism.ExactShapley(nil)))
	if err != nil {
		t.Fatalf("Explain over mutual TLS: %v", err)
	}
	if e.Instances() != 1 {
		t.Fatalf("%d instances explained, want 1", e.Instances())
	}

	// Without a client certificate the server ends the handshake: the dial
	// never becomes ready, or the first call fails UNAVAILABLE.
	noCert, err := prism.Dial(shortContext(t), s.Target, prism.WithTLS(&tls.Config{RootCAs: roots}))
	if err == nil {
		_, callErr := noCert.Models(shortContext(t))
		noCert.Close()
		if perr, ok := prism.AsError(callErr); !ok || perr.Code != codes.Unavailable {
			t.Fatalf("a call without a client certificate got %v, want UNAVAILABLE", callErr)
		}
	}

	// A client that does not trust the server's CA never connects.
	if untrusted, err := prism.Dial(shortContext(t), s.Target, prism.WithTLS(withClientCertOnly(withClientCert))); err == nil {
		untrusted.Close()
		t.Fatal("connected to a server whose certificate the client does not trust")
	}
}

func withClientCertOnly(c *tls.Config) *tls.Config {
	return &tls.Config{Certificates: c.Certificates}
}

func shortContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	t.Cleanup(cancel)
	return ctx
}
