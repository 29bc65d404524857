"""Workload identity federation in the sandbox: a test OpenID Connect issuer and the apps'
federated identity credentials.

Entra accepts a client assertion from an outside issuer (GitHub Actions, a Kubernetes cluster) when
one of the app's `federatedIdentityCredentials` names that issuer, the token's subject and one of
its audiences, and the token's signature checks out against the issuer's published keys. The
sandbox cannot fetch anyone's keys, so it has one test issuer key (tls.issuer_key_pem) that stands
for every outside issuer: `mint_assertion(home, issuer=..., subject=...)` signs a token with it,
whatever `iss` it names, and the login server verifies against its public half, kept in the tenant
document. Tests and a fake GitHub token endpoint use `mint_assertion`.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

from ssoctl.sandbox.state import TenantStore

EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
FEDERATED = "federatedIdentityCredentials"  # tenant document: application object id -> [credential]
PUBLIC_KEY = "testIssuerPublicKey"  # tenant document: the test issuer's public key (PEM)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _private_key(home: Path) -> Any:
    from cryptography.hazmat.primitives import serialization

    from ssoctl.sandbox.tls import issuer_key_pem

    key = serialization.load_pem_private_key(issuer_key_pem(home), password=None)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with TenantStore(home).transaction() as state:
        state[PUBLIC_KEY] = public.decode("ascii")
    return key


def mint_assertion(
    home: Path,
    *,
    subject: str,
    issuer: str = GITHUB_ISSUER,
    audience: str = EXCHANGE_AUDIENCE,
    lifetime: int = 300,
) -> str:
    """A token of the test issuer (RS256), as GitHub's OIDC endpoint or a cluster would issue it."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = _private_key(home)
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": "sandbox-test-issuer"}
    claims = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "iat": now,
        "nbf": now - 5,
        "exp": now + lifetime,
        "jti": str(uuid.uuid4()),
    }
    signing_input = ".".join(_b64url(json.dumps(p).encode()) for p in (header, claims))
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def issuer_public_key(state: dict[str, Any]) -> Any:
    """The test issuer's public key, or None when no assertion was ever minted for this tenant."""
    pem = state.get(PUBLIC_KEY)
    if not isinstance(pem, str):
        return None
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_public_key(pem.encode("ascii"))
