"""The one confirmation rule for commands that change something: `--yes`, or ask a person.

Without a person to ask (no terminal, or `CI` set) the command refuses with the reason and the
fix instead of hanging on a prompt; the reason names `CI` when that is what stopped it.
"""

from __future__ import annotations

from collections.abc import Callable

from ssoctl.deps import Deps
from ssoctl.errors import DeclinedError


def confirm_change(
    deps: Deps,
    ask: Callable[[str], bool],
    question: str,
    *,
    what: str,
    yes: bool,
    hint: str = "pass --yes to go ahead without a prompt",
    declined: str = "cancelled: nothing was changed",
) -> None:
    """Return when the change may go ahead; raise DeclinedError (exit 1) when it may not.

    `what` completes "this would …", e.g. "change the tenant".
    """
    if yes:
        return
    reason = deps.why_no_prompt()
    if reason is not None:
        raise DeclinedError(f"this would {what}, and {reason}", hint=hint)
    if not ask(question):
        raise DeclinedError(declined)
