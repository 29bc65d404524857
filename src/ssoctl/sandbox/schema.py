"""Request bodies checked against Microsoft's CSDL (the extract in graph_schema.json).

Graph's OData reader rejects a body before any business rule runs when a property is unknown,
a value has the wrong JSON type, or a non-nullable property is null. This module does the same
walk over the shipped extract (scripts/extract_csdl.py), so a client that sends a misspelt or
mistyped property fails here exactly as it would against graph.microsoft.com.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from ssoctl.ids import is_guid
from ssoctl.sandbox import graph_errors as ge

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?$")
DURATION = re.compile(r"^-?P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
# Directory extension properties on open directory types: extension_<appId without dashes>_<name>.
EXTENSION = re.compile(r"^extension_[0-9a-fA-F]{32}_\w+$")
INT_RANGES = {
    "Edm.Int16": (-(2**15), 2**15 - 1),
    "Edm.Int32": (-(2**31), 2**31 - 1),
    "Edm.Int64": (-(2**63), 2**63 - 1),
    "Edm.Byte": (0, 255),
}


@dataclass(frozen=True)
class Property:
    name: str
    type: str
    nullable: bool
    computed: bool = False
    immutable: bool = False

    @property
    def is_collection(self) -> bool:
        return self.type.startswith("Collection(")

    @property
    def element_type(self) -> str:
        return self.type[len("Collection(") : -1] if self.is_collection else self.type


class Schema:
    """Types of the extract, with inheritance resolved."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.source = data["source"]
        self.entities: dict[str, Any] = data["entityTypes"]
        self.complexes: dict[str, Any] = data["complexTypes"]
        self.enums: dict[str, Any] = data["enumTypes"]
        self.actions: dict[str, Any] = data["actions"]

    def _record(self, type_name: str) -> dict[str, Any]:
        record = self.entities.get(type_name) or self.complexes.get(type_name)
        if not isinstance(record, dict):
            raise KeyError(type_name)
        return record

    def _chain(self, type_name: str) -> Iterator[dict[str, Any]]:
        name: str | None = type_name
        while name:
            record = self._record(name)
            yield record
            name = record.get("baseType")

    def properties(self, type_name: str) -> dict[str, Property]:
        """Declared structural properties of a type, its base types' included."""
        result: dict[str, Property] = {}
        for record in reversed(list(self._chain(type_name))):
            for name, p in record["properties"].items():
                result[name] = Property(
                    name=name,
                    type=p["type"],
                    nullable=p["nullable"],
                    computed=p.get("computed", False),
                    immutable=p.get("immutable", False),
                )
        return result

    def navigation(self, type_name: str) -> set[str]:
        names: set[str] = set()
        for record in self._chain(type_name):
            names.update(record.get("navigationProperties", []))
        return names

    def is_open(self, type_name: str) -> bool:
        return any(r.get("openType") for r in self._chain(type_name))

    def alternate_keys(self, type_name: str) -> list[str]:
        return list(self._record(type_name).get("alternateKeys", []))

    def blank(self, type_name: str) -> dict[str, Any]:
        """Every declared property of an entity as a new object has it before anything is set:
        collections empty, everything else null (streams such as logo are not in the JSON)."""
        return {
            name: [] if prop.is_collection else None
            for name, prop in self.properties(type_name).items()
            if prop.type != "Edm.Stream"
        }

    def lineage(self, type_name: str) -> list[str]:
        """The type and its base types, most derived first."""
        names = [type_name]
        base: str | None = self._record(type_name).get("baseType")
        while base:
            names.append(base)
            base = self._record(base).get("baseType")
        return names


@lru_cache(maxsize=1)
def load_schema() -> Schema:
    """The shipped extract (package data), parsed once per process."""
    text = resources.files("ssoctl.sandbox").joinpath("graph_schema.json").read_text("utf-8")
    return Schema(json.loads(text))


def _node(value: Any) -> str:
    """The OData reader's name for the JSON node a value starts with."""
    if isinstance(value, dict):
        return "StartObject"
    if isinstance(value, list):
        return "StartArray"
    return "PrimitiveValue"


def _wrong_node(value: Any, expected: str, prop: str) -> ge.GraphFault:
    return ge.bad_request(
        f"An unexpected '{_node(value)}' node was found for property named '{prop}' when reading "
        f"from the JSON reader. A '{expected}' node was expected."
    )


def _not_convertible(value: Any, edm: str) -> ge.GraphFault:
    literal = json.dumps(value) if not isinstance(value, str) else value
    return ge.bad_request(f"Cannot convert the literal '{literal}' to the expected type '{edm}'.")


def _null_not_allowed(prop: str, type_name: str) -> ge.GraphFault:
    shown = (
        f"{type_name}[Nullable=False]"
        if not type_name.startswith("Collection(")
        else (f"Collection({type_name[len('Collection(') : -1]})[Nullable=False]")
    )
    return ge.bad_request(
        f"A null value was found for the property named '{prop}', which has the expected type "
        f"'{shown}'. The expected type '{shown}' does not allow null values."
    )


class Validator:
    """Walks a JSON value against a CSDL type, raising the GraphFault the OData reader would."""

    def __init__(self, schema: Schema | None = None) -> None:
        self.schema = schema or load_schema()

    def check_object(self, value: Any, type_name: str, *, top_level: bool = False) -> None:
        """A complex or entity value: known properties with the right types."""
        if not isinstance(value, dict):
            raise ge.unreadable_json() if top_level else _wrong_node(value, "StartObject", type_name)
        props = self.schema.properties(type_name)
        declared_type = type_name
        odata_type = value.get("@odata.type")
        if odata_type is not None:
            declared_type = self._check_odata_type(odata_type, type_name)
            props = self.schema.properties(declared_type)
        open_type = self.schema.is_open(declared_type)
        for name, item in value.items():
            if name.startswith("@") or "@odata." in name:
                continue  # instance annotations such as @odata.type / x@odata.bind
            prop = props.get(name)
            if prop is None:
                if name in self.schema.navigation(declared_type):
                    # Relationships (owners, ...) are "Read-only" on the resource pages; they are
                    # changed through their own endpoints or `name@odata.bind`.
                    raise ge.read_only(name)
                if open_type:
                    if EXTENSION.match(name):
                        continue
                    raise ge.undeclared_property(name)
                raise ge.unknown_nested_property(name, declared_type)
            self.check_value(item, prop)

    def _check_odata_type(self, odata_type: Any, expected: str) -> str:
        if not isinstance(odata_type, str):
            raise _not_convertible(odata_type, "Edm.String")
        name = odata_type.lstrip("#")
        for prefix in ("microsoft.graph.", "graph."):
            if name.startswith(prefix):
                name = name[len(prefix) :]
                break
        else:
            raise ge.bad_request(
                f"A type named '{odata_type.lstrip('#')}' could not be resolved by the model. "
                "When a model is available, each type name must resolve to a valid type."
            )
        if name not in self.schema.entities and name not in self.schema.complexes:
            raise ge.bad_request(
                f"A type named '{odata_type.lstrip('#')}' could not be resolved by the model. "
                "When a model is available, each type name must resolve to a valid type."
            )
        if name != expected and expected not in self.schema.lineage(name):
            raise ge.bad_request(
                f"The type '{odata_type.lstrip('#')}' is not compatible with the expected type "
                f"'microsoft.graph.{expected}'."
            )
        return name

    def check_value(self, value: Any, prop: Property) -> None:
        if value is None:
            if not prop.nullable:
                raise _null_not_allowed(prop.name, prop.type)
            return
        if prop.is_collection:
            if not isinstance(value, list):
                raise _wrong_node(value, "StartArray", prop.name)
            element = Property(prop.name, prop.element_type, nullable=True)
            for item in value:
                if item is None and prop.element_type.startswith("Edm."):
                    continue
                self.check_value(item, element)
            return
        type_name = prop.type
        if type_name.startswith("Edm."):
            self.check_primitive(value, type_name, prop.name)
        elif type_name in self.schema.enums:
            self.check_enum(value, type_name, prop.name)
        else:
            self.check_object(value, type_name)

    def check_enum(self, value: Any, type_name: str, prop: str) -> None:
        if not isinstance(value, str):
            raise (
                _wrong_node(value, "PrimitiveValue", prop)
                if isinstance(value, dict | list)
                else (_not_convertible(value, f"microsoft.graph.{type_name}"))
            )
        enum = self.schema.enums[type_name]
        parts = [p.strip() for p in value.split(",")] if enum["isFlags"] else [value]
        for part in parts:
            if part not in enum["members"]:
                raise ge.bad_request(f"The string '{value}' is not a valid enumeration type constant.")

    def check_primitive(self, value: Any, edm: str, prop: str) -> None:
        if isinstance(value, dict | list):
            raise _wrong_node(value, "PrimitiveValue", prop)
        if edm == "Edm.Boolean":
            if not isinstance(value, bool):
                raise _not_convertible(value, edm)
        elif edm in INT_RANGES:
            low, high = INT_RANGES[edm]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise _not_convertible(value, edm)
        elif edm in ("Edm.Double", "Edm.Single", "Edm.Decimal"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _not_convertible(value, edm)
        elif edm == "Edm.Stream":
            raise ge.bad_request(f"Property '{prop}' of type 'Edm.Stream' cannot be set in a request body.")
        else:
            if not isinstance(value, str):
                raise _not_convertible(value, edm)
            self._check_string_literal(value, edm)

    @staticmethod
    def _check_string_literal(value: str, edm: str) -> None:
        ok = True
        if (
            edm == "Edm.DateTimeOffset"
            and DATETIME.match(value)
            and not re.search(r"(Z|[+-]\d{2}:\d{2})$", value)
        ):
            # The OData reader insists on an offset (msgraph-sdk writes a naive datetime without one).
            raise ge.bad_request(
                f"The time zone information is missing on the DateTimeOffset value '{value}'. "
                "A DateTimeOffset value must contain the time zone information."
            )
        if edm == "Edm.Guid":
            ok = bool(is_guid(value))
        elif edm == "Edm.DateTimeOffset":
            ok = bool(DATETIME.match(value))
        elif edm == "Edm.Duration":
            ok = bool(DURATION.match(value))
        elif edm == "Edm.Binary":
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                ok = False
        if not ok:
            raise _not_convertible(value, edm)

    def check_action(self, body: Any, action: str) -> dict[str, Any]:
        """An action's parameters object: known parameters, typed, required ones present."""
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise ge.unreadable_json()
        spec = self.schema.actions[action]
        name = action.split(".", 1)[1]
        for key, value in body.items():
            if key.startswith("@"):
                continue
            if key not in spec["parameters"]:
                raise ge.bad_request(
                    f"The parameter '{key}' in the request payload is not a valid parameter "
                    f"for the operation '{name}'."
                )
            p = spec["parameters"][key]
            self.check_value(value, Property(key, p["type"], p["nullable"]))
        missing = [k for k, p in spec["parameters"].items() if not p["nullable"] and body.get(k) is None]
        if missing:
            raise ge.bad_request(
                f"One or more parameters of the operation '{name}' are missing from the request "
                f"payload. The missing parameters are: {', '.join(missing)}."
            )
        return body
