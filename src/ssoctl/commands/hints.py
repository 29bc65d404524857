"""Commands spelled out for one registration, so a hint pasted as it is acts on the same app.

INTERFACE.md: every hint, reminder and next step that names a command gives `--name` (one shell
word) when it is not the default, `--sandbox` or `--tenant` for where the registration lives, and
on `register`/`rotate` hints `--store` whenever it is not the keyring. Every value is shell-quoted,
so a name like `emnify staging` or a path with spaces stays one word.

Where a hint is read later than the command that printed it (reminders, calendar events, status),
the signed-in default may have changed by then, so those name the tenant of a real registration
always (`tenant_flag_for`); a command's own next steps name it when the user named it.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from ssoctl.spec import slug
from ssoctl.state import Registration

DEFAULT_STORE = "keyring"
# Verbs whose hint names --store: they write a secret, and without --store would use the keyring
# only when no store holds one yet (the rule in commands/store_rule.py).
STORE_VERBS = ("azure register", "secrets rotate")


def command_for(
    verb: str,
    portal: str | None,
    *,
    name: str | None,
    sandbox: bool,
    tenant: str | None = None,
    store: str | None = None,
    extra: Sequence[str] = (),
) -> str:
    """`ssoctl <verb> --portal P [--name N] [extra…] [--store S] [--sandbox | --tenant T]`.

    `store` is named only for register/rotate and only when it is not the keyring; `extra` is
    taken as already shell-ready (e.g. a placeholder like `URI`). `portal` None: a command that
    acts on every registration of the tenant (`secrets prune`), so only where it lives is named.
    """
    parts = ["ssoctl", *verb.split()]
    if portal is not None:
        parts += ["--portal", shlex.quote(portal)]
    if name and portal is not None and slug(name) != slug(portal):
        parts += ["--name", shlex.quote(name)]
    parts += extra
    if store and store != DEFAULT_STORE and verb in STORE_VERBS:
        parts += ["--store", shlex.quote(store)]
    if sandbox:
        parts.append("--sandbox")
    elif tenant:
        parts += ["--tenant", shlex.quote(tenant)]
    return " ".join(parts)


def hint_store(location: str | None, home: Path) -> str | None:
    """The store to name in a hint: None for the keyring, and for the sandbox's stand-in for it
    (the 0600 file a sandbox run uses when there is no OS keyring), which a plain re-run picks."""
    if location is None or location == DEFAULT_STORE:
        return None
    from ssoctl.stores import sandbox_credentials_path

    if location == f"env-file:{sandbox_credentials_path(home)}":
        return None
    return location


def registration_command(
    verb: str,
    reg: Registration,
    *,
    sandbox: bool,
    home: Path,
    name_tenant: bool = True,
) -> str:
    """`verb` for a registration ssoctl recorded, e.g. the rotate command of a reminder.

    `name_tenant`: give `--tenant` for a real tenant (reminders, calendar events and status lines
    are read later, when the signed-in default may be another tenant).
    """
    store = hint_store(reg.secret.store, home) if reg.secret else None
    return command_for(
        verb,
        reg.portal,
        name=reg.display_name,
        sandbox=sandbox,
        tenant=reg.tenant_id if name_tenant and not sandbox else None,
        store=store,
    )


def rotate_command(reg: Registration, *, sandbox: bool, home: Path) -> str:
    """The exact `secrets rotate` that replaces this registration's secret where it is kept."""
    return registration_command("secrets rotate", reg, sandbox=sandbox, home=home)
