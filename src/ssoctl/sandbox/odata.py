"""The slice of OData URL syntax the sandbox understands: segments, keys, $select/$top/$filter.

URLs arrive percent-encoded (msgraph-sdk sends `/applications(uniqueName='o%27%27b')` for the key
o'b), so each path segment is decoded first and then parsed as OData, where a quote inside a
string literal is written twice. A single quote inside a literal is a syntax error, as it is for
Graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from ssoctl.sandbox import graph_errors as ge

_KEYED = re.compile(r"^([A-Za-z_][\w.]*)\((.*)\)$", re.DOTALL)
_NAMED_KEY = re.compile(r"^([A-Za-z_]\w*)=(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Key:
    """A key predicate: `(uniqueName='x')` -> Key("uniqueName", "x"); `('x')` -> Key("id", "x")."""

    name: str
    value: str


Segment = str | Key


def parse_string_literal(text: str) -> str:
    """`'o''b'` -> `o'b`; anything else is Graph's query syntax error."""
    text = text.strip()
    if len(text) < 2 or not text.startswith("'") or not text.endswith("'"):
        raise ge.query_syntax()
    inner = text[1:-1]
    if "'" in inner.replace("''", ""):
        raise ge.query_syntax()
    return inner.replace("''", "'")


def split_path(raw_path: str) -> list[Segment]:
    """Decode a path (without query) into segments; `set(key)` becomes `set`, `Key`."""
    segments: list[Segment] = []
    for raw in raw_path.split("/"):
        if not raw:
            continue
        text = unquote(raw)
        keyed = _KEYED.match(text)
        if not keyed:
            segments.append(text)
            continue
        segments.append(keyed.group(1))
        predicate = keyed.group(2).strip()
        named = _NAMED_KEY.match(predicate)
        if named:
            segments.append(Key(named.group(1), parse_string_literal(named.group(2))))
        else:
            segments.append(Key("id", parse_string_literal(predicate)))
    return segments


@dataclass
class Query:
    """System query options of one request (others are ignored, as Graph ignores unknown ones)."""

    select: list[str] | None = None
    top: int | None = None
    filter: str | None = None
    skiptoken: str | None = None
    raw: dict[str, str] = field(default_factory=dict)


def parse_query(query_string: str) -> Query:
    pairs = parse_qsl(query_string, keep_blank_values=True)
    raw = {k: v for k, v in pairs}
    query = Query(raw=raw)
    for key, value in pairs:
        name = key.lower()
        if name == "$select":
            query.select = [p.strip() for p in value.split(",") if p.strip()]
        elif name == "$top":
            if not re.fullmatch(r"\d+", value.strip()) or not 1 <= int(value) <= 999:
                raise ge.invalid_page_size(value)
            query.top = int(value)
        elif name == "$filter":
            query.filter = value.strip()
        elif name == "$skiptoken":
            query.skiptoken = value
    return query


# $filter: the forms ssoctl and its neighbours use, nothing more. Edm.Guid literals may be bare
# (`resourceId eq 1b2c...`) as OData writes them, or quoted as most clients send them.
_LITERAL = r"'(?:[^']|'')*'"
_GUID_LITERAL = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_EQ = re.compile(rf"^([A-Za-z]\w*)\s+eq\s+({_LITERAL}|{_GUID_LITERAL})$", re.DOTALL)
_IN = re.compile(r"^([A-Za-z]\w*)\s+in\s+\((.*)\)$", re.DOTALL)
_ANY = re.compile(rf"^([A-Za-z]\w*)/any\((\w+):\s*\2\s+eq\s+({_LITERAL})\)$", re.DOTALL)
_STARTSWITH = re.compile(rf"^startswith\(([A-Za-z]\w*),\s*({_LITERAL})\)$", re.DOTALL)
_IN_ITEM = re.compile(rf"\s*({_LITERAL}|{_GUID_LITERAL})\s*(?:,|$)", re.DOTALL)


@dataclass(frozen=True)
class Condition:
    """One filter clause: property, operator (eq | in | any-eq | startswith), literal value(s).

    `values` holds the list of an `in` clause; `value` is its first item (the others' only one).
    """

    prop: str
    op: str
    value: str
    values: tuple[str, ...] = ()


def _literal(text: str) -> str:
    """A quoted string literal, or a bare GUID (which needs no quotes in OData)."""
    return text if re.fullmatch(_GUID_LITERAL, text) else parse_string_literal(text)


def _in_list(text: str) -> tuple[str, ...]:
    """`'a', 'b'` -> ("a", "b"); an empty or malformed list is Graph's query syntax error."""
    values: list[str] = []
    position = 0
    text = text.strip()
    while True:
        item = _IN_ITEM.match(text, position)
        if not item:
            raise ge.query_syntax()
        values.append(_literal(item.group(1)))
        position = item.end()
        if position >= len(text):
            if text.endswith(","):
                raise ge.query_syntax()  # `('a',)`: a comma with nothing after it
            return tuple(values)


def parse_filter(text: str, *, resource: str = "Application") -> list[Condition]:
    """`a eq 'x' and b in ('y','z') and c/any(u:u eq 'y')` -> conditions joined by `and`.

    `resource` names the entity in the 400 for a clause the sandbox cannot read.
    """
    conditions: list[Condition] = []
    for clause in re.split(r"\s+and\s+", text.strip()):
        clause = clause.strip()
        if clause.startswith("(") and clause.endswith(")"):
            clause = clause[1:-1].strip()
        if match := _EQ.match(clause):
            conditions.append(Condition(match.group(1), "eq", _literal(match.group(2))))
        elif match := _IN.match(clause):
            values = _in_list(match.group(2))
            conditions.append(Condition(match.group(1), "in", values[0], values))
        elif match := _ANY.match(clause):
            conditions.append(Condition(match.group(1), "any-eq", parse_string_literal(match.group(3))))
        elif match := _STARTSWITH.match(clause):
            conditions.append(Condition(match.group(1), "startswith", parse_string_literal(match.group(2))))
        else:
            prop = re.match(r"^\(?\s*(?:startswith\()?([A-Za-z]\w*)", clause)
            raise ge.unsupported_filter(prop.group(1) if prop else clause, resource)
    return conditions
