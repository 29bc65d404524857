"""Error types that carry their exit code and a hint, so the CLI has one error boundary.

Exit codes are the contract in INTERFACE.md: 1 operation failed, 2 bad input (nothing changed),
3 a bug, 4 not signed in or not allowed, 8 attention needed.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BUG = 3
EXIT_AUTH = 4
EXIT_ATTENTION = 8


class SsoctlError(Exception):
    """A known failure: printed as `error: <message>` plus a hint, never with a traceback."""

    exit_code = EXIT_FAILED
    code = "failed"

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if code is not None:
            self.code = code


class UsageError(SsoctlError):
    """Bad input: raised before anything in the tenant changes."""

    exit_code = EXIT_USAGE
    code = "usage"


class AuthError(SsoctlError):
    """Not signed in, or the signed-in identity lacks a role or permission."""

    exit_code = EXIT_AUTH
    code = "auth"


class StoreError(SsoctlError):
    """A credential store could not be read or written."""

    code = "store"


class DeclinedError(SsoctlError):
    """The user said no at the confirmation prompt, or a prompt was needed but impossible."""

    code = "declined"


class GraphError(SsoctlError):
    """Microsoft Graph refused a request. Keeps Graph's code, message and request-id."""

    code = "graph"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        graph_code: str = "",
        request_id: str = "",
        hint: str | None = None,
    ) -> None:
        # Graph's own code when it sent one; never one made up from the status (JSON has `status`).
        super().__init__(message, hint=hint, code=graph_code or None)
        self.status = status
        self.graph_code = graph_code
        self.request_id = request_id
        if status in (401, 403):
            self.exit_code = EXIT_AUTH

    def __str__(self) -> str:
        rid = f" (request-id {self.request_id})" if self.request_id else ""
        label = self.graph_code or (f"HTTP {self.status}" if self.status >= 300 else "")
        return f"Microsoft Graph: {label + ': ' if label else ''}{self.message}{rid}"


class BusyError(SsoctlError):
    """Another ssoctl run holds SSOCTL_HOME: runs never interleave (INTERFACE.md)."""

    code = "busy"
