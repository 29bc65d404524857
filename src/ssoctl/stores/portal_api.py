"""Portal API stores: the secret goes straight into the portal's identity provider (PingOne, Okta).

`--store pingone` keeps exactly one PingOne identity provider of type MICROSOFT, named like the
app registration, with `clientId` = the appId and `clientSecret` = the secret Graph issued;
`--store okta` the same for an Okta org's Microsoft IdP (protocol OIDC). The provider is found by
name (a hand-made one is adopted), never duplicated, and written only when a new secret is made.

Nothing secret stays here: the value goes from Graph's answer to the portal in one request and is
never printed, logged or written to disk; `load` can tell *that* the portal holds this app's
credentials, never the secret itself. The portal's own credentials (a PingOne worker app's client
credentials, an Okta API token) are checked in `preflight`, before anything in the tenant changes.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ssoctl.config import check_base_url
from ssoctl.credentials import CredentialRef, Credentials, Secret
from ssoctl.errors import StoreError, UsageError

JSON = dict[str, Any]
TIMEOUT = 20.0
PINGONE_REGIONS = ("com", "eu", "asia", "ca")
KEYRING_SERVICE = "ssoctl"


@dataclass(frozen=True)
class ProviderOptions:
    """The portal-store flags: where the provider lives and what the identity provider is called."""

    idp_name: str = ""
    pingone_env: str | None = None
    pingone_region: str | None = None
    pingone_api_url: str | None = None
    pingone_auth_url: str | None = None
    okta_org: str | None = None


@dataclass(frozen=True)
class ProviderState:
    """The identity provider as the portal shows it (never its secret)."""

    idp_id: str
    name: str
    enabled: bool
    client_id: str
    raw: JSON


class PortalUnreachable(StoreError):
    """No answer from the portal (refused, dropped, timed out): a write may or may not have landed."""


# Answers after which a write may have landed (0: no answer at all), or a read is worth repeating.
UNCERTAIN = (0, 500, 502, 503, 504)
TEMPORARY = (429, *UNCERTAIN)


def temporary(portal: str, status: int) -> str:
    """How a temporary failure reads: the portal's rate limit or outage, not the user's setup."""
    what = "rate-limited the request" if status == 429 else "had a temporary failure"
    return f"{portal} {what} (HTTP {status})" if status else f"{portal} did not answer"


class _Http:
    """Small JSON-over-HTTPS client; errors become StoreError naming the portal and its words."""

    def __init__(self, portal: str) -> None:
        self.portal = portal

    def call(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: Any = None,
        form: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        data = None
        all_headers = {"Accept": "application/json", **headers}
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                raw = response.read()
                self._log(method, url, form, response.status, started)
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            self._log(method, url, form, exc.code, started)
            try:
                return exc.code, json.loads(raw) if raw else None
            except ValueError:
                return exc.code, None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            self._log(method, url, form, f"no answer ({type(exc).__name__})", started)
            reason = getattr(exc, "reason", exc)
            raise PortalUnreachable(
                f"cannot reach {self.portal} at {urllib.parse.urlsplit(url).netloc}: {reason}",
                hint=f"check the {self.portal} URL options and your network, then run the same command again",
            ) from None

    def _log(
        self, method: str, url: str, form: Mapping[str, str] | None, status: int | str, started: float
    ) -> None:
        """--verbose: the method, URL and status; a token request only its grant_type. No body."""
        from ssoctl import verbose

        if form is not None:
            verbose.token_request(url, form, status, started=started)
        else:
            verbose.request(self.portal.lower(), method, verbose.safe_url(url), status, started=started)


def check_provider_options(kind: str, place: str, options: ProviderOptions, *, sandbox: bool) -> None:
    """The --store pingone / okta flags, checked before any request: the stores check them again
    when they open, but that is after Graph has been read. The sandbox runs its own fake portal,
    so there an environment ID or org URL may be left out. `place` is the ID or URL a
    recorded location (`pingone:ENV`) carries."""
    if kind == "pingone":
        if not (options.pingone_env or place) and not sandbox:
            raise UsageError(
                "--store pingone needs --pingone-env ENV_ID",
                hint="the environment ID is in the PingOne admin console → Environment → Properties",
            )
        region = (options.pingone_region or "com").lower()
        if region not in PINGONE_REGIONS:
            raise UsageError(
                f"--pingone-region {options.pingone_region!r} is not known",
                hint=f"use one of: {', '.join(PINGONE_REGIONS)}",
            )
        for url, flag in (
            (options.pingone_api_url, "--pingone-api-url"),
            (options.pingone_auth_url, "--pingone-auth-url"),
        ):
            if url is not None:
                check_base_url(url, what=flag)
    elif kind == "okta":
        org = options.okta_org or place
        if org:
            from ssoctl.portals.base import check_okta_org

            check_okta_org(org)
        elif not sandbox:
            raise UsageError(
                "--store okta needs --okta-org URL", hint="e.g. --okta-org https://acme.okta.com"
            )


def _from_keyring(username: str) -> str | None:
    """A value the user keeps in the OS keyring (service `ssoctl`); None when there is none."""
    try:
        import keyring

        value = keyring.get_password(KEYRING_SERVICE, username)
        return str(value) if value else None
    except Exception:
        return None


class PortalApiStore:
    """What PingOne and Okta share: find the provider by name, write it with a new secret."""

    kind = ""
    title = ""

    def __init__(self, options: ProviderOptions) -> None:
        self.options = options
        self.current: ProviderState | None = None
        self._written: Secret | None = None  # the secret this process wrote, in memory only
        self._checked = False
        self.http = _Http(self.title)

    # The Store protocol -------------------------------------------------------------------
    @property
    def location(self) -> str:
        idp = self.current.idp_id if self.current else "(new)"
        return f"{self.kind}:{self.place}/{idp}"

    def preflight(self, ref: CredentialRef) -> None:
        """Check the portal's credentials and find the provider by name (reads only)."""
        self.authenticate()
        self.current = self.find()
        self._checked = True

    def save(self, ref: CredentialRef, creds: Credentials) -> None:
        if not creds.client_secret.reveal():
            raise StoreError(
                f"{self.title} never shows a secret back, so ssoctl cannot put an earlier one back into "
                f"{self.location}",
                hint="run the command again: it writes a new secret the provider and Entra share",
            )
        if not self._checked:
            self.preflight(ref)
        found = self.find()  # never a second one, also if someone made it since the plan
        status, body = self._try_write(found, creds)
        if status in UNCERTAIN:
            # The portal may have taken the write: once more, as an update of whatever provider is
            # there now (a PUT repeats safely; a POST that landed is found and not repeated). Left
            # alone, the provider could keep a secret that Entra is about to lose.
            found = self.find()
            status, body = self._try_write(found, creds)
        if status not in (200, 201):
            action = "update" if found else "create"
            if status in TEMPORARY:
                raise StoreError(
                    f"{temporary(self.title, status)} when asked to {action} the identity provider "
                    f"{self.options.idp_name!r}" + (f": {self.describe_error(status, body)}" if body else ""),
                    hint="run the same command again later; if sign-in through "
                    f"{self.title} fails meanwhile, `ssoctl secrets rotate` with this store writes a fresh secret",
                )
            raise StoreError(
                f"{self.title} refused to {action} the identity provider "
                f"{self.options.idp_name!r}: {self.describe_error(status, body)}",
                hint=f"fix it in {self.title}, then run the same command again",
            )
        self.current = self.state(body)
        self._written = creds.client_secret

    def _try_write(self, found: ProviderState | None, creds: Credentials) -> tuple[int, Any]:
        """`write`, with no answer at all as status 0 (the request may have landed)."""
        try:
            return self.write(found, creds)
        except PortalUnreachable:
            return 0, None

    def load(self, ref: CredentialRef) -> Credentials | None:
        """The app the provider is set up for, when it is enabled and set up as ssoctl keeps it.

        The portal never shows a secret back: after this process wrote one, the provider is read
        again and, if it still is the one written, that secret (kept in memory) is returned, so a
        rotation can prove it with a token request; otherwise the secret is empty."""
        if self._written is not None:
            # A read failing now (a rate limit, a dropped line) says nothing against the write the
            # portal just confirmed (`self.current` is its answer). Reporting "not held" would make
            # a rotation undo a secret the provider already has, leaving it with one Entra no
            # longer knows and no way to put the previous one back.
            with contextlib.suppress(StoreError):
                self.current = self.find()
        current = self.current
        if current is None or not current.enabled or not current.client_id:
            return None
        have = self.shown(current)
        if any(have.get(k) != v for k, v in self.desired().items() if v != "{appId}"):
            return None  # drifted (renamed scopes, protocol…): the next write puts it right
        return Credentials(
            client_id=current.client_id, tenant_id=ref.tenant_id, client_secret=self._written or Secret("")
        )

    def delete(self, ref: CredentialRef) -> None:
        """A replaced secret needs no deleting: the provider holds only the newest one."""

    def close(self) -> None:
        """Stop a sandbox fake this store started (nothing for a real portal)."""

    # What each portal fills in ---------------------------------------------------------------
    @property
    def place(self) -> str:
        raise NotImplementedError

    def authenticate(self) -> None:
        raise NotImplementedError

    def find(self) -> ProviderState | None:
        raise NotImplementedError

    def write(self, found: ProviderState | None, creds: Credentials) -> tuple[int, Any]:
        raise NotImplementedError

    def state(self, raw: JSON) -> ProviderState:
        raise NotImplementedError

    def describe_error(self, status: int, body: Any) -> str:
        raise NotImplementedError

    def desired(self) -> dict[str, str]:
        """The provider's settings ssoctl keeps, for the plan (never the secret)."""
        raise NotImplementedError

    def shown(self, current: ProviderState) -> dict[str, str]:
        raise NotImplementedError

    def remove(self, idp_id: str) -> bool:
        """Delete the provider with this id (unregister); False when it was already gone."""
        raise NotImplementedError

    def check_removed(self, status: int, body: Any) -> bool:
        if status in (200, 204):
            return True
        if status == 404:
            return False
        raise StoreError(
            f"{self.title} refused to delete the identity provider: {self.describe_error(status, body)}",
            hint=f"delete it in the {self.title} admin console, or run the command again",
        )


class PingOneStore(PortalApiStore):
    """A PingOne (platform) environment's MICROSOFT identity provider, through a worker app."""

    kind = "pingone"
    title = "PingOne"

    def __init__(
        self,
        options: ProviderOptions,
        env: Mapping[str, str],
        *,
        worker: tuple[str, str] | None = None,
        on_close: Any = None,
    ) -> None:
        super().__init__(options)
        if not options.pingone_env:
            raise UsageError(
                "--store pingone needs --pingone-env ENV_ID",
                hint="the environment ID is in the PingOne admin console → Environment → Properties",
            )
        region = (options.pingone_region or "com").lower()
        if region not in PINGONE_REGIONS:
            raise UsageError(
                f"--pingone-region {options.pingone_region!r} is not known",
                hint=f"use one of: {', '.join(PINGONE_REGIONS)}",
            )
        self.env_id = options.pingone_env
        self.api_url = check_base_url(
            options.pingone_api_url or f"https://api.pingone.{region}/v1", what="--pingone-api-url"
        )
        self.auth_url = check_base_url(
            options.pingone_auth_url or f"https://auth.pingone.{region}", what="--pingone-auth-url"
        )
        self._worker = worker
        self._env = env
        self._token: Secret | None = None
        self._on_close = on_close

    def _worker_credentials(self, env: Mapping[str, str]) -> tuple[str, str]:
        client_id = env.get("PINGONE_CLIENT_ID") or _from_keyring(f"pingone:{self.env_id}/client_id")
        secret = env.get("PINGONE_CLIENT_SECRET") or _from_keyring(f"pingone:{self.env_id}/client_secret")
        if not client_id or not secret:
            missing = "PINGONE_CLIENT_ID" if not client_id else "PINGONE_CLIENT_SECRET"
            raise UsageError(
                f"{missing} is not set: --store pingone needs a PingOne worker app's client credentials",
                hint="set PINGONE_CLIENT_ID and PINGONE_CLIENT_SECRET (a worker app with the Identity Data Admin "
                f"role), or keep them in the OS keyring as ssoctl / pingone:{self.env_id}/client_id and …/client_secret",
            )
        return client_id, secret

    def close(self) -> None:
        if self._on_close:
            self._on_close()

    @property
    def place(self) -> str:
        return self.env_id

    def _idps_url(self) -> str:
        return f"{self.api_url}/environments/{urllib.parse.quote(self.env_id)}/identityProviders"

    def authenticate(self) -> None:
        client_id, secret = self._worker or self._worker_credentials(self._env)
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        status, body = self.http.call(
            "POST",
            f"{self.auth_url}/{urllib.parse.quote(self.env_id)}/as/token",
            headers={"Authorization": f"Basic {basic}"},
            form={"grant_type": "client_credentials"},
        )
        if status in TEMPORARY:
            raise StoreError(
                f"{temporary('PingOne', status)} at its token endpoint for environment {self.env_id}. "
                "Nothing was changed",
                hint="run the same command again later",
            )
        if status != 200 or not isinstance(body, dict) or not body.get("access_token"):
            why = (
                (body.get("error_description") or body.get("error") or f"HTTP {status}")
                if isinstance(body, dict)
                else f"HTTP {status}"
            )
            raise StoreError(
                f"PingOne refused the worker app's credentials (PINGONE_CLIENT_ID / PINGONE_CLIENT_SECRET) "
                f"for environment {self.env_id}: {why}. Nothing was changed",
                hint="check the worker app's client ID and secret in PingOne → Applications, and --pingone-env / --pingone-region",
            )
        self._token = Secret(str(body["access_token"]))

    def _headers(self) -> dict[str, str]:
        assert self._token is not None
        return {"Authorization": f"Bearer {self._token.reveal()}"}

    def describe_error(self, status: int, body: Any) -> str:
        if isinstance(body, dict) and "code" in body:
            details = "; ".join(
                f"{d.get('target', '')}: {d.get('message', '')}"
                for d in body.get("details") or []
                if isinstance(d, dict)
            )
            return f"{body.get('code')} {body.get('message', '')}" + (f" ({details})" if details else "")
        return f"HTTP {status}"

    def find(self) -> ProviderState | None:
        status, body = self.http.call("GET", self._idps_url(), headers=self._headers())
        if status in TEMPORARY:
            raise StoreError(
                f"{temporary('PingOne', status)} listing identity providers in environment {self.env_id}",
                hint="run the same command again later",
            )
        if status != 200 or not isinstance(body, dict):
            raise StoreError(
                f"PingOne refused to list identity providers in environment {self.env_id}: {self.describe_error(status, body)}",
                hint="the worker app needs the Identity Data Admin (or Environment Admin) role in that environment",
            )
        items = (body.get("_embedded") or {}).get("identityProviders") or []
        named = [i for i in items if i.get("type") == "MICROSOFT" and i.get("name") == self.options.idp_name]
        return self.state(named[0]) if named else None

    def state(self, raw: JSON) -> ProviderState:
        return ProviderState(
            str(raw["id"]),
            str(raw.get("name", "")),
            bool(raw.get("enabled")),
            str(raw.get("clientId") or ""),
            raw,
        )

    def write(self, found: ProviderState | None, creds: Credentials) -> tuple[int, Any]:
        body = {
            "type": "MICROSOFT",
            "name": self.options.idp_name,
            "enabled": True,
            "clientId": creds.client_id,
            "clientSecret": creds.client_secret.reveal(),
        }
        if found is None:
            return self.http.call("POST", self._idps_url(), headers=self._headers(), body=body)
        if found.raw.get("description"):
            body["description"] = found.raw["description"]
        return self.http.call("PUT", f"{self._idps_url()}/{found.idp_id}", headers=self._headers(), body=body)

    def desired(self) -> dict[str, str]:
        return {"type": "MICROSOFT", "name": self.options.idp_name, "enabled": "true", "clientId": "{appId}"}

    def shown(self, current: ProviderState) -> dict[str, str]:
        return {
            "type": str(current.raw.get("type", "")),
            "name": current.name,
            "enabled": str(current.enabled).lower(),
            "clientId": current.client_id,
        }

    def remove(self, idp_id: str) -> bool:
        self.authenticate()
        url = f"{self._idps_url()}/{urllib.parse.quote(idp_id)}"
        return self.check_removed(*self.http.call("DELETE", url, headers=self._headers()))


OKTA_SCOPES = ["openid", "email", "profile"]


class OktaStore(PortalApiStore):
    """An Okta org's MICROSOFT identity provider, through the Identity Providers API (SSWS token)."""

    kind = "okta"
    title = "Okta"

    def __init__(
        self,
        options: ProviderOptions,
        env: Mapping[str, str],
        *,
        api_base: str | None = None,
        on_close: Any = None,
    ) -> None:
        super().__init__(options)
        if not options.okta_org:
            raise UsageError(
                "--store okta needs --okta-org URL", hint="e.g. --okta-org https://acme.okta.com"
            )
        from ssoctl.portals.base import check_okta_org  # the same check and form as the redirect URI

        self.org = check_okta_org(options.okta_org)
        self.api = api_base or self.org  # where requests go (the sandbox's fake serves another host)
        self._env = env
        self._token: Secret | None = None
        self._on_close = on_close

    def close(self) -> None:
        if self._on_close:
            self._on_close()

    @property
    def place(self) -> str:
        return self.org

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            token = self._env.get("OKTA_API_TOKEN") or _from_keyring(f"okta:{self.org}/api_token")
            if not token:
                raise UsageError(
                    "OKTA_API_TOKEN is not set: --store okta needs an Okta API token",
                    hint="create one in Okta → Security → API → Tokens (an admin who may manage identity providers) "
                    "and set OKTA_API_TOKEN",
                )
            self._token = Secret(token)
        return {"Authorization": f"SSWS {self._token.reveal()}"}

    def describe_error(self, status: int, body: Any) -> str:
        if isinstance(body, dict) and "errorCode" in body:
            causes = "; ".join(
                str(c.get("errorSummary", "")) for c in body.get("errorCauses") or [] if isinstance(c, dict)
            )
            return f"{body['errorCode']} {body.get('errorSummary', '')}" + (f" ({causes})" if causes else "")
        return f"HTTP {status}"

    def authenticate(self) -> None:
        """Okta has no token exchange: the first read proves the API token (`find`)."""

    def find(self) -> ProviderState | None:
        query = urllib.parse.urlencode({"q": self.options.idp_name, "type": "MICROSOFT", "limit": "200"})
        status, body = self.http.call("GET", f"{self.api}/api/v1/idps?{query}", headers=self._headers())
        if status == 401:
            raise StoreError(
                f"Okta refused the API token (OKTA_API_TOKEN) for {self.org}: {self.describe_error(status, body)}. "
                "Nothing was changed",
                hint="create a new token in Okta → Security → API → Tokens and set OKTA_API_TOKEN",
            )
        if status in TEMPORARY:
            raise StoreError(
                f"{temporary('Okta', status)} listing identity providers",
                hint="run the same command again later",
            )
        if status != 200 or not isinstance(body, list):
            raise StoreError(
                f"Okta refused to list identity providers: {self.describe_error(status, body)}",
                hint="the token's admin needs permission to manage identity providers (Super or Org Administrator)",
            )
        named = [i for i in body if i.get("type") == "MICROSOFT" and i.get("name") == self.options.idp_name]
        return self.state(named[0]) if named else None

    def state(self, raw: JSON) -> ProviderState:
        client = ((raw.get("protocol") or {}).get("credentials") or {}).get("client") or {}
        return ProviderState(
            str(raw["id"]),
            str(raw.get("name", "")),
            raw.get("status") == "ACTIVE",
            str(client.get("client_id") or ""),
            raw,
        )

    def write(self, found: ProviderState | None, creds: Credentials) -> tuple[int, Any]:
        body: JSON = {
            "type": "MICROSOFT",
            "name": self.options.idp_name,
            "protocol": {
                "type": "OIDC",
                "scopes": OKTA_SCOPES,
                "credentials": {
                    "client": {"client_id": creds.client_id, "client_secret": creds.client_secret.reveal()}
                },
            },
            "policy": {
                "provisioning": {
                    "action": "AUTO",
                    "profileMaster": False,
                    "groups": {"action": "NONE"},
                    "conditions": {"deprovisioned": {"action": "NONE"}, "suspended": {"action": "NONE"}},
                },
                "accountLink": {"filter": None, "action": "AUTO"},
                "subject": {
                    "userNameTemplate": {"template": "idpuser.userPrincipalName"},
                    "filter": None,
                    "matchType": "USERNAME",
                },
                "maxClockSkew": 0,
            },
        }
        if found is None:
            return self.http.call("POST", f"{self.api}/api/v1/idps", headers=self._headers(), body=body)
        # PUT replaces the whole IdP: keep what the admin set (policy, endpoints), change ssoctl's part.
        merged = {k: v for k, v in found.raw.items() if k not in ("_links", "id", "created", "lastUpdated")}
        protocol = dict(merged.get("protocol") or {})
        protocol.update(type="OIDC", scopes=OKTA_SCOPES, credentials=body["protocol"]["credentials"])
        merged.update(type="MICROSOFT", name=self.options.idp_name, protocol=protocol)
        merged.setdefault("policy", body["policy"])
        return self.http.call(
            "PUT", f"{self.api}/api/v1/idps/{found.idp_id}", headers=self._headers(), body=merged
        )

    def desired(self) -> dict[str, str]:
        return {
            "type": "MICROSOFT",
            "name": self.options.idp_name,
            "protocol": "OIDC",
            "scopes": " ".join(OKTA_SCOPES),
            "client_id": "{appId}",
        }

    def shown(self, current: ProviderState) -> dict[str, str]:
        protocol = current.raw.get("protocol") or {}
        return {
            "type": str(current.raw.get("type", "")),
            "name": current.name,
            "protocol": str(protocol.get("type", "")),
            "scopes": " ".join(protocol.get("scopes") or []),
            "client_id": current.client_id,
        }

    def remove(self, idp_id: str) -> bool:
        """Okta deletes only an inactive IdP: deactivate, then delete."""
        url = f"{self.api}/api/v1/idps/{urllib.parse.quote(idp_id)}"
        if not self.check_removed(
            *self.http.call("POST", f"{url}/lifecycle/deactivate", headers=self._headers())
        ):
            return False
        return self.check_removed(*self.http.call("DELETE", url, headers=self._headers()))
