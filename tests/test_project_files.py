"""Project files: every third-party module the code imports is declared, and no benchmark hides a package."""

import ast
import importlib.util
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Import name -> distribution name where they differ.
DISTRIBUTION = {"msgraph": "msgraph-sdk", "msal_extensions": "msal-extensions", "azure": "azure-identity"}
# Imported only for type hints or through a declared package that pins them (kiota comes with msgraph-sdk).
TRANSITIVE = {
    "msgraph_core",
    "kiota_abstractions",
    "kiota_http",
    "kiota_authentication_azure",
    "kiota_serialization_json",
}


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = set()
    for requirement in project["dependencies"]:
        name = requirement.split(";")[0]
        for stop in "<>=!~[ ":
            name = name.split(stop)[0]
        names.add(name.strip().lower())
    return names


def _top_level_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_every_third_party_import_in_src_is_a_declared_dependency() -> None:
    imported = set().union(*(_top_level_imports(p) for p in (ROOT / "src" / "ssoctl").rglob("*.py")))
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "ssoctl"} - TRANSITIVE
    missing = {m for m in third_party if DISTRIBUTION.get(m, m).replace("_", "-").lower() not in _declared()}
    assert not missing, f"imported but not in pyproject.toml dependencies: {sorted(missing)}"
    assert "httpx" in _declared()


def test_no_benchmark_script_shadows_an_installed_module() -> None:
    """Running `python benchmarks/x.py` puts benchmarks/ first on sys.path, so a same-named file wins."""
    shadowing = []
    for script in (ROOT / "benchmarks").glob("*.py"):
        spec = importlib.util.find_spec(script.stem)
        if spec is not None and spec.origin and Path(spec.origin).resolve() != script.resolve():
            shadowing.append(script.name)
    assert not shadowing, f"rename these benchmarks, they hide installed modules: {shadowing}"
