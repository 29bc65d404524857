"""The Graph resources the sandbox serves; `build_router` wires them under /v1.0.

A new resource is a module with a `register(router)` function, added to the list below.
"""

from __future__ import annotations

from ssoctl.sandbox.resources.applications import register as register_applications
from ssoctl.sandbox.resources.organization import register as register_organization
from ssoctl.sandbox.router import Router


def build_router() -> Router:
    router = Router()
    for register in (register_applications, register_organization):
        register(router)
    return router
