"""What ssoctl says: errors in its own words with the fix, plans that read well, completion.

The parser's errors must not leak Click's or Pydantic's wording; every error ssoctl raises carries
a hint; the plan keeps its columns with long store paths; the secret name the plan announces is
the one Graph holds afterwards; TAB completes portal names, stores and clouds.
"""

from __future__ import annotations

import ast
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from ssoctl.cli import app
from ssoctl.errors import GraphError
from ssoctl.plan import Action, Change
from ssoctl.views.human import plan_rows

SRC = Path(__file__).resolve().parent.parent / "src" / "ssoctl"
REPO_PORTALS = SRC / "portals"
LIBRARY_WORDING = ("Input should be", "Invalid value for", "Missing option", "No such option", "Value error")


@pytest.mark.parametrize(
    ("args", "error", "hint"),
    [
        (
            ["azure", "register", "-p", "emnify", "--secret-days", "abc"],
            "--secret-days 'abc' is not a whole number",
            "--secret-days 180",
        ),
        (
            ["azure", "register", "-p", "emnify", "-o", "yaml"],
            "--output 'yaml' is not one of table, json",
            "--output table",
        ),
        (["azure", "register"], "--portal is required", "add --portal PORTAL"),
        (["azure", "register", "-p", "emnify", "--nam", "x"], "has no option --nam", "did you mean --name"),
        (["azure", "regster"], "ssoctl azure has no command 'regster'", "`ssoctl azure register`"),
        (
            ["azure", "register", "-p", "emnify", "--secret-days"],
            "--secret-days needs a value",
            "--secret-days 180",
        ),
        (["portals", "show"], "ssoctl portals show needs NAME", "ssoctl portals list"),
        (["portals", "show", "emnify", "extra"], "does not take the extra argument(s) 'extra'", "--help"),
        (["sandbox", "serve", "--port", "x"], "--port 'x' is not a whole number", "--port 8765"),
    ],
)
def test_parser_errors_name_the_value_and_the_fix(args: list[str], error: str, hint: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and result.stdout == ""
    first, second = result.stderr.strip().splitlines()
    assert first.startswith("error: ") and error in first, first
    assert second.startswith("hint: ") and hint in second, second
    assert not any(words in result.stderr for words in LIBRARY_WORDING), result.stderr


def test_parser_errors_in_json_keep_the_same_words() -> None:
    result = CliRunner().invoke(
        app, ["azure", "register", "-p", "emnify", "--secret-days", "x", "-o", "json"]
    )
    error = json.loads(result.stdout)["error"]
    assert result.exit_code == 2 and error["code"] == "usage"
    assert error["message"] == "--secret-days 'x' is not a whole number" and "180" in error["hint"]


def test_graph_errors_never_make_up_a_code_from_the_status() -> None:
    unreadable = GraphError("Microsoft Graph sent an unreadable answer", status=200, hint="check")
    assert (
        unreadable.code == "graph"
        and str(unreadable) == "Microsoft Graph: Microsoft Graph sent an unreadable answer"
    )
    refused = GraphError("creating the app: denied", status=403, graph_code="Authorization_RequestDenied")
    assert refused.code == "Authorization_RequestDenied" and refused.exit_code == 4
    assert str(GraphError("x", status=502)) == "Microsoft Graph: HTTP 502: x"


KNOWN_ERRORS = {
    "UsageError",
    "StoreError",
    "AuthError",
    "BusyError",
    "SsoctlError",
    "GraphError",
    "GraphOutcomeUnknown",
}


def test_every_error_ssoctl_raises_names_the_fix() -> None:
    """`raise XError("…")` without `hint=` is an error that leaves the user guessing.

    (A declined prompt needs no fix, and the sandbox's own errors are Graph's wording.)
    """
    missing = []
    for path in sorted(SRC.rglob("*.py")):
        if "sandbox" in path.relative_to(SRC).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in KNOWN_ERRORS and not any(k.arg == "hint" for k in node.exc.keywords):
                    missing.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert missing == [], "errors without a hint: " + ", ".join(missing)


def test_a_long_store_path_gets_a_row_of_its_own_and_the_columns_stay() -> None:
    long_path = "env-file:/srv/" + "very/" * 20 + "emnify.env"
    changes = [
        Change("application", Action.NONE, "application", "emnify is up to date"),
        Change("passwordCredential", Action.CREATE, "passwordCredentials", "client secret 'ssoctl x'"),
        Change("passwordCredential", Action.DELETE, long_path, "the value of client secret k (moved)"),
    ]
    rows = plan_rows(changes)
    heads = [head.plain for head, _ in rows]
    assert heads[0] == "    application          " and heads[1] == "  + passwordCredentials  "
    assert heads[2] == f"  - {long_path}" and rows[2][1].plain == ""
    assert heads[3] == " " * len(heads[1]) and rows[3][1].plain.startswith("the value of client secret")


def test_details_wrap_at_spaces_under_their_column_at_a_terminal() -> None:
    from rich.text import Text

    from ssoctl.views.console import print_rows

    buffer = io.StringIO()
    console = Console(file=buffer, width=50, force_terminal=True, no_color=True, soft_wrap=True)
    url = "https://prod-e5.okta.com/oauth2/v1/authorize/callback"
    print_rows(
        console, [(Text("  + web.redirectUris  "), Text(f"add {url} and keep the others as they are"))]
    )
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    assert any(url in line for line in lines), lines
    assert all(line.startswith(" " * 21) for line in lines[1:]) and len(lines) > 1


def test_the_secret_name_in_the_plan_is_the_one_created(tmp_path: Path) -> None:
    env = {"SSOCTL_HOME": str(tmp_path / "home"), "HOME": str(tmp_path)}
    args = [
        "azure",
        "register",
        "-p",
        "emnify",
        "--sandbox",
        "--yes",
        "--store",
        f"env-file:{tmp_path}/e.env",
    ]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    planned = next(line for line in result.stdout.splitlines() if line.startswith("  + passwordCredentials"))
    name = planned.split("'")[1]
    shown = next(line for line in result.stdout.splitlines() if line.strip().startswith("Client secret:"))
    assert f"'{name}'" in shown
    from ssoctl.sandbox import start_sandbox

    with start_sandbox(tmp_path / "home") as server:
        import urllib.request

        request = urllib.request.Request(
            f"{server.url}/v1.0/applications(uniqueName='ssoctl-emnify')",
            headers={"Authorization": f"Bearer {server.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            app_json = json.loads(answer.read())
    assert [p["displayName"] for p in app_json["passwordCredentials"]] == [name]


RUN_AS_SSOCTL = "from ssoctl.cli import app; app(prog_name='ssoctl')"


def complete(words: str) -> list[str]:
    env = {
        **os.environ,
        "_SSOCTL_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    proc = subprocess.run(
        [sys.executable, "-c", RUN_AS_SSOCTL],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    return proc.stdout.split()


def test_tab_completes_portal_names_stores_and_clouds() -> None:
    from ssoctl.cli.options import FEDERATED_DIRECTORY
    from ssoctl.portals import PORTALS, federated_directory

    assert FEDERATED_DIRECTORY[0] == federated_directory.NAME
    names = [*sorted(PORTALS), federated_directory.NAME]
    assert complete("ssoctl azure register --portal ") == names == complete("ssoctl portals show ")
    assert complete("ssoctl azure register --store ") == ["keyring", "env-file:", "none"]
    assert complete("ssoctl azure register --cloud us") == ["usgov", "usgov-dod"]
    assert complete("ssoctl azure register --group-claims ") == ["security", "all"]
    assert "--secret-days" in complete("ssoctl azure register --")


def test_zsh_completion_descriptions_stay_on_one_line() -> None:
    env = {
        **os.environ,
        "_SSOCTL_COMPLETE": "complete_zsh",
        "_TYPER_COMPLETE_ARGS": "ssoctl azure register --portal ",
    }
    proc = subprocess.run(
        [sys.executable, "-c", RUN_AS_SSOCTL],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    items = [line for line in proc.stdout.splitlines() if line.strip()]
    from ssoctl.portals import PORTALS

    assert len(items) == len(PORTALS) + 1, proc.stdout  # the profiles and Federated Directory


@pytest.mark.parametrize(
    "args",
    [
        ["azure", "register", "-p", "emnify", "--name", "emnify two", "--sandbox"],
        ["secrets", "rotate", "-p", "emnify", "--sandbox"],
        ["sandbox", "reset"],
        ["azure", "unregister", "-p", "emnify", "--sandbox"],
    ],
    ids=["register", "rotate", "sandbox-reset", "unregister"],
)
def test_every_change_refused_in_ci_says_ci_is_set(tmp_path: Path, args: list[str]) -> None:
    """At a terminal with CI set, the refusal names CI (not a missing terminal) and the fix."""
    from ssoctl.deps import Deps

    home = {"SSOCTL_HOME": str(tmp_path / "home"), "HOME": str(tmp_path)}
    store = ["--store", f"env-file:{tmp_path}/e.env"]
    setup = CliRunner().invoke(
        app, ["azure", "register", "-p", "emnify", "--sandbox", "--yes", *store], env=home
    )
    assert setup.exit_code == 0, setup.output
    deps = Deps(
        env={**os.environ, **home, "CI": "true"}, stdin_is_terminal=lambda: True, sleep=lambda _: None
    )
    result = CliRunner().invoke(app, args, obj=deps, env=home)
    assert result.exit_code == 1, result.output
    assert "CI is set" in result.stderr and "no terminal" not in result.stderr
    assert "--yes" in result.stderr


def test_tab_offers_the_users_own_profiles(tmp_path: Path) -> None:
    profiles = tmp_path / "home" / "portals"
    profiles.mkdir(parents=True)
    (profiles / "acme.toml").write_text(
        (REPO_PORTALS / "generic-oidc.toml").read_text().replace('name = "generic-oidc"', 'name = "acme"')
    )
    env = {**os.environ, "SSOCTL_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-c", RUN_AS_SSOCTL],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={
            **env,
            "_SSOCTL_COMPLETE": "complete_bash",
            "COMP_WORDS": "ssoctl azure register --portal a",
            "COMP_CWORD": "4",
        },
    )
    assert proc.stdout.split() == ["acme"], proc.stdout + proc.stderr
