"""Where ssoctl talks to and where it keeps its files: clouds, Graph endpoint, SSOCTL_HOME.

Pure functions of the environment mapping, so tests pass a dict instead of patching os.environ.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ssoctl.errors import UsageError


@dataclass(frozen=True)
class Cloud:
    name: str
    graph: str
    login: str
    portal: str = "https://entra.microsoft.com"  # where a person reviews app registrations

    def app_link(self, app_id: str) -> str:
        """The app registration's overview page in this cloud's admin portal."""
        return (
            f"{self.portal}/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Overview/appId/{app_id}"
        )


CLOUDS: dict[str, Cloud] = {
    "global": Cloud("global", "https://graph.microsoft.com", "https://login.microsoftonline.com"),
    "usgov": Cloud(
        "usgov", "https://graph.microsoft.us", "https://login.microsoftonline.us", "https://portal.azure.us"
    ),
    "usgov-dod": Cloud(
        "usgov-dod",
        "https://dod-graph.microsoft.us",
        "https://login.microsoftonline.us",
        "https://portal.azure.us",
    ),
    "china": Cloud(
        "china",
        "https://microsoftgraph.chinacloudapi.cn",
        "https://login.chinacloudapi.cn",
        "https://portal.azure.cn",
    ),
}

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.1 and ::1: the only hosts plain http is allowed for.

    Exactly INTERFACE.md's list, and what kiota's auth provider accepts: a wider 127.0.0.0/8 would
    pass here and then fail inside the SDK.
    """
    return host.strip("[]").lower() in LOOPBACK_HOSTS


def resolve_cloud(name: str | None, env: Mapping[str, str]) -> Cloud:
    chosen = (name or env.get("SSOCTL_CLOUD") or "global").strip().lower()
    if chosen not in CLOUDS:
        raise UsageError(
            f"unknown cloud {chosen!r}",
            hint=f"use one of: {', '.join(CLOUDS)} (--cloud or SSOCTL_CLOUD)",
        )
    return CLOUDS[chosen]


def check_base_url(url: str, *, what: str) -> str:
    """Validate a service base URL: https, or http only for loopback. Returns it without a trailing slash.

    User info (`https://user:password@host`) is refused without echoing it: it would be repeated in
    every message and the --verbose log that names the URL, and no API ssoctl calls signs in that way."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 -- a port that is not a number raises here, not mid-request
    except ValueError:
        parts = urlsplit("")
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            f"{what} has user info (user:password@) before {parts.hostname or 'the host'}",
            hint="drop the user info: sign-in goes through tokens and headers, never the URL",
        )
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(
            f"{what} {url!r} is not a URL", hint="give a base URL like https://graph.microsoft.com"
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise UsageError(
            f"{what} {url!r} uses plain http",
            hint="use https; plain http is accepted only for 127.0.0.1, ::1 and localhost",
        )
    return url.strip().rstrip("/")


def graph_endpoint(cloud: Cloud, env: Mapping[str, str]) -> str:
    """Graph base URL without the version: SSOCTL_GRAPH_ENDPOINT overrides the cloud's."""
    override = env.get("SSOCTL_GRAPH_ENDPOINT")
    if override:
        base = check_base_url(override, what="SSOCTL_GRAPH_ENDPOINT")
        if base.endswith("/v1.0"):
            base = base[: -len("/v1.0")]
        return base
    return cloud.graph


GRAPH_TIMEOUT_ENV = "SSOCTL_GRAPH_TIMEOUT"
GRAPH_TIMEOUT_DEFAULT = 30.0  # seconds; kiota's own default (100 s read) leaves a hung call hanging
GRAPH_TIMEOUT_RANGE = (0.1, 600.0)


def graph_timeout(env: Mapping[str, str]) -> float:
    """Seconds one Graph request may take before ssoctl stops waiting (SSOCTL_GRAPH_TIMEOUT).

    A request that times out is handled like a connection dropped after Graph may have acted:
    reads and PATCH upserts are sent again, addPassword is never re-sent blindly (graph.retry).
    Checked before any request: a value that is not a number of seconds in range is bad input."""
    raw = env.get(GRAPH_TIMEOUT_ENV)
    if raw is None:
        return GRAPH_TIMEOUT_DEFAULT
    low, high = GRAPH_TIMEOUT_RANGE
    try:
        seconds = float(raw.strip())
    except ValueError:
        seconds = float("nan")
    if not low <= seconds <= high:  # also NaN and inf
        raise UsageError(
            f"{GRAPH_TIMEOUT_ENV}={raw!r} is not a number of seconds from {low:g} to {high:g}",
            hint=f"set it to seconds, e.g. {GRAPH_TIMEOUT_ENV}=60, or unset it for the default "
            f"({GRAPH_TIMEOUT_DEFAULT:g})",
        )
    return seconds


def ssoctl_home(env: Mapping[str, str]) -> Path:
    """The one folder for config, state, token cache and the sandbox tenant."""
    if "SSOCTL_HOME" in env:
        home = Path(env["SSOCTL_HOME"].strip()).expanduser()
        if not env["SSOCTL_HOME"].strip() or not home.is_absolute():
            raise UsageError(
                f"SSOCTL_HOME={env['SSOCTL_HOME']!r} is not an absolute folder",
                hint="set SSOCTL_HOME to an absolute path such as ~/.ssoctl, or unset it for the default",
            )
        return home
    if sys.platform == "win32":
        base = env.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / "ssoctl"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "ssoctl"
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ssoctl"


def env_flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


_FLAG_WORDS = ("", "0", "1", "true", "false", "yes", "no", "on", "off")


def strict_env_flag(env: Mapping[str, str], name: str) -> bool:
    """Like env_flag, for a switch that changes what is touched (SSOCTL_SANDBOX): a value that is
    neither on nor off is refused instead of silently meaning "off"."""
    value = env.get(name, "").strip().lower()
    if value not in _FLAG_WORDS:
        raise UsageError(
            f"{name}={env.get(name)!r} is neither on nor off",
            hint=f"set {name}=1 to turn it on, or unset it (or {name}=0)",
        )
    return env_flag(env, name)


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$")


def check_tenant(value: str | None, *, source: str) -> str | None:
    """A tenant is a GUID or a verified domain (contoso.onmicrosoft.com). Checked before any
    request, also when the value would go unused (a ready token, --sandbox): bad input is bad input."""
    if value is None:
        return None
    text = value.strip()
    if _GUID.match(text) or _DOMAIN.match(text):
        return text
    raise UsageError(
        f"{source} {value!r} is not a tenant ID or domain",
        hint=f"give {source} a tenant ID (a GUID) or a verified domain such as contoso.onmicrosoft.com",
    )


def check_sign_in_environment(env: Mapping[str, str]) -> None:
    """The sign-in variables, checked before any request even where they would go unused (a ready
    token makes AZURE_CLIENT_ID moot; --sandbox makes all of them moot): a CI job that passes an
    empty or mangled variable hears about it on its first run, not when the fallback changes."""
    from ssoctl.ids import is_guid

    token = env.get("SSOCTL_ACCESS_TOKEN")
    if token is not None:
        text = token.strip()
        if not text:
            raise UsageError(
                "SSOCTL_ACCESS_TOKEN is set but empty",
                hint="unset it to sign in another way, or set it to a token from "
                "`az account get-access-token --resource-type ms-graph`",
            )
        if text.lower().startswith("bearer "):
            raise UsageError(
                "SSOCTL_ACCESS_TOKEN starts with 'Bearer '",
                hint="set it to the token alone: `az account get-access-token --resource-type ms-graph "
                "--query accessToken -o tsv`",
            )
        if any(c.isspace() or not c.isprintable() for c in text):
            raise UsageError(
                "SSOCTL_ACCESS_TOKEN holds spaces, line breaks or control characters; a token is one word",
                hint="set it to the accessToken value only (`--query accessToken -o tsv`), not the whole JSON",
            )
    client_id = env.get("AZURE_CLIENT_ID")
    if client_id is not None and not is_guid(client_id.strip()):
        shown = "empty" if not client_id.strip() else f"{client_id.strip()[:40]!r}, not a GUID"
        raise UsageError(
            f"AZURE_CLIENT_ID is {shown}",
            hint="set it to the app's Application (client) ID, e.g. 00000000-0000-0000-0000-000000000000, "
            "or unset it",
        )
    host = (env.get("AZURE_AUTHORITY_HOST") or "").strip()
    if host:
        check_base_url(host if "://" in host else f"https://{host}", what="AZURE_AUTHORITY_HOST")
