"""Deps chooses where a command writes: a test hands its own buffers instead of patching globals."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from typer.testing import CliRunner

from ssoctl.cli import app
from ssoctl.deps import Deps


def buffered_deps(**kwargs: object) -> tuple[Deps, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    deps = Deps(stdout=lambda: out, stderr=lambda: err, sleep=lambda _: None, **kwargs)  # type: ignore[arg-type]
    return deps, out, err


def test_portals_show_writes_to_the_deps_stdout() -> None:
    deps, out, _ = buffered_deps()
    result = CliRunner().invoke(app, ["portals", "show", "pingone", "-o", "json"], obj=deps)
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.getvalue())["name"] == "pingone"


def test_register_plan_and_result_go_to_the_deps_streams(tmp_path: Path) -> None:
    env = {**os.environ, "SSOCTL_HOME": str(tmp_path / "home")}
    deps, out, err = buffered_deps(env=env, stdin_is_terminal=lambda: False)
    args = [
        "azure",
        "register",
        "--portal",
        "emnify",
        "--sandbox",
        "--yes",
        "--store",
        f"env-file:{tmp_path}/x.env",
    ]
    result = CliRunner().invoke(app, args, obj=deps, env={"SSOCTL_HOME": env["SSOCTL_HOME"]})
    assert result.exit_code == 0, err.getvalue()
    assert result.stdout == ""
    assert "+ application" in out.getvalue() and "Apply complete!" in out.getvalue()
