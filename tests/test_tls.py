"""TLS: verification is on by default, and a custom CA bundle works, on both shells."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path
from typing import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from genai_base import APIConnectionError, ClientContainer
from genai_base.testing import FakeAPIServer

from .conftest import Shell


def _pem_files(tmp: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "genai_base test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = tmp / "ca.pem", tmp / "server.pem", tmp / "server.key"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeAPIServer, Path]]:
    ca_path, cert_path, key_path = _pem_files(tmp_path_factory.mktemp("tls"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    with FakeAPIServer(ssl_context=context) as server:
        yield server, ca_path


def test_verification_is_on_by_default(shell: Shell, tls_server: tuple[FakeAPIServer, Path]) -> None:
    server, _ = tls_server
    assert server.url.startswith("https://127.0.0.1:")
    client = shell.client(base_url=server.url, max_retries=0)
    with pytest.raises(APIConnectionError, match=r"(?i)certificate"):
        shell.run(client.get("/echo", cast_to=dict))


def test_a_custom_ca_bundle_is_trusted(shell: Shell, tls_server: tuple[FakeAPIServer, Path]) -> None:
    server, ca_path = tls_server
    container = ClientContainer()
    container.config.from_dict({"verify": str(ca_path)})
    client = shell.client(base_url=server.url, container=container, max_retries=0)
    echo = shell.run(client.get("/echo", cast_to=dict))
    assert echo["path"] == "/echo"
