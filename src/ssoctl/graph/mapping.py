"""Graph JSON <-> ssoctl types. Graph's camelCase stays in here (and in graph/client.py).

`application_body` builds the exact upsert body of ../shared/reference/GRAPH.md; `AppState` is the
part of a Graph application ssoctl compares, normalised so that order and Graph's defaults do not
show up as drift.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ssoctl.spec import TOKEN_TYPES, AppSpec, OptionalClaim, Permission

JSON = dict[str, Any]


def identifier_uri(app_id: str) -> str:
    """ "Expose an API → Set" in the portal: the application ID URI `api://{appId}`."""
    return f"api://{app_id}"


def application_body(spec: AppSpec, app_id: str | None) -> JSON:
    """The full desired application as Graph JSON. Collections are sent whole (PATCH replaces them).

    `identifierUris` usually needs the appId, which a new app only gets on creation; then it is
    omitted here and set by a second PATCH. Permissions still named, not resolved, are an error.
    """
    if spec.unresolved:
        raise ValueError(f"permissions not resolved to ids yet: {', '.join(map(str, spec.unresolved))}")
    claims: dict[str, list[JSON]] = {token: [] for token in TOKEN_TYPES}
    for claim in spec.optional_claims:
        claims[claim.token].append(
            {
                "name": claim.name,
                "source": claim.source,
                "essential": claim.essential,
                "additionalProperties": list(claim.additional_properties),
            }
        )
    by_resource: dict[str, list[JSON]] = {}
    for perm in spec.permissions:
        by_resource.setdefault(perm.resource_app_id, []).append({"id": perm.id, "type": perm.type})
    body: JSON = {
        "displayName": spec.display_name,
        "signInAudience": spec.sign_in_audience,
        "web": {
            "redirectUris": list(spec.redirect_uris),
            "implicitGrantSettings": {
                "enableAccessTokenIssuance": spec.implicit_access_tokens,
                "enableIdTokenIssuance": spec.implicit_id_tokens,
            },
        },
        "optionalClaims": claims,
        "requiredResourceAccess": [
            {"resourceAppId": resource, "resourceAccess": access} for resource, access in by_resource.items()
        ],
    }
    if spec.group_membership_claims is not None:
        body["groupMembershipClaims"] = spec.group_membership_claims
    template = spec.identifier_uri_template
    if template and (app_id or "{appId}" not in template):
        body["identifierUris"] = list(spec.identifier_uris(app_id))
    return body


def graph_datetime(value: datetime) -> str:
    """`2027-05-21T00:00:00Z`; a naive datetime is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_FRACTION = re.compile(r"\.(\d+)")


def parse_graph_datetime(text: str) -> datetime:
    """Graph's `2027-05-21T00:00:00.1234567Z` as an aware datetime (any Python >= 3.10)."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PasswordInfo:
    """A client secret's metadata as Graph shows it after creation (the text is never readable)."""

    key_id: str
    display_name: str
    end: datetime | None
    hint: str
    start: datetime | None = None


@dataclass(frozen=True)
class AppState:
    """What exists in the tenant, in the same shape as the parts of AppSpec ssoctl manages."""

    object_id: str
    app_id: str
    display_name: str
    sign_in_audience: str
    redirect_uris: tuple[str, ...]
    implicit_access_tokens: bool
    implicit_id_tokens: bool
    optional_claims: tuple[OptionalClaim, ...]
    permissions: tuple[Permission, ...]
    identifier_uris: tuple[str, ...]
    group_membership_claims: str | None
    passwords: tuple[PasswordInfo, ...]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> AppState:
        web = raw.get("web") or {}
        implicit = web.get("implicitGrantSettings") or {}
        claims_raw = raw.get("optionalClaims") or {}
        claims = [
            OptionalClaim(
                token=token,
                name=c.get("name", ""),
                essential=bool(c.get("essential", False)),
                source=c.get("source"),
                additional_properties=tuple(c.get("additionalProperties") or ()),
            )
            for token in TOKEN_TYPES
            for c in (claims_raw.get(token) or [])
        ]
        perms = [
            Permission(rra.get("resourceAppId", ""), ra.get("id", ""), ra.get("type", "Scope"))
            for rra in raw.get("requiredResourceAccess") or []
            for ra in rra.get("resourceAccess") or []
        ]
        passwords = tuple(
            PasswordInfo(
                key_id=p.get("keyId", ""),
                display_name=p.get("displayName") or "",
                end=parse_graph_datetime(p["endDateTime"]) if p.get("endDateTime") else None,
                hint=p.get("hint") or "",
                start=parse_graph_datetime(p["startDateTime"]) if p.get("startDateTime") else None,
            )
            for p in raw.get("passwordCredentials") or []
        )
        return cls(
            object_id=raw["id"],
            app_id=raw["appId"],
            display_name=raw.get("displayName") or "",
            sign_in_audience=raw.get("signInAudience") or "",
            redirect_uris=tuple(web.get("redirectUris") or ()),
            implicit_access_tokens=bool(implicit.get("enableAccessTokenIssuance")),
            implicit_id_tokens=bool(implicit.get("enableIdTokenIssuance")),
            optional_claims=tuple(sorted(set(claims))),
            permissions=tuple(sorted(set(perms))),
            identifier_uris=tuple(raw.get("identifierUris") or ()),
            group_membership_claims=raw.get("groupMembershipClaims"),
            passwords=passwords,
        )

    def password(self, key_id: str) -> PasswordInfo | None:
        return next((p for p in self.passwords if p.key_id == key_id), None)
