"""Commands spelled out for one registration, so a hint pasted as it is acts on the same app.

INTERFACE.md: every hint, reminder and next step that names a command gives `--name` (one shell
word) when it is not the default, and `--sandbox` or `--tenant` for where the registration lives.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from ssoctl.spec import slug


def command_for(
    verb: str,
    portal: str,
    *,
    name: str | None,
    sandbox: bool,
    tenant: str | None = None,
    extra: Sequence[str] = (),
) -> str:
    """`ssoctl <verb> --portal P [--name N] [extra…] [--sandbox | --tenant T]`."""
    parts = ["ssoctl", *verb.split(), "--portal", portal]
    if name and slug(name) != slug(portal):
        parts += ["--name", shlex.quote(name)]
    parts += extra
    if sandbox:
        parts.append("--sandbox")
    elif tenant:
        parts += ["--tenant", tenant]
    return " ".join(parts)
