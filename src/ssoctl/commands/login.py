"""`ssoctl login` and `ssoctl logout`: an admin at a terminal signs in once; later commands reuse it.

The sign-in is MSAL's public-client flow — the browser when this machine has one, else the device
code (a code to enter on any other device) — with the default public client "Microsoft Graph
Command Line Tools" (DEFAULT_CLIENT_ID; docs/signin.md says why and how to use your own). Tokens go
to the OS-encrypted cache (login_cache.py); `--az-cli` instead runs `az login` and has later
commands use the Azure CLI. Never a prompt in CI or without a terminal: exit 4 with what to use.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ssoctl.config import Cloud, check_sign_in_environment, check_tenant, graph_endpoint, resolve_cloud
from ssoctl.deps import Deps
from ssoctl.errors import AuthError, UsageError
from ssoctl.graph.auth import authority_for, graph_scope, token_claims
from ssoctl.ids import is_guid
from ssoctl.login_cache import (
    METHOD_AZURE_CLI,
    METHOD_MSAL,
    LoginRecord,
    clear,
    open_cache,
    save_record,
)

# "Microsoft Graph Command Line Tools" (Microsoft Graph PowerShell/CLI's public client): a
# first-party, multitenant public client that already holds the delegated Graph permissions an
# admin consents to for app management; the Azure CLI's own ID is reserved by its team.
DEFAULT_CLIENT_ID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
METHODS = ("auto", "device-code", "browser", "az-cli")
CI_HINT = (
    "in CI sign in without a person: SSOCTL_ACCESS_TOKEN, AZURE_CLIENT_ID + AZURE_TENANT_ID with "
    "AZURE_CLIENT_SECRET / AZURE_CLIENT_CERTIFICATE_PATH / AZURE_FEDERATED_TOKEN_FILE, or GitHub "
    "Actions OIDC (permissions: id-token: write) — see docs/signin.md"
)


@dataclass(frozen=True)
class LoginOptions:
    tenant: str | None = None
    method: str = "auto"
    client_id: str | None = None
    plaintext_cache: bool = False
    cloud: str | None = None


@dataclass(frozen=True)
class LoginResult:
    account: str
    tenant_id: str
    cloud: Cloud
    method: str
    expires: datetime | None
    cache: str  # "encrypted", "plaintext" or "azure-cli"


class LoginUI(Protocol):
    def device_code(self, url: str, code: str) -> None: ...

    def warn(self, text: str) -> None: ...


def has_browser(env: Mapping[str, str]) -> bool:
    """A browser this process can open: a desktop session, not an SSH login or a bare container."""
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY"):
        return False
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def _check(opts: LoginOptions, deps: Deps) -> None:
    if opts.method not in METHODS:
        raise UsageError(
            f"unknown sign-in method {opts.method!r}", hint="use --device-code, --browser or --az-cli"
        )
    if opts.client_id is not None and not is_guid(opts.client_id.strip()):
        shown = "empty" if not opts.client_id.strip() else f"{opts.client_id.strip()[:40]!r}, not a GUID"
        raise UsageError(
            f"--client-id is {shown}",
            hint="give your public client's Application (client) ID, or leave --client-id out",
        )
    if (opts.tenant or "").strip().lower() not in ("organizations", "common"):  # MSAL's own words
        check_tenant(opts.tenant, source="--tenant")
    check_tenant(deps.env.get("AZURE_TENANT_ID"), source="AZURE_TENANT_ID")
    check_sign_in_environment(deps.env)
    graph_endpoint(resolve_cloud(opts.cloud, deps.env), deps.env)
    if not deps.can_prompt():
        why = "CI is set" if deps.in_ci else "there is no terminal"
        raise AuthError(f"ssoctl login needs a person at a terminal ({why})", hint=CI_HINT, code="no_prompt")


def run_login(opts: LoginOptions, deps: Deps, ui: LoginUI) -> LoginResult:
    cloud = resolve_cloud(opts.cloud, deps.env)
    _check(opts, deps)
    tenant = (opts.tenant or deps.env.get("AZURE_TENANT_ID") or "organizations").strip()
    if opts.method == "az-cli":
        return _az_login(deps, cloud, opts.tenant or deps.env.get("AZURE_TENANT_ID"))
    host, discovery_off = authority_for(deps.env, cloud)
    client_id = (opts.client_id or DEFAULT_CLIENT_ID).strip()
    cache = open_cache(deps.home, plaintext=opts.plaintext_cache)
    if opts.plaintext_cache:
        ui.warn(
            "the token cache is a plain file (0600) in SSOCTL_HOME, not encrypted by the OS: anyone "
            "who can read your files can use your sign-in until you run `ssoctl logout`"
        )
    import msal

    authority = f"{host}/{tenant}"
    from ssoctl import verbose

    app = msal.PublicClientApplication(
        client_id,
        authority=authority,
        token_cache=cache,
        instance_discovery=not discovery_off,
        **verbose.msal_options(),
    )
    scopes = [graph_scope(graph_endpoint(cloud, deps.env))]
    method = opts.method if opts.method != "auto" else ("browser" if has_browser(deps.env) else "device-code")
    if method == "browser":
        result = app.acquire_token_interactive(scopes, prompt="select_account")
    else:
        flow = app.initiate_device_flow(scopes=scopes)
        if "user_code" not in flow:
            raise AuthError(
                f"the login server refused the sign-in: {_first_line(flow)}", hint=_client_hint(client_id)
            )
        ui.device_code(str(flow["verification_uri"]), str(flow["user_code"]))
        result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise AuthError(f"sign-in failed: {_first_line(result)}", hint=_client_hint(client_id))
    claims = token_claims(str(result["access_token"]))
    id_claims: dict[str, Any] = result.get("id_token_claims") or {}
    username = str(id_claims.get("preferred_username") or claims.get("upn") or "")
    accounts = [a for a in app.get_accounts() if not username or a.get("username") == username]
    if not accounts:
        raise AuthError("the login server sent no account to remember", hint="try `ssoctl login` again")
    tenant_id = str(claims.get("tid") or id_claims.get("tid") or tenant)
    save_record(
        deps.home,
        LoginRecord(
            method=METHOD_MSAL,
            cloud=cloud.name,
            tenant=tenant_id,
            client_id=client_id,
            authority=f"{host}/{tenant_id}",
            discovery_off=discovery_off,
            home_account_id=str(accounts[0]["home_account_id"]),
            username=username,
            plaintext=opts.plaintext_cache,
        ),
    )
    exp = claims.get("exp")
    expires = datetime.fromtimestamp(exp, UTC) if isinstance(exp, int | float) else None
    return LoginResult(
        username, tenant_id, cloud, method, expires, "plaintext" if opts.plaintext_cache else "encrypted"
    )


def _az_login(deps: Deps, cloud: Cloud, tenant: str | None) -> LoginResult:
    """`az login` at this terminal; later commands then sign in through the Azure CLI."""
    az = shutil.which("az", path=deps.env.get("PATH"))
    if az is None:
        raise AuthError(
            "--az-cli needs the Azure CLI (`az`) on PATH", hint="install it, or use --device-code"
        )
    args = [az, "login", "--allow-no-subscriptions"]
    if tenant:
        args += ["--tenant", tenant]
    env = dict(deps.env)
    done = subprocess.run(args, env=env, check=False, stdout=subprocess.DEVNULL)
    if done.returncode != 0:
        raise AuthError(
            f"`az login` failed (exit {done.returncode})", hint="run `az login` yourself to see why"
        )
    save_record(deps.home, LoginRecord(method=METHOD_AZURE_CLI, cloud=cloud.name, tenant=tenant or ""))
    return LoginResult("(Azure CLI account)", tenant or "", cloud, "az-cli", None, "azure-cli")


def run_logout(deps: Deps) -> list[str]:
    """Forget ssoctl's sign-in (cache and record); an Azure CLI login stays (that is `az logout`)."""
    return clear(deps.home)


def _first_line(result: Mapping[str, Any]) -> str:
    text = str(result.get("error_description") or result.get("error") or "no token").strip()
    return text.splitlines()[0][:300] if text else "no token"


def _client_hint(client_id: str) -> str:
    if client_id == DEFAULT_CLIENT_ID:
        return "if your tenant blocks Microsoft Graph Command Line Tools, sign in with your own public client: --client-id ID"
    return "check that --client-id names a public client (Authentication → Allow public client flows) in this tenant"
