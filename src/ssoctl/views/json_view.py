"""The JSON documents of INTERFACE.md. Keys are camelCase; the secret's value only on request."""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TextIO

from ssoctl.commands.register import RegisterOutcome
from ssoctl.errors import GraphError, SsoctlError
from ssoctl.graph.mapping import graph_datetime

if TYPE_CHECKING:
    from ssoctl.views.console import Consoles

JSON_FORMAT_VERSION = 1


def dump(doc: Any, out: TextIO | None = None) -> None:
    """The one JSON document on stdout (`out`: the command's stdout from Deps)."""
    (out or sys.stdout).write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def register_document(outcome: RegisterOutcome, *, show_secret: bool) -> dict[str, Any]:
    result = outcome.result
    current = outcome.plan.current
    app_id = result.app_id if result else (current.app_id if current else None)
    object_id = result.object_id if result else (current.object_id if current else None)
    secret: dict[str, Any] | None = None
    if result and result.issued:
        issued = result.issued
        secret = {
            "keyId": issued.key_id,
            "displayName": issued.display_name,
            "endDateTime": graph_datetime(issued.end),
            "hint": issued.hint,
            "store": result.stored_in,
        }
        if show_secret:
            secret["secretText"] = issued.text.reveal()
    doc: dict[str, Any] = {
        "formatVersion": JSON_FORMAT_VERSION,
        "portal": outcome.portal.name,
        "displayName": outcome.spec.display_name,
        "uniqueName": outcome.spec.unique_name,
        "tenantId": outcome.tenant_id,
        "appId": app_id,
        "objectId": object_id,
        "sandbox": outcome.sandbox,
        "applied": outcome.applied,
        "changes": [c.to_json() for c in outcome.plan.changes],
        "secret": secret,
        "nextSteps": outcome.next_steps,
        "reminders": [r.to_json() for r in outcome.reminders],
        "warnings": [*outcome.warnings, *(result.warnings if result else [])],
    }
    if outcome.discovery_url:
        doc["discoveryUrl"] = outcome.discovery_url
    return doc


def error_document(exc: SsoctlError) -> dict[str, Any]:
    err: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.hint:
        err["hint"] = exc.hint
    problems = getattr(exc, "problems", None)  # an apply file's: every one, with its line
    if problems:
        err["problems"] = [{"line": p.line, "message": p.message} for p in problems]
    if isinstance(exc, GraphError):
        err["status"] = exc.status
        if exc.request_id:
            err["requestId"] = exc.request_id
    return {"error": err}


class JsonRegisterUI:
    """JSON mode: nothing on stdout but the one document; notices and the prompt go to stderr."""

    def __init__(self, consoles: Consoles) -> None:
        self.consoles = consoles

    def notice(self, text: str) -> None:
        self.consoles.note(f"note: {text}")

    def show_plan(self, plan: object, tenant_id: str, sandbox: bool) -> None:
        return None

    def confirm(self, question: str) -> bool:
        return self.consoles.ask_yes(question)

    def progress(self, text: str) -> AbstractContextManager[None]:
        """Spinners are on stderr, so a terminal still gets them; stdout stays the document."""
        return self.consoles.progress(text)
