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
    "run `ssoctl login`; in CI set SSOCTL_ACCESS_TOKEN, or AZURE_CLIENT_ID + AZURE_TENANT_ID with "
    "AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE or GitHub Actions "
    "OIDC; or run `az login`; or try --sandbox"
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


def authority_for(env: Mapping[str, str], cloud: Cloud) -> tuple[str, bool]:
    """The login authority host and whether instance discovery must be turned off for it
    (AZURE_AUTHORITY_HOST overrides the cloud's; any host that is not Microsoft's turns it off)."""
    authority = (env.get("AZURE_AUTHORITY_HOST") or cloud.login).strip().rstrip("/")
    if "://" not in authority:
        authority = f"https://{authority}"
    host = urlsplit(authority).hostname or ""
    return authority, host.lower() not in MICROSOFT_LOGIN_HOSTS


_authority = authority_for


def graph_scope(graph_base: str) -> str:
    """The scope to ask for: `<Graph endpoint>/.default`, global Graph's for a loopback endpoint
    (the sandbox stands in for it), as graph.transport does."""
    from ssoctl.config import is_loopback_host

    host = urlsplit(graph_base).hostname or ""
    if is_loopback_host(host):
        return "https://graph.microsoft.com/.default"
    return f"{graph_base.rstrip('/')}/.default"


# --- GitHub Actions OIDC ----------------------------------------------------------------------

EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
GITHUB_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"
GITHUB_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"


def github_assertion(env: Mapping[str, str]) -> Any:
    """A function that fetches a FRESH GitHub Actions OIDC token for Entra on every call.

    azure-identity calls it whenever it needs a new access token; GitHub's tokens live about five
    minutes, so one is never kept. The request token never leaves this function's request."""
    url = env[GITHUB_URL].strip()
    request_token = env[GITHUB_TOKEN].strip()
    from ssoctl.config import check_base_url

    check_base_url(url.split("?")[0], what=GITHUB_URL)

    def fetch() -> str:
        import urllib.error
        import urllib.request
        from urllib.parse import quote

        from azure.core.exceptions import ClientAuthenticationError

        separator = "&" if "?" in url else "?"
        request = urllib.request.Request(
            f"{url}{separator}audience={quote(EXCHANGE_AUDIENCE, safe='')}",
            headers={"Authorization": f"bearer {request_token}", "Accept": "application/json"},
        )
        from ssoctl import verbose

        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:  # the URL was checked above
                value = json.loads(reply.read()).get("value")
                verbose.request("github-oidc", "GET", verbose.safe_url(url), reply.status, started=started)
        except (urllib.error.URLError, OSError, ValueError, AttributeError) as exc:
            verbose.request(
                "github-oidc", "GET", verbose.safe_url(url), f"failed ({type(exc).__name__})", started=started
            )
            raise ClientAuthenticationError(
                message=f"GitHub Actions did not issue an OIDC token ({type(exc).__name__}); "
                "does the workflow have `permissions: id-token: write`?"
            ) from None
        if not isinstance(value, str) or not value:
            raise ClientAuthenticationError(message="GitHub Actions answered without an OIDC token")
        return value

    return fetch


# --- The login cache (`ssoctl login`) ------------------------------------------------------------


class LoginCacheCredential:
    """The account `ssoctl login` signed in: a cached token while it lasts (no request at all),
    then MSAL's silent refresh with the cached refresh token; never a prompt."""

    def __init__(self, home: Any, record: Any) -> None:
        self.home = home
        self.record = record

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from ssoctl.login_cache import check_cache, find_access_token, open_cache

        check_cache(self.home, self.record)
        cache = open_cache(self.home, plaintext=self.record.plaintext)
        found = find_access_token(cache, self.record, scopes)
        if found is not None:
            return _access_token(*found)
        import msal

        from ssoctl import verbose

        app = msal.PublicClientApplication(
            self.record.client_id,
            authority=self.record.authority,
            token_cache=cache,
            instance_discovery=not self.record.discovery_off,
            **verbose.msal_options(),
        )
        accounts = [a for a in app.get_accounts() if a.get("home_account_id") == self.record.home_account_id]
        result = app.acquire_token_silent(list(scopes), account=accounts[0]) if accounts else None
        if not result or "access_token" not in result:
            raise AuthError(
                f"the sign-in of {self.record.username or 'your account'} has expired or was revoked",
                hint="run `ssoctl login` again (or `ssoctl logout` to stop using it)",
            )
        return _access_token(
            str(result["access_token"]), int(time.time()) + int(result.get("expires_in", 3600))
        )

    def __repr__(self) -> str:
        return f"LoginCacheCredential({self.record.username!r})"


def choose_sign_in(env: Mapping[str, str], *, cloud: Cloud, tenant: str | None) -> SignIn:
    """Pick the first way to sign in that the environment offers.

    1. SSOCTL_ACCESS_TOKEN: a ready Graph token, no sign-in at all.
    2. AZURE_CLIENT_ID + AZURE_TENANT_ID (or --tenant) with AZURE_CLIENT_SECRET, or
       AZURE_CLIENT_CERTIFICATE_PATH, or AZURE_FEDERATED_TOKEN_FILE (workload identity), read
       from `env` with the meanings azure-identity gives them.
    3. GitHub Actions OIDC: AZURE_CLIENT_ID + tenant with ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN
       (a fresh GitHub token for api://AzureADTokenExchange whenever a new access token is needed).
    4. `ssoctl login`'s cached sign-in (login.json + the OS-encrypted MSAL cache); a login made
       with `--az-cli` means the Azure CLI.
    5. An existing `az login`, when `az` is on PATH.
    Otherwise `AuthError` (exit 4) listing the ways to sign in. Nothing here ever prompts.
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
        from ssoctl import verbose

        kwargs: dict[str, Any] = {"authority": authority, **verbose.azure_identity_hooks()}
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

    if client_id and tenant_id and env.get(GITHUB_URL) and env.get(GITHUB_TOKEN):
        authority, custom = _authority(env, cloud)
        from ssoctl import verbose

        kwargs = {"authority": authority, **verbose.azure_identity_hooks()}
        if custom:
            kwargs["disable_instance_discovery"] = True
        from azure.identity import ClientAssertionCredential

        what = "GitHub Actions OIDC"
        try:
            cred = ClientAssertionCredential(tenant_id, client_id, github_assertion(env), **kwargs)
        except ValueError as exc:
            raise UsageError(
                f"cannot sign in with GitHub Actions OIDC: {exc}",
                hint="check AZURE_CLIENT_ID and AZURE_TENANT_ID (or --tenant)",
            ) from None
        return SignIn(GuardedCredential(cred, what), what)

    from ssoctl.config import ssoctl_home
    from ssoctl.login_cache import METHOD_MSAL, load_record

    record = load_record(ssoctl_home(env), strict=True)
    if record is not None and record.method == METHOD_MSAL:
        what = f"ssoctl login ({record.username})" if record.username else "ssoctl login"
        return SignIn(GuardedCredential(LoginCacheCredential(ssoctl_home(env), record), what), what)

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
