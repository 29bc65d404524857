#!/usr/bin/env python3
"""Extract the part of Microsoft Graph's v1.0 CSDL that the sandbox tenant validates against.

The full metadata document is 3.4 MB of XML; the sandbox needs only the types a client can send
or read on the resources it serves. This script writes a compact, deterministic JSON extract
(sorted keys, stable order) so the shipped file changes only when the CSDL or this script does,
and a test can regenerate it and compare.

Usage:
    python scripts/extract_csdl.py [CSDL] [--out PATH] [--check]

CSDL defaults to ../shared/reference/graph/v1.0-Prod.csdl relative to the repository root;
--out defaults to src/ssoctl/sandbox/graph_schema.json; --check compares instead of writing and
exits 1 when the shipped extract is stale.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CSDL = REPO.parent / "shared" / "reference" / "graph" / "v1.0-Prod.csdl"
DEFAULT_OUT = REPO / "src" / "ssoctl" / "sandbox" / "graph_schema.json"

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
NAMESPACE = "microsoft.graph"
ALIAS = "graph"

# Entity types the sandbox serves: their bodies are validated and their reads are projected.
ROOT_ENTITY_TYPES = (
    "application",
    "applicationTemplate",
    "appRoleAssignment",
    "oAuth2PermissionGrant",
    "organization",
    "servicePrincipal",
    "synchronization",
    "synchronizationJob",
    "synchronizationSchema",
    "synchronizationTemplate",
)
# Bound actions whose parameters the sandbox validates: (binding type, action name).
ROOT_ACTIONS = (
    ("application", "addPassword"),
    ("application", "removePassword"),
    ("applicationTemplate", "instantiate"),
    ("synchronizationJob", "provisionOnDemand"),
    ("synchronizationJob", "validateCredentials"),
)
# Annotation terms worth keeping per property: they tell the sandbox what a client may not set.
KEPT_TERMS = {
    "Org.OData.Core.V1.Computed": "computed",
    "Org.OData.Core.V1.Immutable": "immutable",
}


def _qualified(type_name: str) -> str:
    """`graph.x` and `microsoft.graph.x` both become `x`; Edm types stay `Edm.String`."""
    if type_name.startswith(ALIAS + "."):
        return type_name[len(ALIAS) + 1 :]
    if type_name.startswith(NAMESPACE + "."):
        return type_name[len(NAMESPACE) + 1 :]
    return type_name


def _element_type(type_name: str) -> str:
    """`Collection(graph.x)` -> `x`; the named type inside a collection, unqualified."""
    if type_name.startswith("Collection(") and type_name.endswith(")"):
        type_name = type_name[len("Collection(") : -1]
    return _qualified(type_name)


def _property_type(type_name: str) -> str:
    """A property's type with the namespace dropped, keeping the `Collection(...)` wrapper."""
    if type_name.startswith("Collection(") and type_name.endswith(")"):
        return f"Collection({_qualified(type_name[len('Collection(') : -1])})"
    return _qualified(type_name)


class Csdl:
    """The microsoft.graph schema of one CSDL document, indexed by type name."""

    def __init__(self, path: Path) -> None:
        root = ET.parse(path).getroot()
        schema = next(s for s in root.iter(f"{EDM}Schema") if s.get("Namespace") == NAMESPACE)
        self.entities = {e.get("Name", ""): e for e in schema.findall(f"{EDM}EntityType")}
        self.complexes = {c.get("Name", ""): c for c in schema.findall(f"{EDM}ComplexType")}
        self.enums = {e.get("Name", ""): e for e in schema.findall(f"{EDM}EnumType")}
        self.actions = schema.findall(f"{EDM}Action")
        self.annotations: dict[str, dict[str, bool]] = {}
        # Annotations can sit in any <Schema> of the document: scan them all.
        for group in root.iter(f"{EDM}Annotations"):
            target = _qualified(group.get("Target", ""))
            for note in group.findall(f"{EDM}Annotation"):
                key = KEPT_TERMS.get(note.get("Term", ""))
                if key and note.get("Bool", "true") == "true":
                    self.annotations.setdefault(target, {})[key] = True
        self.derived: dict[str, list[str]] = {}
        for name, node in {**self.entities, **self.complexes}.items():
            base = node.get("BaseType")
            if base:
                self.derived.setdefault(_qualified(base), []).append(name)

    def properties(self, node: ET.Element, owner: str) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = {}
        for prop in node.findall(f"{EDM}Property"):
            name = prop.get("Name", "")
            entry: dict[str, Any] = {
                "type": _property_type(prop.get("Type", "")),
                "nullable": prop.get("Nullable", "true") != "false",
            }
            entry.update(self.annotations.get(f"{owner}/{name}", {}))
            result[name] = entry
        return result


def _type_record(csdl: Csdl, name: str, node: ET.Element, *, entity: bool) -> dict[str, Any]:
    record: dict[str, Any] = {
        "abstract": node.get("Abstract") == "true",
        "baseType": _qualified(node.get("BaseType", "")) or None,
        "openType": node.get("OpenType") == "true",
        "properties": csdl.properties(node, name),
    }
    if entity:
        record["navigationProperties"] = sorted(
            n.get("Name", "") for n in node.findall(f"{EDM}NavigationProperty")
        )
        record["alternateKeys"] = sorted(
            value.get("PropertyPath", "")
            for value in node.iter(f"{EDM}PropertyValue")
            if value.get("Property") == "Name" and value.get("PropertyPath")
        )
    return record


def extract(csdl_path: Path) -> dict[str, Any]:
    """Walk from the root entity types and actions to every type they can reach."""
    csdl = Csdl(csdl_path)
    entity_types: dict[str, Any] = {}
    complex_types: dict[str, Any] = {}
    enum_types: dict[str, Any] = {}
    pending: list[str] = list(ROOT_ENTITY_TYPES)
    actions: dict[str, Any] = {}

    for binding, action_name in ROOT_ACTIONS:
        for action in csdl.actions:
            params = action.findall(f"{EDM}Parameter")
            if action.get("Name") != action_name or not params:
                continue
            if _element_type(params[0].get("Type", "")) != binding:
                continue
            parameters: dict[str, dict[str, Any]] = {
                p.get("Name", ""): {
                    "type": _property_type(p.get("Type", "")),
                    "nullable": p.get("Nullable", "true") != "false",
                }
                for p in params[1:]
            }
            returns = action.find(f"{EDM}ReturnType")
            actions[f"{binding}.{action_name}"] = {
                "parameters": parameters,
                "returnType": _property_type(returns.get("Type", "")) if returns is not None else None,
            }
            pending.extend(_element_type(str(p["type"])) for p in parameters.values())

    while pending:
        name = pending.pop()
        if name.startswith("Edm.") or name in entity_types or name in complex_types:
            continue
        if name in enum_types:
            continue
        if name in csdl.enums:
            node = csdl.enums[name]
            enum_types[name] = {
                "isFlags": node.get("IsFlags") == "true",
                "members": [m.get("Name", "") for m in node.findall(f"{EDM}Member")],
            }
            continue
        is_entity = name in csdl.entities
        node = csdl.entities[name] if is_entity else csdl.complexes.get(name)  # type: ignore[assignment]
        if node is None:
            raise SystemExit(f"type {name!r} is referenced but not defined in the CSDL")
        record = _type_record(csdl, name, node, entity=is_entity)
        (entity_types if is_entity else complex_types)[name] = record
        if record["baseType"]:
            pending.append(record["baseType"])
        pending.extend(_element_type(p["type"]) for p in record["properties"].values())
        if not is_entity:
            # A client may send a derived complex type where the base is declared (@odata.type).
            pending.extend(csdl.derived.get(name, []))

    digest = hashlib.sha256(csdl_path.read_bytes()).hexdigest()
    return {
        "source": {"file": csdl_path.name, "sha256": digest, "namespace": NAMESPACE},
        "roots": {"entityTypes": sorted(ROOT_ENTITY_TYPES), "actions": sorted(actions)},
        "entityTypes": entity_types,
        "complexTypes": complex_types,
        "enumTypes": enum_types,
        "actions": actions,
    }


def render(data: dict[str, Any]) -> str:
    """The one serialisation used for writing and for comparing: sorted, one key per line."""
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csdl", nargs="?", type=Path, default=DEFAULT_CSDL)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing")
    args = parser.parse_args(argv)
    if not args.csdl.is_file():
        print(f"CSDL not found: {args.csdl}", file=sys.stderr)
        return 2
    text = render(extract(args.csdl))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        if current != text:
            print(f"{args.out} is stale: run scripts/extract_csdl.py", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
