"""The shipped CSDL extract is what scripts/extract_csdl.py makes from Microsoft's CSDL today."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from ssoctl.sandbox.schema import load_schema

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "extract_csdl.py"
SHIPPED = REPO / "src" / "ssoctl" / "sandbox" / "graph_schema.json"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_csdl", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_extract_is_current() -> None:
    script = _script()
    csdl: Path = script.DEFAULT_CSDL
    if not csdl.is_file():
        pytest.skip(f"Microsoft's CSDL is not checked out at {csdl}; cannot regenerate the extract")
    assert script.render(script.extract(csdl)) == SHIPPED.read_text(encoding="utf-8"), (
        "src/ssoctl/sandbox/graph_schema.json is stale: run scripts/extract_csdl.py"
    )


def test_extract_has_what_the_sandbox_validates() -> None:
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert {
        "application",
        "appRoleAssignment",
        "oAuth2PermissionGrant",
        "organization",
        "servicePrincipal",
    } <= set(data["entityTypes"])
    assert {"webApplication", "passwordCredential", "requiredResourceAccess"} <= set(data["complexTypes"])
    assert set(data["actions"]) == {
        "application.addPassword",
        "application.removePassword",
        "applicationTemplate.instantiate",
        "synchronizationJob.provisionOnDemand",
        "synchronizationJob.validateCredentials",
    }
    schema = load_schema()
    props = schema.properties("application")
    assert props["identifierUris"].type == "Collection(Edm.String)" and not props["identifierUris"].nullable
    assert "id" in props  # inherited from entity
    assert schema.alternate_keys("application") == ["appId", "uniqueName"]
    assert schema.alternate_keys("servicePrincipal") == ["appId"]
    grant = schema.properties("oAuth2PermissionGrant")
    assert not grant["clientId"].nullable and not grant["resourceId"].nullable
    assert schema.properties("appRoleAssignment")["appRoleId"].type == "Edm.Guid"
    assert schema.is_open("appRoleAssignment")  # a directoryObject
    assert not schema.is_open("oAuth2PermissionGrant")  # an entity
