"""Choosing how ssoctl signs in to Microsoft Graph, without paying for azure-identity at import time.

`choose_sign_in` looks at the environment in a fixed order (a ready token, then service-principal
or workload-identity variables, then an existing `az login`) and returns the credential wrapped so
that a sign-in failure at token time becomes `AuthError` (exit 4) instead of a traceback.
azure-identity and azure-core are imported inside the functions that need them: `ssoctl --help`
must not load them.
"""

from __future__ import annotations

import base64
import binascii
import json
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from ssoctl.errors import AuthError, UsageError

if TYPE_CHECKING:
    from ssoctl.config import Cloud

SIGN_IN_HINT = (
    "set SSOCTL_ACCESS_TOKEN (e.g. from `az account get-access-token --resource-type ms-graph`), "
    "AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID, or run `az login`; or try --sandbox"
)

# Login hosts where Entra's instance discovery works; any other authority (a private or test
# login server) needs `disable_instance_discovery=True` or MSAL refuses it.
MICROSOFT_LOGIN_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoft.com",
        "login.windows.net",
        "sts.windows.net",
        "login.microsoftonline.us",
        "login.usgovcloudapi.net",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
    }
)

# Refresh a cached token this many seconds before it expires.
_EXPIRY_MARGIN = 300


def token_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, decoded WITHOUT verifying the signature; {} if it is not a JWT.

    Only for reading hints such as `tid` (tenant) and `exp`: Graph verifies the token, ssoctl
    never trusts these claims for anything that matters.
    """
    parts = token.split(".")
    if len(parts) < 2:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _access_token(token: str, expires_on: int) -> Any:
    """An `azure.core.credentials.AccessToken`: kiota's provider checks `isinstance` against it
    and silently sends NO Authorization header for anything else."""
    from azure.core.credentials import AccessToken

    return AccessToken(token, expires_on)


class StaticToken:
    """A ready bearer token (SSOCTL_ACCESS_TOKEN) posing as an azure-core TokenCredential."""

    def __init__(self, token: str, expires_on: int | None = None) -> None:
        self._token = token.strip()
        if expires_on is None:
            exp = token_claims(self._token).get("exp")
            expires_on = int(exp) if isinstance(exp, int | float) else int(time.time()) + 3600
        self._expires_on = expires_on

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        if self._expires_on <= int(time.time()):
            raise AuthError(
                "the access token in SSOCTL_ACCESS_TOKEN has expired",
                hint="get a fresh one with `az account get-access-token --resource-type ms-graph`",
            )
        return _access_token(self._token, self._expires_on)

    def __repr__(self) -> str:  # never show the token
        return "StaticToken('********')"


class GuardedCredential:
    """Wraps a credential so sign-in failures become `AuthError` and tokens are reused.

    kiota asks for a token on every request; AzureCliCredential does not cache and runs `az`
    each time (~0.5-1 s), so tokens are kept here per scope set until 5 minutes before expiry.
    """

    def __init__(self, inner: Any, description: str) -> None:
        self.inner = inner
        self.description = description
        self._cache: dict[tuple[str, ...], Any] = {}

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        cacheable = not kwargs.get("claims")
        key = (*scopes, str(kwargs.get("tenant_id") or ""))
        cached = self._cache.get(key) if cacheable else None
        if cached is not None and cached.expires_on - _EXPIRY_MARGIN > time.time():
            return cached
        from azure.core.exceptions import ClientAuthenticationError

        try:
            token = self.inner.get_token(*scopes, **kwargs)
        except ClientAuthenticationError as exc:  # includes CredentialUnavailableError
            raise AuthError(
                f"sign-in with {self.description} failed: {_first_line(exc)}",
                hint=SIGN_IN_HINT,
            ) from None
        if not hasattr(token, "token") or not hasattr(token, "expires_on"):
            raise AuthError(f"sign-in with {self.description} returned no token", hint=SIGN_IN_HINT)
        token = _access_token(token.token, int(token.expires_on))
        if cacheable:
            self._cache[key] = token
        return token

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()

    def __repr__(self) -> str:
        return f"GuardedCredential({self.description!r})"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line[:300]


@dataclass(frozen=True)
class SignIn:
    """The chosen credential and a short human description of where it came from."""

    credential: Any
    description: str


def _authority(env: Mapping[str, str], cloud: Cloud) -> tuple[str, bool]:
    """The login authority and whether instance discovery must be turned off for it."""
    authority = (env.get("AZURE_AUTHORITY_HOST") or cloud.login).strip().rstrip("/")
    host = urlsplit(authority if "://" in authority else f"https://{authority}").hostname or ""
    return authority, host.lower() not in MICROSOFT_LOGIN_HOSTS


def choose_sign_in(env: Mapping[str, str], *, cloud: Cloud, tenant: str | None) -> SignIn:
    """Pick the first way to sign in that the environment offers.

    1. SSOCTL_ACCESS_TOKEN: a ready Graph token, no sign-in at all.
    2. AZURE_CLIENT_ID + AZURE_TENANT_ID (or --tenant) with AZURE_CLIENT_SECRET, or
       AZURE_CLIENT_CERTIFICATE_PATH, or AZURE_FEDERATED_TOKEN_FILE (workload identity), read
       from `env` with the meanings azure-identity gives them.
    3. An existing `az login`, when `az` is on PATH.
    Otherwise `AuthError` (exit 4) listing the ways to sign in.
    """
    token = (env.get("SSOCTL_ACCESS_TOKEN") or "").strip()
    if token:
        return SignIn(GuardedCredential(StaticToken(token), "SSOCTL_ACCESS_TOKEN"), "SSOCTL_ACCESS_TOKEN")

    client_id = env.get("AZURE_CLIENT_ID")
    tenant_id = tenant or env.get("AZURE_TENANT_ID")
    has_proof = any(
        env.get(name)
        for name in (
            "AZURE_CLIENT_SECRET",
            "AZURE_CLIENT_CERTIFICATE_PATH",
            "AZURE_FEDERATED_TOKEN_FILE",
        )
    )
    if client_id and tenant_id and has_proof:
        authority, custom = _authority(env, cloud)
        kwargs: dict[str, Any] = {"authority": authority}
        if custom:
            kwargs["disable_instance_discovery"] = True
        from azure import identity

        try:
            return _environment_sign_in(identity, env, tenant_id, client_id, kwargs)
        except ValueError as exc:  # e.g. a malformed tenant ID
            raise UsageError(
                f"cannot sign in with the AZURE_* variables: {exc}",
                hint="check AZURE_TENANT_ID (a tenant ID or verified domain) and AZURE_CLIENT_ID (a GUID)",
            ) from None

    if shutil.which("az", path=env.get("PATH")):
        from azure.identity import AzureCliCredential

        try:
            cli = AzureCliCredential(tenant_id=tenant or "")
        except ValueError as exc:
            raise UsageError(
                f"invalid tenant {tenant!r}: {exc}",
                hint="give --tenant (or AZURE_TENANT_ID) a tenant ID or a verified domain such as contoso.onmicrosoft.com",
            ) from None
        return SignIn(GuardedCredential(cli, "Azure CLI"), "Azure CLI")

    incomplete = [
        name
        for name in (
            "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET",
            "AZURE_CLIENT_CERTIFICATE_PATH",
            "AZURE_FEDERATED_TOKEN_FILE",
        )
        if env.get(name)
    ]
    message = "not signed in to Microsoft Graph"
    if incomplete:
        message += (
            f" ({', '.join(incomplete)} set, but sign-in needs AZURE_CLIENT_ID, AZURE_TENANT_ID"
            " and one of AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH,"
            " AZURE_FEDERATED_TOKEN_FILE)"
        )
    raise AuthError(message, hint=SIGN_IN_HINT)


def _environment_sign_in(
    identity: Any, env: Mapping[str, str], tenant_id: str, client_id: str, kwargs: dict[str, Any]
) -> SignIn:
    """Service principal or workload identity, as azure-identity's EnvironmentCredential and
    WorkloadIdentityCredential read them, but from `env` rather than os.environ."""
    cred: Any
    if env.get("AZURE_CLIENT_SECRET"):
        cred = identity.ClientSecretCredential(tenant_id, client_id, env["AZURE_CLIENT_SECRET"], **kwargs)
        what = "environment (client secret)"
    elif env.get("AZURE_CLIENT_CERTIFICATE_PATH"):
        cred = identity.CertificateCredential(
            tenant_id,
            client_id,
            env["AZURE_CLIENT_CERTIFICATE_PATH"],
            password=env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD") or None,
            send_certificate_chain=bool(env.get("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN")),
            **kwargs,
        )
        what = "environment (certificate)"
    else:
        cred = identity.WorkloadIdentityCredential(
            tenant_id=tenant_id,
            client_id=client_id,
            token_file_path=env["AZURE_FEDERATED_TOKEN_FILE"],
            **kwargs,
        )
        what = "environment (workload identity)"
    return SignIn(GuardedCredential(cred, what), what)


class TokenCredentialLike(Protocol):
    """What SdkGraph needs from a credential: azure-core's `TokenCredential.get_token` shape."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...
