"""The Graph resources the sandbox serves; `build_router` wires them under /v1.0.

A new resource is a module with a `register(router)` function, added to the list below.
"""

from __future__ import annotations

from ssoctl.sandbox.resources.app_role_assignments import register as register_app_role_assignments
from ssoctl.sandbox.resources.application_templates import register as register_application_templates
from ssoctl.sandbox.resources.applications import register as register_applications
from ssoctl.sandbox.resources.directory import register as register_directory
from ssoctl.sandbox.resources.federated_credentials import register as register_federated_credentials
from ssoctl.sandbox.resources.organization import register as register_organization
from ssoctl.sandbox.resources.permission_grants import register as register_permission_grants
from ssoctl.sandbox.resources.service_principals import register as register_service_principals
from ssoctl.sandbox.resources.synchronization import register as register_synchronization
from ssoctl.sandbox.resources.users import register as register_users
from ssoctl.sandbox.router import Router


def build_router() -> Router:
    router = Router()
    for register in (
        register_applications,
        register_organization,
        register_service_principals,
        register_permission_grants,
        register_app_role_assignments,
        register_application_templates,
        register_synchronization,
        register_users,
        register_directory,
        register_federated_credentials,
    ):
        register(router)
    return router
