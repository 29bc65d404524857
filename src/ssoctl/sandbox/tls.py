"""The sandbox login server's certificate and its test token issuer's key, made once per home.

Real MSAL and azure-identity talk to a login host only over https and only to a certificate they
trust, so the sandbox makes a self-signed certificate for 127.0.0.1/localhost (kept under
`home/sandbox/tls/`, key 0600) and tests point `REQUESTS_CA_BUNDLE` / `SSL_CERT_FILE` at it. The
same folder holds the RSA key of the sandbox's test OpenID Connect issuer: the one outside issuer
whose assertions the login server accepts for workload identity federation (federation.py).

cryptography (a dependency of msal) is imported only here, when a login server starts.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from ssoctl.sandbox.state import sandbox_dir

CERT_FILE = "login-cert.pem"
KEY_FILE = "login-key.pem"
ISSUER_KEY_FILE = "issuer-key.pem"


def tls_dir(home: Path) -> Path:
    return sandbox_dir(home) / "tls"


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _new_key() -> object:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key: object) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    assert isinstance(key, rsa.RSAPrivateKey)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def certificate(home: Path) -> tuple[Path, Path]:
    """(certificate, key) PEM files for https on 127.0.0.1, made on first use (valid 10 years)."""
    folder = tls_dir(home)
    cert_path, key_path = folder / CERT_FILE, folder / KEY_FILE
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = _new_key()
    assert isinstance(key, rsa.RSAPrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ssoctl sandbox login server")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(key_path, _pem_key(key))
    _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def issuer_key_pem(home: Path) -> bytes:
    """The test issuer's private key (PEM), made on first use."""
    path = tls_dir(home) / ISSUER_KEY_FILE
    if not path.exists():
        _write_private(path, _pem_key(_new_key()))
    return path.read_bytes()
