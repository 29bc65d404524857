"""Render the terminal pictures in docs/images/ from real ssoctl runs against the sandbox.

    python scripts/screenshots.py            # all pictures
    python scripts/screenshots.py plan       # only some, by name

Each picture is one real `ssoctl` process run in a fresh sandbox home, its colours forced on
(`FORCE_COLOR`) at a fixed width, stdout and stderr in the order they appeared; Rich turns the
ANSI text into SVG (`Console(record=True).save_svg`). Nothing is drawn by hand, so a picture shows
what the command prints today. A scene whose command does not exist in this version is skipped
with a note (the docs mark those commands as coming).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.terminal_theme import MONOKAI
from rich.text import Text

REPO = Path(__file__).resolve().parent.parent
IMAGES = REPO / "docs" / "images"
WIDTH = 110
SHOWN_HOME = "~/ssoctl-demo"


@dataclass(frozen=True)
class Scene:
    name: str
    title: str
    command: Sequence[str]
    before: Sequence[Sequence[str]] = field(default_factory=tuple)  # run first, not shown


STORE = ("--store", "env-file:{home}/emnify.env")
EMNIFY = ("azure", "register", "--portal", "emnify", "--sandbox", *STORE)
PINGONE = (
    *("azure", "register", "--portal", "pingone", "--sandbox"),
    *("--redirect-uri", "https://sso.connect.pingidentity.com/sso/rp/callback/abc123"),
    *("--store", "env-file:{home}/pingone.env", "--yes"),
)
SCENES = (
    Scene("plan", "ssoctl azure register --portal emnify --sandbox --plan", (*EMNIFY, "--plan")),
    Scene("register", "ssoctl azure register --portal emnify --sandbox --yes", (*EMNIFY, "--yes")),
    Scene(
        "pingone",
        "ssoctl azure register --portal pingone --redirect-uri … --sandbox --yes",
        PINGONE,
    ),
    Scene("whoami", "ssoctl whoami --sandbox", ("whoami", "--sandbox")),
    Scene(
        "secrets-status",
        "ssoctl secrets status --sandbox",
        ("secrets", "status", "--sandbox"),
        before=((*EMNIFY, "--yes"),),
    ),
    Scene(
        "verify",
        "ssoctl azure verify --portal pingone --sandbox",
        ("azure", "verify", "--portal", "pingone", "--sandbox"),
        before=(PINGONE,),
    ),
)


def _run(args: Sequence[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "SSOCTL_SANDBOX_FAULTS")}
    env.update(
        SSOCTL_HOME=str(home / "home"),
        HOME=str(home),
        FORCE_COLOR="1",
        COLUMNS=str(WIDTH),
        TERM="xterm-256color",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # the sandbox's 0600 file, never a real keyring
    )
    argv = [a.format(home=home) for a in args]
    return subprocess.run(
        [sys.executable, "-m", "ssoctl", *argv],
        env=env,
        cwd=home,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
        check=False,
    )


def _exists(command: Sequence[str]) -> bool:
    import typer

    from ssoctl.cli import app

    node = typer.main.get_command(app)
    for word in command:
        if word.startswith("-"):
            return True
        subs = getattr(node, "commands", None)
        if subs is None:
            return True
        if word not in subs:
            return False
        node = subs[word]
    return True


def render(scene: Scene) -> Path | None:
    if not _exists(scene.command):
        print(f"skip {scene.name}: `ssoctl {' '.join(scene.command[:2])}` is not in this version yet")
        return None
    with tempfile.TemporaryDirectory(prefix="ssoctl-shot-") as tmp:
        home = Path(tmp)
        for step in scene.before:
            done = _run(step, home)
            if done.returncode != 0:
                raise SystemExit(f"{scene.name}: `ssoctl {' '.join(step)}` failed:\n{done.stdout}")
        shown = _run(scene.command, home)
        if shown.returncode not in (0, 8):
            raise SystemExit(f"{scene.name}: exit {shown.returncode}:\n{shown.stdout}")
        output = shown.stdout.replace(str(home / "home"), SHOWN_HOME).replace(str(home), SHOWN_HOME)
    console = Console(record=True, width=WIDTH, force_terminal=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(Text(f"$ {scene.title}", style="bold"))
    console.print(Text.from_ansi(output.rstrip("\n")), soft_wrap=False)
    IMAGES.mkdir(parents=True, exist_ok=True)
    target = IMAGES / f"{scene.name}.svg"
    console.save_svg(str(target), title="ssoctl", theme=MONOKAI)
    print(f"wrote {target}")
    return target


def main(names: Sequence[str]) -> int:
    chosen = [s for s in SCENES if not names or s.name in names]
    unknown = set(names) - {s.name for s in SCENES}
    if unknown:
        print(f"unknown scene(s): {', '.join(sorted(unknown))}; known: {', '.join(s.name for s in SCENES)}")
        return 2
    for scene in chosen:
        render(scene)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
