"""Apply files (`ssoctl apply -f FILE`): TOML read with the standard library, validated in full.

The file's top-level keys are defaults for every `[[registration]]` table; each table is one
`azure register` with the same options in snake_case. Everything is checked before anything is
read from or written to a tenant, and every problem is reported at once with its line, so a CI
run fails on its first attempt with the whole list instead of one error per push.

tomllib gives a line only for syntax errors; for keys it gives none, so `_KeyLines` finds them
with a light scan of the text (table headers and `key =` lines). That is enough for the flat
tables an apply file has.

Precedence for a registration's setting: its own key, then the command-line flag (`--tenant`,
`--cloud`), then the file's top level, then the environment (`AZURE_TENANT_ID`, `SSOCTL_CLOUD`).
Relative `env-file:` paths are relative to the file, not to the working directory.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssoctl.commands.register import RegisterOptions, portal_options
from ssoctl.config import CLOUDS, check_tenant, ssoctl_home
from ssoctl.errors import UsageError
from ssoctl.portals import federated_directory as fd
from ssoctl.portals import find_portal
from ssoctl.spec import (
    SECRET_DAYS_DEFAULT,
    SECRET_DAYS_MAX,
    SECRET_DAYS_MIN,
    env_prefix,
    parse_optional_claim,
    parse_permission,
    sign_in_audience,
)
from ssoctl.stores import parse_store

TABLE = "registration"
# Every key a [[registration]] table (or the top level, as a default) may hold.
STRING_KEYS = (
    "portal",
    "portal_file",
    "name",
    "group_claims",
    "store",
    "tenant",
    "cloud",
    "audience",
    "identifier_uri",
    "okta_org",
    "pingone_env",
    "pingone_region",
    "pingone_api_url",
    "pingone_auth_url",
    "token_env",
    "scope",
    "fd_base_url",
)
LIST_KEYS = ("redirect_uris", "permissions", "optional_claims")
BOOL_KEYS = ("implicit_access_tokens", "implicit_id_tokens", "admin_consent", "tenant_only")
KEYS = (*STRING_KEYS[:3], "redirect_uris", "secret_days", *STRING_KEYS[3:], *LIST_KEYS[1:], *BOOL_KEYS)
GROUP_CLAIMS = {"security": "SecurityGroup", "all": "All"}
# Federated Directory is provisioned (`azure provision`), not only registered; its SCIM token
# comes from the environment variable a registration names in `token_env`.
PROVISIONED_PORTAL = "federated-directory"
# What such an entry may set in its own table (top-level defaults for registrations are ignored).
PROVISION_KEYS = ("portal", "store", "tenant", "cloud", "token_env", "scope", "fd_base_url")
PROVISION_SCOPES = ("assigned", "all")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file, at a line when one is known."""

    line: int | None
    message: str

    def render(self, file: str) -> str:
        return f"{file}:{self.line}: {self.message}" if self.line else f"{file}: {self.message}"


class ApplyFileError(UsageError):
    """The file is not valid: every problem, each with its line. Nothing was read or changed."""

    code = "invalid_apply_file"

    def __init__(self, file: str, problems: list[Problem]) -> None:
        lines = "\n".join(f"  {p.render(file)}" for p in problems)
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        super().__init__(
            f"{file} is not a valid apply file ({count}); nothing was changed:\n{lines}",
            hint="fix the lines above, then run again; `ssoctl apply -f FILE --plan` checks a file",
        )
        self.file = file
        self.problems = problems


@dataclass(frozen=True)
class Entry:
    """One registration of the file, with every setting resolved by the precedence rules."""

    index: int  # 1-based position in the file
    line: int  # the line of its [[registration]] header
    options: RegisterOptions
    unique_name: str  # the app's Graph key: two entries with one key in one tenant are one app
    env_prefix: str  # the keys it writes in an env file
    token_env: str | None = None  # federated-directory: the variable holding its SCIM token
    scope: str = "assigned"  # federated-directory: who is provisioned (assigned | all)
    fd_base_url: str | None = None  # federated-directory: its Tenant URL (default: the real API)

    @property
    def provisioned(self) -> bool:
        """A federated-directory entry: one `azure provision`, not an `azure register`."""
        return (self.options.portal or "").lower() == PROVISIONED_PORTAL and self.options.portal_file is None


@dataclass(frozen=True)
class ApplyFile:
    path: Path
    entries: tuple[Entry, ...] = field(default_factory=tuple)

    def shard(self, k: int, n: int) -> tuple[Entry, ...]:
        """Every n-th registration starting at the k-th (1 <= k <= n): one job of an n-job matrix."""
        return tuple(e for e in self.entries if (e.index - 1) % n == k - 1)


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` with 1 <= K <= N, else a UsageError saying how to write it."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if match is None:
        raise UsageError(f"--shard {text!r} is not K/N", hint="e.g. --shard 2/4: the 2nd of 4 jobs")
    k, n = int(match.group(1)), int(match.group(2))
    if not 1 <= k <= n:
        raise UsageError(f"--shard {text}: K must be between 1 and N", hint="e.g. --shard 1/4 … --shard 4/4")
    return k, n


# -- where keys are --------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*[.=]""")


class _KeyLines:
    """Lines of keys, found by scanning the text (tomllib does not report them).

    Tracks the table each line belongs to: the top level, the n-th `[[registration]]`, or some
    other table. Multi-line strings and arrays may hide a `key =` look-alike; the first match
    wins, which is the real key in every apply file we know of.
    """

    def __init__(self, text: str) -> None:
        self.top: dict[str, int] = {}
        self.tables: list[int] = []  # header line of each [[registration]]
        self.in_table: list[dict[str, int]] = []
        self.other_tables: dict[str, int] = {}
        where: dict[str, int] | None = self.top
        depth = 0  # open brackets of a multi-line array: its lines are values, not keys
        for number, line in enumerate(text.splitlines(), 1):
            stripped = line.split("#", 1)[0] if '"' not in line and "'" not in line else line
            if depth == 0:
                header = _HEADER.match(line)
                if header:
                    name = header.group(2).strip().strip("\"'")
                    if header.group(1) == "[[" and name == TABLE:
                        self.tables.append(number)
                        self.in_table.append({})
                        where = self.in_table[-1]
                    else:
                        self.other_tables.setdefault(name, number)
                        where = None
                    continue
                key = _KEY.match(line)
                if key and where is not None:
                    where.setdefault(key.group(1).strip("\"'"), number)
            depth = max(0, depth + stripped.count("[") - stripped.count("]"))

    def key(self, table: int | None, key: str) -> int | None:
        """The line of `key` in registration `table` (0-based), or at the top level (None)."""
        if table is None:
            return self.top.get(key) or self.other_tables.get(key)
        if table < len(self.in_table):
            found = self.in_table[table].get(key)
            if found is None and f"{TABLE}.{key}" in self.other_tables:
                return self.other_tables[f"{TABLE}.{key}"]
            return found or self.tables[table]
        return None

    def table(self, table: int) -> int | None:
        return self.tables[table] if table < len(self.tables) else None


# -- checking one value ----------------------------------------------------------------------


def _suggest(key: str) -> str:
    close = difflib.get_close_matches(key.replace("-", "_").lower(), KEYS, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else f"; known keys: {', '.join(KEYS)}"


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}.get(
        type(value), "a table" if isinstance(value, dict) else type(value).__name__
    )


class _Checker:
    """Collects problems while resolving one registration's settings."""

    def __init__(self, lines: _KeyLines, problems: list[Problem]) -> None:
        self.lines = lines
        self.problems = problems

    def add(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(line, message))

    def string(self, raw: Mapping[str, Any], key: str, where: str, line: int | None) -> str | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            shown = "an empty string" if isinstance(value, str) else _type_name(value)
            self.add(line, f"{where}: {key} must be a non-empty string, not {shown}")
            return None
        return value.strip()


def _default_string(defaults: Mapping[str, Any], key: str) -> str | None:
    """A top-level string default (a bad one is reported once, at the top level)."""
    value = defaults.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _resolve_store(value: str, base: Path) -> str:
    """`env-file:REL` relative to the apply file's folder; other stores as written."""
    kind, sep, rest = value.partition(":")
    if kind.strip().lower() == "env-file" and sep and rest.strip():
        path = os.path.expanduser(rest.strip())
        if not os.path.isabs(path):
            path = os.path.normpath(os.path.join(base, path))
        return f"env-file:{path}"
    return value


_FLAG = re.compile(r"--([a-z][a-z-]*)")


def _in_file_words(text: str) -> str:
    """A register error in the file's words: `--redirect-uri` → `redirect_uris`, and so on."""
    renamed = {
        "redirect_uri": "redirect_uris",
        "permission": "permissions",
        "optional_claim": "optional_claims",
    }

    def key(match: re.Match[str]) -> str:
        name = match.group(1).replace("-", "_")
        return renamed.get(name, name)

    return _FLAG.sub(key, text)


# Words in register's errors that name the setting they are about, when no --flag is named.
_TOPICS = (
    ("redirect uri", "redirect_uris"),
    ("identifier uri", "identifier_uri"),
    ("optional claim", "optional_claims"),
    ("permission", "permissions"),
    ("audience", "audience"),
    ("okta", "okta_org"),
    ("pingone environment", "pingone_env"),
    ("region", "pingone_region"),
    ("group claims", "group_claims"),
    ("display name", "name"),
)


def _blamed_key(text: str, given: set[str]) -> str | None:
    """The file key a register error is about (its first `--flag`, else its topic), if set."""
    for match in _FLAG.finditer(text):
        name = _in_file_words(match.group(0))
        if name in given:
            return name
    lowered = text.lower()
    for words, key in _TOPICS:
        if words in lowered and key in given:
            return key
    return None


def _entry(
    index: int,
    raw: Mapping[str, Any],
    defaults: Mapping[str, Any],
    check: _Checker,
    *,
    base: Path,
    home: Path,
    tenant_flag: str | None,
    cloud_flag: str | None,
    env: Mapping[str, str],
) -> Entry | None:
    """Resolve and check registration `index` (0-based); None when it has problems."""
    lines = check.lines
    header = lines.table(index) or 0
    where = f"registration {index + 1}"
    before = len(check.problems)

    for key in raw:
        if key not in KEYS:
            check.add(lines.key(index, key), f"{where}: unknown key {key!r} in [[{TABLE}]]{_suggest(key)}")

    def line_of(key: str) -> int | None:
        """A registration's own key, else the top-level default it inherits."""
        return lines.key(index, key) if key in raw else (lines.key(None, key) or header)

    merged = {
        **{k: v for k, v in defaults.items() if k in KEYS},
        **{k: v for k, v in raw.items() if k in KEYS},
    }
    # --tenant and --cloud come between the registration's own key and the file's default.
    for key, flag in (("tenant", tenant_flag), ("cloud", cloud_flag)):
        if key not in raw:
            merged.pop(key, None)
            chosen = flag or _default_string(defaults, key)
            if chosen is not None:
                merged[key] = chosen

    strings: dict[str, str | None] = {}
    for key in STRING_KEYS:
        if key == "identifier_uri" and merged.get(key) == "":
            strings[key] = ""  # "" removes the profile's identifier URI, as --identifier-uri '' does
        else:
            strings[key] = check.string(merged, key, where, line_of(key))
    lists: dict[str, tuple[str, ...]] = {}
    value: Any
    for key in LIST_KEYS:
        value = merged.get(key)
        if isinstance(value, str):
            value = [value]  # one value may be written without the brackets
        if value is None:
            lists[key] = ()
        elif isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
            lists[key] = tuple(v.strip() for v in value)
        else:
            check.add(line_of(key), f'{where}: {key} must be an array of strings, e.g. {key} = ["…"]')
            lists[key] = ()
    flags: dict[str, bool | None] = {}
    for key in BOOL_KEYS:
        value = merged.get(key)
        if value is not None and not isinstance(value, bool):
            check.add(line_of(key), f"{where}: {key} must be true or false, not {_type_name(value)}")
            value = None
        flags[key] = value

    portal_name = strings["portal"]
    if portal_name is None and strings["portal_file"] is None and "portal" not in merged:
        check.add(header, f'{where}: portal is missing (e.g. portal = "emnify"; see `ssoctl portals list`)')
    portal_file = None
    if strings["portal_file"] is not None:
        portal_file = Path(os.path.expanduser(strings["portal_file"]))
        if not portal_file.is_absolute():
            portal_file = base / portal_file
    portal = None
    provisioned = (
        portal_name is not None and portal_name.lower() == PROVISIONED_PORTAL and portal_file is None
    )
    if provisioned:
        pass  # no app registration profile: checked by _provision_entry below
    elif portal_name is not None or portal_file is not None:
        try:
            portal = find_portal(portal_name, home=home, portal_file=portal_file)
        except UsageError as exc:
            key = "portal_file" if portal_file is not None else "portal"
            check.add(
                line_of(key), f"{where}: {_in_file_words(exc.message)}; {_in_file_words(exc.hint or '')}"
            )

    group_claims = None
    claims = strings["group_claims"]
    if claims is not None:
        if claims.lower() not in GROUP_CLAIMS:
            check.add(
                line_of("group_claims"), f"{where}: group_claims {claims!r} is not known; use security or all"
            )
        else:
            group_claims = GROUP_CLAIMS[claims.lower()]

    secret_days = SECRET_DAYS_DEFAULT
    days = merged.get("secret_days")
    if days is not None:
        if isinstance(days, bool) or not isinstance(days, int):
            check.add(
                line_of("secret_days"),
                f"{where}: secret_days must be a whole number of days, not {_type_name(days)}",
            )
        elif not SECRET_DAYS_MIN <= days <= SECRET_DAYS_MAX:
            check.add(
                line_of("secret_days"),
                f"{where}: secret_days {days} is out of range; choose {SECRET_DAYS_MIN}..{SECRET_DAYS_MAX}",
            )
        else:
            secret_days = days

    store = strings["store"]
    if store is not None:
        store = _resolve_store(store, base)
        try:
            spec = parse_store(store)
        except UsageError as exc:
            text = exc.message.replace("--store", "store")
            hint = (exc.hint or "").replace(", none", "").replace("--store ", "store = ")
            check.add(line_of("store"), f"{where}: {text}; {hint}")
        else:
            if spec.kind == "none":
                check.add(
                    line_of("store"),
                    f'{where}: store "none" would keep the new secret nowhere (apply never prints '
                    "secrets); use keyring or env-file:PATH",
                )

    parsers: tuple[tuple[str, Callable[[str], object], tuple[str, ...]], ...] = (
        ("audience", sign_in_audience, (strings["audience"],) if strings["audience"] else ()),
        ("optional_claims", parse_optional_claim, lists["optional_claims"]),
        ("permissions", parse_permission, lists["permissions"]),
    )
    for key, parse, values in parsers:  # each value on its own, so each problem names its key
        for text in values:
            try:
                parse(text)
            except UsageError as exc:
                hint = f"; {_in_file_words(exc.hint)}" if exc.hint else ""
                check.add(line_of(key), f"{where}: {_in_file_words(exc.message)}{hint}")

    tenant = strings["tenant"]
    if tenant is not None and ("tenant" in raw or (not tenant_flag and "tenant" in defaults)):
        try:  # a --tenant flag is checked as a flag, AZURE_TENANT_ID as the environment
            check_tenant(tenant, source="tenant")
        except UsageError as exc:
            check.add(line_of("tenant"), f"{where}: {exc.message}; {_in_file_words(exc.hint or '')}")

    cloud = strings["cloud"]
    if cloud is not None and cloud.lower() not in CLOUDS:
        check.add(line_of("cloud"), f"{where}: cloud {cloud!r} is not known; use one of {', '.join(CLOUDS)}")

    token_env = strings["token_env"]
    if provisioned:
        return _provision_entry(index, raw, strings, check, line_of, before, store=store, env=env)
    for key in ("token_env", "scope", "fd_base_url"):
        if strings[key] is not None and key in raw:
            check.add(line_of(key), f"{where}: {key} is only for portal {PROVISIONED_PORTAL!r}")

    if len(check.problems) > before or portal is None:
        return None
    options = RegisterOptions(
        portal=portal_name,
        name=strings["name"],
        redirect_uris=lists["redirect_uris"],
        group_claims=group_claims,
        secret_days=secret_days,
        store=store,
        tenant=strings["tenant"],
        cloud=cloud.lower() if cloud else None,
        portal_file=portal_file,
        audience=strings["audience"],
        implicit_access_tokens=flags["implicit_access_tokens"],
        implicit_id_tokens=flags["implicit_id_tokens"],
        optional_claims=lists["optional_claims"],
        permissions=lists["permissions"],
        identifier_uri=strings["identifier_uri"],
        admin_consent=flags["admin_consent"],
        okta_org=strings["okta_org"],
        tenant_only=bool(flags["tenant_only"]),
        pingone_env=strings["pingone_env"],
        pingone_region=strings["pingone_region"],
        pingone_api_url=strings["pingone_api_url"],
        pingone_auth_url=strings["pingone_auth_url"],
    )
    try:  # the portal's own rules (a required redirect URI, Entra's URI and name limits, ...)
        built = portal.build_spec(portal_options(options))
    except UsageError as exc:
        text = _in_file_words(exc.message)
        hint = _in_file_words(exc.hint or "").replace("pass redirect_uris URI", 'set redirect_uris = ["URI"]')
        key = _blamed_key(exc.message + " " + (exc.hint or ""), set(merged)) or "name"
        check.add(
            line_of(key) if key in merged else header, f"{where}: {text}" + (f"; {hint}" if hint else "")
        )
        return None
    return Entry(index + 1, header, options, built.unique_name, built.env_prefix, token_env)


def _provision_entry(
    index: int,
    raw: Mapping[str, Any],
    strings: Mapping[str, str | None],
    check: _Checker,
    line_of: Callable[[str], int | None],
    before: int,
    *,
    store: str | None,
    env: Mapping[str, str],
) -> Entry | None:
    """A federated-directory entry: one `azure provision`, its token read from `token_env`.

    apply never prompts and has no stdin for a token, so the variable must be set now: a missing
    one is bad input, found before any request like every other problem of the file."""
    where = f"registration {index + 1}"
    header = check.lines.table(index) or 0
    for key in raw:
        if key in KEYS and key not in PROVISION_KEYS:
            check.add(
                line_of(key),
                f"{where}: {key} is not used by portal {PROVISIONED_PORTAL!r} (it provisions users and "
                f"has no app registration); its keys: {', '.join(PROVISION_KEYS)}",
            )
    token_env = strings["token_env"]
    if token_env is None:
        check.add(
            header,
            f'{where}: portal {PROVISIONED_PORTAL!r} needs token_env = "VAR": the environment variable '
            "holding the Federated Directory directory key access token",
        )
    elif not env.get(token_env, "").strip():
        check.add(
            line_of("token_env"),
            f"{where}: the environment variable {token_env} (token_env) is not set; export the "
            "Federated Directory directory key access token in it",
        )
    scope = (strings["scope"] or "assigned").lower()
    if scope not in PROVISION_SCOPES:
        check.add(line_of("scope"), f"{where}: scope {strings['scope']!r} is not known; use assigned or all")
    base_url = strings["fd_base_url"]
    if base_url is not None:
        try:
            fd.tenant_url(base_url, sandbox=False)
        except UsageError as exc:
            check.add(line_of("fd_base_url"), f"{where}: fd_base_url: {exc.message}")
    if len(check.problems) > before:
        return None
    cloud = strings["cloud"]
    options = RegisterOptions(
        portal=PROVISIONED_PORTAL,
        store=store,
        tenant=strings["tenant"],
        cloud=cloud.lower() if cloud else None,
    )
    prefix = env_prefix(fd.ENTERPRISE_APP)
    return Entry(index + 1, header, options, fd.UNIQUE_NAME, prefix, token_env, scope, base_url)


def _duplicates(entries: list[Entry], env: Mapping[str, str], problems: list[Problem]) -> None:
    """Two registrations that are one app (same portal, name key and tenant), or two that would
    write the same keys of one env file, are refused: they would undo each other."""
    apps: dict[tuple[str, str, str], Entry] = {}
    env_keys: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        opts = entry.options
        tenant = (opts.tenant or env.get("AZURE_TENANT_ID") or "").lower()
        cloud = (opts.cloud or env.get("SSOCTL_CLOUD") or "global").lower()
        first = apps.setdefault((entry.unique_name, tenant, cloud), entry)
        if first is not entry:
            problems.append(
                Problem(
                    entry.line,
                    f"registration {entry.index} is the same app as registration {first.index} "
                    f"(line {first.line}): {entry.unique_name} in "
                    + (f"tenant {opts.tenant or tenant}" if tenant else "the signed-in tenant")
                    + "; give one a different name",
                )
            )
            continue
        store = opts.store or ""
        if store.startswith("env-file:"):
            path = store.removeprefix("env-file:")
            other = env_keys.setdefault((os.path.normcase(path), entry.env_prefix), entry)
            if other is not entry and (other.options.tenant or "") == (opts.tenant or ""):
                problems.append(
                    Problem(
                        entry.line,
                        f"registration {entry.index} would write the same {entry.env_prefix}_* keys of "
                        f"{path} as registration {other.index} (line {other.line}); "
                        "give one a different name or file",
                    )
                )


def load_apply_file(
    path: Path,
    *,
    env: Mapping[str, str],
    tenant_flag: str | None = None,
    cloud_flag: str | None = None,
) -> ApplyFile:
    """Read and check the whole file; raise ApplyFileError listing every problem."""
    shown = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(
            f"apply file {shown} does not exist", hint="give the path of a TOML file: -f FILE"
        ) from None
    except OSError as exc:
        raise UsageError(
            f"cannot read apply file {shown}: {exc.strerror or exc}",
            hint="check the path and its permissions: -f FILE",
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ApplyFileError(shown, [Problem(None, "the file is not UTF-8 text (TOML must be)")]) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # "Expected '=' after a key in a key/value pair (at line 3, column 7)": keep tomllib's words.
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)) if match else str(exc)
        line = int(match.group(1)) if match else None
        where = f"TOML syntax: {message}" + (f" (column {match.group(2)})" if match else "")
        raise ApplyFileError(shown, [Problem(line, where)]) from None

    lines = _KeyLines(text)
    problems: list[Problem] = []
    check = _Checker(lines, problems)
    defaults = {k: v for k, v in doc.items() if k != TABLE}
    for key in defaults:
        if key not in KEYS:
            check.add(lines.key(None, key), f"unknown key {key!r} at the top level{_suggest(key)}")
    for key in ("tenant", "cloud"):  # checked once here, so each registration need not repeat it
        if key in defaults:
            check.string(defaults, key, "top level", lines.key(None, key))
    tables = doc.get(TABLE)
    if tables is None:
        problems.append(Problem(None, f"no [[{TABLE}]] tables: nothing to apply"))
        tables = []
    elif not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append(Problem(lines.key(None, TABLE), f"{TABLE} must be written as [[{TABLE}]] tables"))
        tables = []
    entries: list[Entry] = []
    base = path.resolve().parent
    home = ssoctl_home(env)
    for index, raw in enumerate(tables):
        entry = _entry(
            index,
            raw,
            defaults,
            check,
            base=base,
            home=home,
            tenant_flag=tenant_flag,
            cloud_flag=cloud_flag,
            env=env,
        )
        if entry is not None:
            entries.append(entry)
    _duplicates(entries, env, problems)
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise ApplyFileError(shown, problems)
    return ApplyFile(path, tuple(entries))


__all__ = [
    "KEYS",
    "ApplyFile",
    "ApplyFileError",
    "Entry",
    "Problem",
    "load_apply_file",
    "parse_shard",
]
