"""Commands as plain functions: options + Deps in, a result value out. No Typer, no printing."""
