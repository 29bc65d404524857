"""The help ssoctl renders itself (cli/help.py) shows what Typer's would, and stays cheap."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from ssoctl.cli import app


def help_of(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"NO_COLOR": "1", "COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_root_help_lists_commands_and_the_sandbox_hint() -> None:
    text = help_of()
    for word in ("Usage: ssoctl", "azure", "portals", "secrets", "sandbox", "--version", "--sandbox --yes"):
        assert word in text


def test_register_help_shows_every_option_with_metavar_default_and_required() -> None:
    text = help_of("azure", "register")
    for option in (
        "--portal",
        "--name",
        "--redirect-uri",
        "--secret-days",
        "--store",
        "--plan",
        "--show-secret",
        "--yes",
        "--output",
        "--tenant",
        "--cloud",
        "--sandbox",
    ):
        assert option in text, option
    # --portal is optional since --portal-file can name the profile instead; reveal still requires it.
    assert "[required]" in help_of("secrets", "reveal")
    assert "--portal-file" in text and "--permission" in text and "--okta-org" in text
    assert "[default: 180]" in text and "[env: AZURE_TENANT_ID]" in text
    assert "PORTAL" in text and "DAYS" in text and "<bool>" not in text


def test_arguments_get_their_own_panel() -> None:
    text = help_of("portals", "show")
    assert "Arguments" in text and "NAME" in text


def test_subcommand_help_does_not_load_pydantic() -> None:
    code = (
        "import sys, json\nfrom ssoctl.cli import app\n"
        "try:\n    app(['azure', 'register', '--help'], prog_name='ssoctl')\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('pydantic_core'))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_parser_errors_are_one_line_or_json() -> None:
    runner = CliRunner()
    human = runner.invoke(app, ["azure", "register", "--portal", "emnify", "--secret-days", "abc"])
    assert human.exit_code == 2 and human.stdout == ""
    assert human.stderr.startswith("error: --secret-days 'abc' is not a whole number")
    assert "hint: for example --secret-days 180" in human.stderr
    assert len(human.stderr.strip().splitlines()) == 2
    for args in (["--bogus"], ["-o", "yaml"], []):
        result = runner.invoke(
            app, ["azure", "register", "-o", "json", *args] + (["--portal", "emnify"] if args else [])
        )
        assert result.exit_code == 2, args
        assert json.loads(result.stdout)["error"]["code"] == "usage", args


def test_group_without_arguments_prints_help_and_no_error() -> None:
    result = CliRunner().invoke(app, ["azure"], env={"COLUMNS": "120"})
    assert "register" in result.stdout and "error" not in result.stderr
