"""Entra's built-in directory roles ssoctl cares about, by role template id (the `wids` claim).

Template ids are the same in every tenant and cloud (Microsoft Entra built-in roles reference), so
the client-side preflight and the sandbox's Graph-side checks share this one table. Standard
library only: `ssoctl --help` may import it.
"""

from __future__ import annotations

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
APPLICATION_ADMINISTRATOR = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
CLOUD_APPLICATION_ADMINISTRATOR = "158c047a-c907-4556-b7ef-446551a6b5f7"
PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814"
# Every member user's token lists this template ("User"); it grants nothing ssoctl needs.
USER = "b79fbf4d-3ef9-4689-8143-76b194e85509"

ROLE_NAMES: dict[str, str] = {
    GLOBAL_ADMINISTRATOR: "Global Administrator",
    APPLICATION_ADMINISTRATOR: "Application Administrator",
    CLOUD_APPLICATION_ADMINISTRATOR: "Cloud Application Administrator",
    PRIVILEGED_ROLE_ADMINISTRATOR: "Privileged Role Administrator",
}

# May create and change any app registration and service principal, and grant tenant-wide
# consent to delegated permissions.
APP_MANAGERS = frozenset({GLOBAL_ADMINISTRATOR, APPLICATION_ADMINISTRATOR, CLOUD_APPLICATION_ADMINISTRATOR})
# May grant an application permission (app role) of Microsoft Graph: "Grant tenant-wide admin
# consent" requires Privileged Role Administrator (or Global Administrator) for those.
GRAPH_APP_ROLE_GRANTERS = frozenset({GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR})
# May grant consent at all (delegated grants): the app managers plus Privileged Role Administrator.
CONSENT_GRANTERS = APP_MANAGERS | GRAPH_APP_ROLE_GRANTERS


def role_name(template_id: str) -> str:
    return ROLE_NAMES.get(template_id.lower(), template_id)
