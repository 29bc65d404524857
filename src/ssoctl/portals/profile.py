"""Portal profiles as TOML: the built-in ones (files next to this module) and users' own.

A profile is the vendor guide as data: the app registration's settings, where a required
redirect URI comes from, and the next steps as text with `{client_id}`-style fields. The same
format serves built-ins and users, so `ssoctl portals show emnify --as-toml` prints a file a user
can copy into `SSOCTL_HOME/portals/` and adapt. Every error names the file and line (exit 2).
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssoctl.errors import UsageError
from ssoctl.portals.base import OKTA_ORG, NextStepContext, Portal, split_permissions
from ssoctl.spec import (
    GROUP_MEMBERSHIP_CLAIMS,
    SIGN_IN_AUDIENCES,
    TOKEN_TYPES,
    OptionalClaim,
    PermissionName,
    check_identifier_uri,
    check_redirect_uri,
    parse_permission,
)

# The fields next steps and troubleshooting lines may use, e.g. "Client ID: {client_id}".
NEXT_STEP_FIELDS = (
    "client_id",
    "tenant_id",
    "display_name",
    "secret_to_paste",
    "reveal_command",
    "discovery_url",
)
DEFAULT_STORES = ("keyring", "env-file:PATH", "none")


@dataclass(frozen=True)
class Key:
    """One top-level key: its TOML type, whether it must be there, and what it means."""

    kind: type | tuple[type, ...]
    required: bool = False
    item: type | None = None  # for lists: the type of each item


KEYS: dict[str, Key] = {
    "name": Key(str, required=True),
    "title": Key(str),
    "summary": Key(str),
    "guide": Key(str),
    "sign_in_audience": Key(str, required=True),
    "redirect_uris": Key(list, item=str),
    "redirect_uri_from_portal": Key(str),
    "implicit_access_tokens": Key(bool),
    "implicit_id_tokens": Key(bool),
    "permissions": Key(list, item=str),
    "admin_consent": Key(bool),
    "group_claims": Key(str),
    "identifier_uri": Key(str),
    "shows_discovery_url": Key(bool),
    "stores": Key(list, item=str),
    "next_steps": Key(list, item=str),
    "troubleshooting": Key(list, item=str),
    "optional_claims": Key(dict),
}
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class ProfileError(UsageError):
    """A profile file that cannot be used: `file:line: what is wrong`."""


def _line_of(text: str, key: str, table: str | None = None) -> int | None:
    """The 1-based line where `key = …` is written (inside `[table]` when given)."""
    in_table = table is None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = table is not None and stripped.strip("[] ") == table
            if table is None:
                break  # top-level keys come before the first table
            continue
        if in_table and re.match(rf'^\s*"?{re.escape(key)}"?\s*=', line):
            return number
    if table is not None:  # the table itself
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip().strip("[] ") == table:
                return number
    return None


class _Reader:
    """Reads one profile's values, raising ProfileError with the line of the offending key."""

    def __init__(self, text: str, origin: str) -> None:
        self.text, self.origin = text, origin

    def fail(
        self, message: str, key: str | None = None, table: str | None = None, hint: str | None = None
    ) -> ProfileError:
        line = _line_of(self.text, key, table) if key else None
        where = f"{self.origin}:{line}" if line else self.origin
        return ProfileError(
            f"{where}: {message}",
            hint=hint
            or "see docs/portals.md for the profile format (`ssoctl portals show emnify --as-toml`)",
        )

    def parse(self) -> dict[str, Any]:
        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"at line (\d+)", str(exc))
            where = f"{self.origin}:{match.group(1)}" if match else self.origin
            reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
            raise ProfileError(
                f"{where}: not valid TOML: {reason}", hint="fix the TOML syntax on that line"
            ) from None
        for key, value in data.items():
            spec = KEYS.get(key)
            if spec is None:
                raise self.fail(f"unknown key {key!r}", key, hint=f"known keys: {', '.join(KEYS)}")
            if not isinstance(value, spec.kind) or (spec.kind is not bool and isinstance(value, bool)):
                raise self.fail(f"{key} must be {_kind_name(spec)}", key)
            if spec.item and isinstance(value, list) and not all(isinstance(v, spec.item) for v in value):
                raise self.fail(f"{key} must be {_kind_name(spec)}", key)
        for key, spec in KEYS.items():
            if spec.required and key not in data:
                raise self.fail(
                    f"the required key {key!r} is missing", hint=f'add e.g. {key} = "…" at the top'
                )
        return data

    def check(self, key: str, check: Callable[[Any], Any], value: Any, table: str | None = None) -> Any:
        """Run a spec check, turning its UsageError into one that names this file and line."""
        try:
            return check(value)
        except UsageError as exc:
            raise self.fail(exc.message, key, table, hint=exc.hint) from None


def _kind_name(spec: Key) -> str:
    if spec.kind is list:
        return "a list of strings"
    if spec.kind is dict:
        return "a table"
    return {str: "a string", bool: "true or false"}[spec.kind]  # type: ignore[index]


def _optional_claims(reader: _Reader, raw: Mapping[str, Any]) -> tuple[OptionalClaim, ...]:
    claims: list[OptionalClaim] = []
    for token, names in raw.items():
        if token not in TOKEN_TYPES:
            raise reader.fail(
                f"optional_claims.{token}: unknown token type",
                token,
                "optional_claims",
                hint=f"use {', '.join(TOKEN_TYPES)}",
            )
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise reader.fail(
                f"optional_claims.{token} must be a list of claim names", token, "optional_claims"
            )
        claims += [OptionalClaim(token=token, name=n) for n in names]
    return tuple(claims)


def _templates(reader: _Reader, key: str, lines: list[str]) -> tuple[str, ...]:
    """Next-step lines: `{field}`s must be known, so a typo fails when the profile is read."""
    for line in lines:
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(line) if name is not None}
        except ValueError as exc:
            raise reader.fail(
                f"{key}: {exc} in {line!r}", key, hint="write a literal brace as {{ or }}"
            ) from None
        unknown = sorted(fields - set(NEXT_STEP_FIELDS))
        if unknown:
            raise reader.fail(
                f"{key}: unknown field {{{unknown[0]}}}",
                key,
                hint=f"fields: {', '.join('{' + f + '}' for f in NEXT_STEP_FIELDS)}",
            )
    return tuple(lines)


def _next_steps(lines: tuple[str, ...]) -> Callable[[NextStepContext], list[str]]:
    def next_steps(ctx: NextStepContext) -> list[str]:
        values = {
            "client_id": ctx.client_id,
            "tenant_id": ctx.tenant_id,
            "display_name": ctx.display_name,
            "secret_to_paste": ctx.secret_to_paste,
            "reveal_command": ctx.reveal_command,
            "discovery_url": ctx.discovery_url,
        }
        return [line.format(**values) for line in lines]

    return next_steps


def parse_profile(text: str, origin: str) -> Portal:
    """A profile's TOML text → Portal. `origin` names it in errors (`built-in` or the path)."""
    reader = _Reader(text, origin)
    data = reader.parse()
    name = str(data["name"]).strip().lower()
    if not _NAME.match(name):
        raise reader.fail(
            f"name {data['name']!r} must be lower-case letters, digits and '-' (at most 40)", "name"
        )
    audience = data["sign_in_audience"]
    if audience not in SIGN_IN_AUDIENCES:
        raise reader.fail(
            f"sign_in_audience {audience!r} is not known",
            "sign_in_audience",
            hint=f"use one of: {', '.join(SIGN_IN_AUDIENCES)}",
        )
    group_claims = data.get("group_claims")
    if group_claims is not None and group_claims not in GROUP_MEMBERSHIP_CLAIMS:
        raise reader.fail(
            f"group_claims {group_claims!r} is not known",
            "group_claims",
            hint=f"use one of: {', '.join(GROUP_MEMBERSHIP_CLAIMS)}",
        )
    redirect_uris = tuple(data.get("redirect_uris", ()))
    for uri in redirect_uris:
        reader.check("redirect_uris", check_redirect_uri, uri.replace(OKTA_ORG, "https://org.example"))
    identifier_uri = str(data.get("identifier_uri", ""))
    if identifier_uri:
        reader.check("identifier_uri", check_identifier_uri, identifier_uri)
    names: tuple[PermissionName, ...] = tuple(
        reader.check("permissions", parse_permission, p) for p in data.get("permissions", ())
    )
    known, unresolved = split_permissions(names)
    admin_consent = bool(data.get("admin_consent", False))
    steps = _templates(reader, "next_steps", list(data.get("next_steps", ())))
    troubleshooting = _templates(reader, "troubleshooting", list(data.get("troubleshooting", ())))
    if any("{" in line for line in troubleshooting):
        raise reader.fail("troubleshooting lines take no {fields}", "troubleshooting")
    return Portal(
        name=name,
        title=str(data.get("title") or name),
        guide=str(data.get("guide", "")),
        summary=str(data.get("summary", "")),
        sign_in_audience=audience,
        redirect_uris=redirect_uris,
        implicit_access_tokens=bool(data.get("implicit_access_tokens", False)),
        implicit_id_tokens=bool(data.get("implicit_id_tokens", False)),
        optional_claims=_optional_claims(reader, data.get("optional_claims", {})),
        permissions=known,
        expose_api=identifier_uri == "api://{appId}",
        next_steps=_next_steps(steps),
        troubleshooting=troubleshooting,
        stores=tuple(data.get("stores", DEFAULT_STORES)),
        admin_consent=admin_consent,
        group_claims=group_claims,
        redirect_uri_from_portal=str(data.get("redirect_uri_from_portal", "")),
        shows_discovery_url=bool(data.get("shows_discovery_url", False)),
        identifier_uri="" if identifier_uri == "api://{appId}" else identifier_uri,
        unresolved=unresolved,
        origin=origin,
        source=text,
    )


def load_profile_file(path: Path) -> Portal:
    """A user's profile file; unreadable or invalid → ProfileError (exit 2)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(
            f"cannot read portal profile {path}: {getattr(exc, 'strerror', None) or exc}",
            hint="check the path given to --portal-file",
        ) from None
    return parse_profile(text, str(path))


def builtin_profiles() -> list[Portal]:
    """The profiles shipped with ssoctl (`portals/*.toml`), in name order."""
    here = Path(__file__).parent
    return [parse_profile(p.read_text(encoding="utf-8"), "built-in") for p in sorted(here.glob("*.toml"))]


def user_profiles(home: Path) -> list[Portal]:
    """Profiles in `SSOCTL_HOME/portals/*.toml`, in file order; an invalid one is an error."""
    folder = home / "portals"
    if not folder.is_dir():
        return []
    return [load_profile_file(p) for p in sorted(folder.glob("*.toml"))]


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_list(values: tuple[str, ...] | list[str]) -> str:
    if not values:
        return "[]"
    return "[\n" + "".join(f"    {_toml_string(v)},\n" for v in values) + "]"


def to_toml(portal: Portal) -> str:
    """The profile as TOML a user can copy: its own file text, or written out for a Python profile."""
    if portal.source:
        return portal.source
    placeholders = NextStepContext(
        client_id="{client_id}",
        tenant_id="{tenant_id}",
        display_name="{display_name}",
        reveal_command="{reveal_command}",
        secret_location="store",
        discovery_url="{discovery_url}",
    )
    permissions = [
        f"Microsoft Graph/{p.name}" + (" (application)" if p.type == "Role" else "")
        if p.resource_app_id == "00000003-0000-0000-c000-000000000000" and p.name
        else f"{p.resource_app_id}/{p.name or p.id}" + (" (application)" if p.type == "Role" else "")
        for p in portal.permissions
    ] + [str(n) for n in portal.unresolved]
    identifier = portal.identifier_uri or ("api://{appId}" if portal.expose_api else "")
    lines = [
        f"name = {_toml_string(portal.name)}",
        f"title = {_toml_string(portal.title)}",
        f"summary = {_toml_string(portal.summary)}",
        f"guide = {_toml_string(portal.guide)}",
        f"sign_in_audience = {_toml_string(portal.sign_in_audience)}",
        f"redirect_uris = {_toml_list(portal.redirect_uris)}",
        f"implicit_access_tokens = {str(portal.implicit_access_tokens).lower()}",
        f"implicit_id_tokens = {str(portal.implicit_id_tokens).lower()}",
        f"permissions = {_toml_list(permissions)}",
        f"admin_consent = {str(portal.admin_consent).lower()}",
    ]
    if identifier:
        lines.append(f"identifier_uri = {_toml_string(identifier)}")
    if portal.group_claims:
        lines.append(f"group_claims = {_toml_string(portal.group_claims)}")
    if portal.redirect_uri_from_portal:
        lines.append(f"redirect_uri_from_portal = {_toml_string(portal.redirect_uri_from_portal)}")
    if portal.shows_discovery_url:
        lines.append("shows_discovery_url = true")
    lines.append(f"stores = {_toml_list(portal.stores)}")
    steps = [s.replace("{", "{{").replace("}", "}}") for s in portal.next_steps(placeholders)]
    for name in NEXT_STEP_FIELDS:
        steps = [s.replace("{{" + name + "}}", "{" + name + "}") for s in steps]
    lines.append(f"next_steps = {_toml_list(steps)}")
    lines.append(f"troubleshooting = {_toml_list(portal.troubleshooting)}")
    if portal.optional_claims:
        lines.append("\n[optional_claims]")
        for token in TOKEN_TYPES:
            names = [c.name for c in portal.optional_claims if c.token == token]
            if names:
                lines.append(f"{token} = {_toml_list(names)}")
    return "\n".join(lines) + "\n"
