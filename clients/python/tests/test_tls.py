"""The client's TLS options against a server that requires client certificates (mutual TLS), with
certificates made for the test."""

import asyncio
import datetime
import ipaddress

import grpc
import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from helpers import SETOSA, start_prism

from prism_client import AsyncClient, Client, UnavailableError


def _issue(name, issuer=None, *, ca=False, usage=None):
    """A certificate and its key, signed by `issuer` (a (cert, key) pair), or self-signed."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer[0].subject if issuer else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = (builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                   .add_extension(x509.SubjectAlternativeName(
                       [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False))
    cert = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    return cert, key


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key):
    # PKCS#8 without encryption: the form the server reads.
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A mutual-TLS server and the PEMs a client needs."""
    folder = tmp_path_factory.mktemp("tls")
    ca = _issue("prism test CA", ca=True)
    server_cert, server_key = _issue("prism server", ca, usage=ExtendedKeyUsageOID.SERVER_AUTH)
    client_cert, client_key = _issue("prism client", ca, usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    (folder / "ca.pem").write_bytes(_pem(ca[0]))
    (folder / "server.pem").write_bytes(_pem(server_cert))
    (folder / "server.key").write_bytes(_key_pem(server_key))
    (folder / "client.pem").write_bytes(_pem(client_cert))
    (folder / "client.key").write_bytes(_key_pem(client_key))
    with start_prism("--tls-cert", str(folder / "server.pem"), "--tls-key", str(folder / "server.key"),
                     "--tls-client-ca", str(folder / "ca.pem")) as server:
        yield server, folder


def test_a_client_certificate_from_files_reaches_the_server(tls):
    server, folder = tls
    with Client(server.target, root_certificates=folder / "ca.pem", certificate_chain=folder / "client.pem",
                private_key=folder / "client.key", timeout=60) as client:
        assert "iris" in [m.name for m in client.models()]
        result = client.explain("iris", np.array([SETOSA]), method="exact_shapley")
        assert result.values.shape == (1, 4, 3)
        # Efficiency: the attributions add up to the output minus the base value.
        np.testing.assert_allclose(result.values.sum(axis=1) + result.base_values, result.model_outputs,
                                   atol=1e-6)


def test_pem_bytes_work_like_files(tls):
    server, folder = tls
    with Client(server.target, root_certificates=(folder / "ca.pem").read_bytes(),
                certificate_chain=(folder / "client.pem").read_bytes(),
                private_key=(folder / "client.key").read_bytes(), timeout=60) as client:
        assert client.model("iris").name == "iris"


def test_without_a_client_certificate_the_call_is_unavailable(tls):
    server, folder = tls
    with Client(server.target, root_certificates=folder / "ca.pem", timeout=10) as client:
        with pytest.raises(UnavailableError):
            client.models()


def test_a_plaintext_client_cannot_talk_to_a_tls_server(tls):
    server, _ = tls
    with Client(server.target, timeout=10) as client:
        with pytest.raises(UnavailableError):
            client.models()


def test_a_server_certificate_from_another_ca_is_not_trusted(tls):
    server, folder = tls
    stranger = _issue("another CA", ca=True)
    with Client(server.target, root_certificates=_pem(stranger[0]), certificate_chain=folder / "client.pem",
                private_key=folder / "client.key", timeout=10) as client:
        with pytest.raises(UnavailableError):
            client.models()


async def _async_models(target, folder):
    async with AsyncClient(target, root_certificates=folder / "ca.pem", certificate_chain=folder / "client.pem",
                           private_key=folder / "client.key", timeout=60) as client:
        return [m.name for m in await client.models()]


def test_the_async_client_takes_the_same_tls_options(tls):
    server, folder = tls
    assert "iris" in asyncio.run(_async_models(server.target, folder))


def test_credentials_pass_through(tls):
    server, folder = tls
    creds = grpc.ssl_channel_credentials(root_certificates=(folder / "ca.pem").read_bytes(),
                                         private_key=(folder / "client.key").read_bytes(),
                                         certificate_chain=(folder / "client.pem").read_bytes())
    with Client(server.target, credentials=creds, timeout=60) as client:
        assert client.model("iris").name == "iris"
