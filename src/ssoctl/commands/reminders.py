"""Secret-expiry reminders at the end of every interactive command, from state.json alone.

A short stderr notice per managed secret that expires within `SSOCTL_REMIND_DAYS` (default 30)
or has expired: which app, which tenant, when, and the exact command that renews it. No network:
only state.json is read (and the sandbox's tenant file, only when a reminder is due, to tell a
sandbox registration from a real one). Nothing at all for `--help` or shell completion, which
never reach a command body.

Silent with `CI`, with `SSOCTL_NO_REMINDERS`, off a terminal, and with `-o json`, where the
document's `reminders` array carries them instead (`SSOCTL_NO_REMINDERS` empties that too).
"""

from __future__ import annotations

from functools import cache

from ssoctl.config import env_flag
from ssoctl.deps import Deps
from ssoctl.errors import SsoctlError
from ssoctl.secrets import REMIND_WITHIN_DAYS, Reminder, due_reminders
from ssoctl.state import Registration, StateFile

from .hints import rotate_command

REMIND_DAYS_ENV = "SSOCTL_REMIND_DAYS"
NO_REMINDERS_ENV = "SSOCTL_NO_REMINDERS"


def remind_days(deps: Deps) -> int:
    """The window: SSOCTL_REMIND_DAYS when it is a whole number of days >= 0, else 30."""
    raw = (deps.env.get(REMIND_DAYS_ENV) or "").strip()
    return int(raw) if raw.isdigit() else REMIND_WITHIN_DAYS


def due(deps: Deps) -> list[Reminder]:
    """What to remind of now (soonest first); [] with SSOCTL_NO_REMINDERS or an unreadable state."""
    if env_flag(deps.env, NO_REMINDERS_ENV):
        return []
    try:
        registrations = StateFile(deps.home).all()
    except SsoctlError:
        return []  # a damaged state.json is the command's business, not a reminder's
    home = deps.home

    @cache
    def sandbox_tenant() -> str | None:
        from ssoctl.sandbox import existing_tenant_id

        try:
            return existing_tenant_id(home)
        except (OSError, ValueError, RuntimeError):
            return None

    def describe(reg: Registration) -> tuple[str, str]:
        in_sandbox = reg.tenant_id == sandbox_tenant()
        where = "the sandbox tenant" if in_sandbox else f"tenant {reg.tenant_id}"
        return where, rotate_command(reg, sandbox=in_sandbox, home=home)

    return due_reminders(registrations, deps.clock(), remind_days(deps), describe=describe)


def should_print(deps: Deps, *, json_output: bool) -> bool:
    """Only for a person at a terminal: never in CI, in JSON mode or with SSOCTL_NO_REMINDERS."""
    return not json_output and deps.can_prompt() and not env_flag(deps.env, NO_REMINDERS_ENV)


def print_reminders(deps: Deps, *, json_output: bool) -> None:
    """The end-of-command notice on stderr (one line per secret), when it should be shown."""
    if not should_print(deps, json_output=json_output):
        return
    reminders = due(deps)
    if not reminders:
        return
    from rich.markup import escape

    err = deps.consoles().err()
    for reminder in reminders:
        err.print(f"[yellow]reminder:[/] {escape(reminder.text)}")
