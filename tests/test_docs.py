"""The docs tell the truth: the reference is current, and every command, option and file the docs
and the README name exists as described.

A command the docs announce as coming is listed in COMING; once it exists, the test fails until it
is taken off the list (and the "coming" notes in the docs are updated with it).
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from ssoctl.cli import app

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
PAGES = [*sorted(DOCS.rglob("*.md")), REPO / "README.md"]

# Commands the docs describe as coming (each one marked so on its page), with the issue building it.
COMING: dict[str, str] = {}


def _load_script(name: str) -> Any:
    """A script in scripts/ as a module (registered, so its dataclasses work)."""
    spec = importlib.util.spec_from_file_location(f"scripts_{name}", REPO / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _load_generator() -> Any:
    return _load_script("gen_reference")


def test_the_command_reference_is_current() -> None:
    generated = _load_generator().generate()
    on_disk = (DOCS / "reference.md").read_text(encoding="utf-8")
    assert on_disk == generated, "docs/reference.md is stale: run `python scripts/gen_reference.py`"


def _tree() -> Iterator[tuple[str, Any]]:
    root = typer.main.get_command(app)

    def walk(command: Any, path: str) -> Iterator[tuple[str, Any]]:
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            if not sub.hidden:
                yield from walk(sub, f"{path} {name}".strip())

    yield from walk(root, "")


def test_every_command_and_option_is_in_the_reference() -> None:
    reference = (DOCS / "reference.md").read_text(encoding="utf-8")
    for path, command in _tree():
        assert f"## `{' '.join(['ssoctl', path]).strip()}`" in reference, path
        for param in command.params:
            for name in param.opts:
                if name.startswith("-"):
                    assert f"`{name}`" in reference, f"{path} {name}"


def _snippets(text: str) -> Iterator[str]:
    """Code the docs show: each line of fenced blocks, and each inline code span outside them."""
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            yield line
        else:
            yield from re.findall(r"`([^`]+)`", line)


# "ssoctl" as a keyring service name or a secret's display name, not a command.
_NOT_A_COMMAND = re.compile(r"(service|get|name|named|-m)\s+ssoctl\b|ssoctl\s+(<|\d|username)")


def _commands_in(snippet: str) -> Iterator[list[str]]:
    snippet = snippet.replace("\\|", " | ")
    for part in re.split(r"\s\|\s|&&|;|\$\(", snippet):
        if _NOT_A_COMMAND.search(part):
            continue
        match = re.search(r"(?:^|[\s\"'(])ssoctl\s+(-?-?[a-z][^#]*)", part)
        if not match:
            continue
        text = match.group(1).replace("[", " ").replace("]", " ").replace("…", " ")
        try:
            words = shlex.split(text, comments=True)
        except ValueError:
            words = text.split()
        words = [w for w in words if not re.fullmatch(r"[A-Z_.]+", w)]  # placeholders: OPTIONS, NAME
        # Prose that happens to contain "ssoctl" ("…, so ssoctl does not ask") is not a command line.
        if not part.lstrip().startswith("ssoctl") and words and words[0] not in _top_level():
            continue
        yield words


def _top_level() -> set[str]:
    return set(typer.main.get_command(app).commands) | {c.split()[0] for c in COMING}  # type: ignore[attr-defined]


def _resolve(words: list[str]) -> tuple[str, Any, list[str]]:
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    rest = list(words)
    while rest and rest[0] in getattr(command, "commands", {}):
        command = command.commands[rest[0]]
        path.append(rest.pop(0))
    return " ".join(path), command, rest


def _options(command: Any) -> set[str]:
    names = {"--help", "-h"}
    for param in command.params:
        names.update(param.opts)
        names.update(getattr(param, "secondary_opts", []))
    return names


def _mentions() -> Iterator[tuple[str, list[str]]]:
    for page in PAGES:
        for snippet in _snippets(page.read_text(encoding="utf-8")):
            for words in _commands_in(snippet):
                yield page.relative_to(REPO).as_posix(), words


def test_docs_name_only_commands_and_options_that_exist() -> None:
    problems = []
    for page, words in _mentions():
        path, command, rest = _resolve(words)
        first = rest[0] if rest else ""
        wanted = " ".join([path, first]).strip() if first and not first.startswith("-") else path
        if any(wanted == c or wanted.startswith(c + " ") for c in COMING):
            continue
        if first and not first.startswith("-") and getattr(command, "commands", None):
            problems.append(f"{page}: `ssoctl {' '.join(words)}`: no command {wanted!r}")
            continue
        known = _options(command)
        for word in rest:
            name = word.split("=", 1)[0]
            if re.fullmatch(r"--?[a-zA-Z][\w-]*", name) and name not in known:
                problems.append(f"{page}: `ssoctl {path}` has no option {name}")
    assert problems == [], "\n".join(problems)


def test_coming_commands_are_not_here_yet() -> None:
    """When a command lands, take it off COMING and update the pages that call it coming."""
    here = {path for path, _ in _tree()}
    landed = sorted(c for c in COMING if c in here)
    assert landed == [], f"now available: {landed}; remove them from COMING and the docs' 'coming' notes"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_links_point_to_files_in_the_project(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    missing = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#", 1)[0]).resolve()
        if not path.exists() or REPO not in path.parents:
            missing.append(target)
    assert missing == [], f"{page.name} links to files not in the project: {missing}"


def test_every_page_is_in_the_site_navigation() -> None:
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    pages = [p.relative_to(DOCS).as_posix() for p in sorted(DOCS.rglob("*.md"))]
    missing = [p for p in pages if f": {p}" not in nav]
    assert missing == [], (
        f"add these pages to `nav:` in mkdocs.yml (mkdocs build --strict fails otherwise): {missing}"
    )


def _load_screenshots() -> Any:
    return _load_script("screenshots")


def test_pictures_come_from_real_sandbox_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shots = _load_screenshots()
    monkeypatch.setattr(shots, "IMAGES", tmp_path)
    (plan,) = [s for s in shots.SCENES if s.name == "plan"]
    svg = shots.render(plan).read_text(encoding="utf-8")
    assert "<svg" in svg and "Plan:" in svg and "8&#160;to&#160;add" in svg
    assert str(tmp_path) not in svg  # temporary paths are shown as ~/ssoctl-demo


def test_every_picture_is_made_by_the_script_and_shown_in_the_docs() -> None:
    scenes = {s.name for s in _load_screenshots().SCENES}
    pictures = {p.stem for p in (DOCS / "images").glob("*.svg")}
    assert pictures <= scenes, f"pictures no scene makes: {sorted(pictures - scenes)}"
    shown = "".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md"))
    assert [p for p in sorted(pictures) if f"images/{p}.svg" not in shown] == []
