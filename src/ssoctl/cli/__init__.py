"""Placeholder; the Typer app is being written."""


def main() -> None:
    raise SystemExit(0)
