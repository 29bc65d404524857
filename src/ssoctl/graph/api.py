"""The Graph operations ssoctl needs, as a Protocol: the seam between apply/plan and msgraph-sdk.

Everything crossing this seam is Graph's own JSON (camelCase dicts); `graph.mapping` turns it into
ssoctl's types. The production implementation is `graph.client.SdkGraph` (msgraph-sdk over HTTP);
tests use the same class against the sandbox tenant on 127.0.0.1.

Retry rules every implementation keeps (DESIGN.md): 429/503 wait `Retry-After`; a 404
`Request_ResourceNotFound` on an object just created, and 400 `NoBackingApplicationObject`, back off
and retry; nothing else is retried, and no retry can create a duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from ssoctl.credentials import IssuedSecret
from ssoctl.graph.lag import Expected

JSON = dict[str, Any]

# What `get_application` selects: all ssoctl compares, plus the credentials' metadata.
APPLICATION_SELECT = (
    "id",
    "appId",
    "displayName",
    "uniqueName",
    "signInAudience",
    "web",
    "optionalClaims",
    "requiredResourceAccess",
    "identifierUris",
    "groupMembershipClaims",
    "passwordCredentials",
)
# What `list_applications` selects for credential health (`secrets status`): no more than needed.
CREDENTIAL_SELECT = ("id", "appId", "displayName", "passwordCredentials", "keyCredentials")
# Graph takes at most 15 values in one `in (…)` clause of a directory-object $filter.
FILTER_IN_MAX = 15
# What `list_service_principals` selects: enough to find an app's and an API's service principal.
SERVICE_PRINCIPAL_SELECT = ("id", "appId", "displayName")
# What resolving `Microsoft Graph/User.Read` needs from the API's service principal.
API_SERVICE_PRINCIPAL_SELECT = ("id", "appId", "displayName", "appRoles", "oauth2PermissionScopes")


class GraphApi(Protocol):
    """Graph calls by name. Each method is one HTTP request (plus retries as above)."""

    def tenant_id(self) -> str:
        """The signed-in tenant: the token's `tid` claim, else `GET /organization?$select=id`."""
        ...

    def get_application(self, unique_name: str, expect: Expected | None = None) -> JSON | None:
        """`GET /applications(uniqueName='…')?$select=APPLICATION_SELECT`; None when 404.

        `expect`: what ssoctl wrote itself and a caught-up replica shows (graph.lag); read
        again, with back-off, while the answer lacks it."""
        ...

    def upsert_application(self, unique_name: str, body: JSON) -> JSON | None:
        """`PATCH /applications(uniqueName='…')` with `Prefer: create-if-missing`.

        Returns the created application (201) or None when it existed and was updated (204).
        Idempotent, so 429/503 are retried safely.
        """
        ...

    def update_application(self, object_id: str, body: JSON) -> None:
        """`PATCH /applications/{id}`; retries replication 404s after a create."""
        ...

    def add_password(self, object_id: str, display_name: str, end: datetime) -> IssuedSecret:
        """`POST /applications/{id}/addPassword`. Retried only where Graph did not act (429, 404)."""
        ...

    def remove_password(self, object_id: str, key_id: str, *, fresh: bool = False) -> None:
        """`POST /applications/{id}/removePassword`; a keyId that is already gone is not an error.
        `fresh`: added moments ago, so "not found" is replication lag until proven otherwise."""
        ...

    def list_service_principals(self, app_ids: Sequence[str], expect: Sequence[str] = ()) -> list[JSON]:
        """`GET /servicePrincipals?$filter=appId in (…)&$select=SERVICE_PRINCIPAL_SELECT`, all pages.

        One request finds both the app's own service principal and the APIs it needs consent for.
        `expect`: appIds whose service principal ssoctl made (graph.lag): read again while missing.
        """
        ...

    def find_api_service_principals(self, apis: Sequence[str]) -> list[JSON]:
        """The service principals of APIs named by displayName or appId, with their published
        permissions (`appRoles`, `oauth2PermissionScopes`): at most one request per kind of key."""
        ...

    def upsert_service_principal(self, app_id: str, body: JSON) -> JSON | None:
        """`PATCH /servicePrincipals(appId='…')` + `Prefer: create-if-missing`: the created service
        principal (201), or None when it existed (204). Retries the new app's replication lag."""
        ...

    def get_service_principal(self, app_id: str) -> JSON | None:
        """`GET /servicePrincipals(appId='…')`; retries replication 404s, then raises."""
        ...

    def list_permission_grants(self, client_id: str) -> list[JSON]:
        """`GET /oauth2PermissionGrants?$filter=clientId eq '…'`, all pages."""
        ...

    def create_permission_grant(self, body: JSON) -> JSON:
        """`POST /oauth2PermissionGrants` (clientId, consentType, resourceId, scope)."""
        ...

    def update_permission_grant(self, grant_id: str, scope: str) -> None:
        """`PATCH /oauth2PermissionGrants/{id}` with the whole new `scope`."""
        ...

    def delete_permission_grant(self, grant_id: str) -> None:
        """`DELETE /oauth2PermissionGrants/{id}`; already gone is not an error."""
        ...

    def list_app_role_assignments(self, principal_id: str) -> list[JSON]:
        """`GET /servicePrincipals/{id}/appRoleAssignments`: what this principal was granted."""
        ...

    def assign_app_role(self, resource_id: str, body: JSON) -> JSON:
        """`POST /servicePrincipals/{resource}/appRoleAssignedTo` (principalId, resourceId, appRoleId)."""
        ...

    def delete_app_role_assignment(self, resource_id: str, assignment_id: str) -> None:
        """`DELETE /servicePrincipals/{resource}/appRoleAssignedTo/{id}`; already gone is fine."""
        ...

    def token_claims(self) -> dict[str, Any]:
        """The claims of the access token Graph gets (decoded, not verified; {} if opaque)."""
        ...

    def my_directory_roles(self) -> list[str] | None:
        """`GET /me/memberOf/microsoft.graph.directoryRole`: role template ids; None if refused."""
        ...

    def authorization_policy(self) -> JSON | None:
        """`GET /policies/authorizationPolicy`; None if the identity may not read it."""
        ...

    def list_applications(
        self, select: Sequence[str], app_ids: Sequence[str] | None = None, expect: Sequence[Expected] = ()
    ) -> list[JSON]:
        """`GET /applications?$select=…`: those with these appIds (`$filter=appId in (…)`,
        FILTER_IN_MAX to a request), or with None every application of the tenant
        (`$top=999`, every `@odata.nextLink`). `expect`: as for `get_application`, per app."""
        ...

    def delete_application(self, object_id: str) -> None:
        """`DELETE /applications/{id}`; one that is already gone is not an error."""
        ...

    def close(self) -> None:
        """Release the HTTP client and event loop."""
        ...
