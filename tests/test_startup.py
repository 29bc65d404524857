"""`--help` and completion must not import the heavy libraries (SDK-NOTES: 5-8x slower start)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("msgraph", "azure.identity", "azure.core", "keyring", "msal", "kiota_abstractions", "httpx")

PROBE = """
import json, sys
from ssoctl.cli import app
try:
    app(sys.argv[1:], prog_name="ssoctl")
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"msgraph", "keyring", "msal", "kiota_abstractions", "httpx"} or m.startswith(("azure.identity", "azure.core", "typer.rich_utils")))
print("\\n" + json.dumps({"code": code, "heavy": heavy}))
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["azure", "register", "--help"],
        ["portals", "show", "emnify"],
        ["azure", "--help"],
        ["login", "--help"],
        ["whoami", "--help"],
    ],
)
def test_help_does_not_import_heavy_libraries(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60, check=False
    )
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None), proc.stderr
    assert report["heavy"] == [], f"{args} imported {report['heavy']}"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"_SSOCTL_COMPLETE": "complete_bash", "COMP_WORDS": "ssoctl azure reg", "COMP_CWORD": "2"},
            "register",
        ),
        (
            {
                "_SSOCTL_COMPLETE": "complete_bash",
                "COMP_WORDS": "ssoctl azure register --portal ",
                "COMP_CWORD": "4",
            },
            "emnify",
        ),
        (
            {"_SSOCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "ssoctl azure register --portal "},
            "emnify",
        ),
    ],
)
def test_completion_does_not_import_heavy_libraries(env: dict[str, str], expected: str) -> None:
    probe = PROBE.replace('app(sys.argv[1:], prog_name="ssoctl")', 'app(prog_name="ssoctl")')
    import os

    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **env},
    )
    lines = proc.stdout.strip().splitlines()
    report = json.loads(lines[-1])
    assert report["heavy"] == []
    assert any(expected in line for line in lines[:-1]), proc.stdout
