"""Graph calls behind "Grant admin consent": service principals, delegated permission grants
(`/oauth2PermissionGrants`) and application permission assignments (`appRoleAssignedTo`)."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Sequence

from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    for _module in (
        "msgraph.generated.service_principals.item.service_principal_item_request_builder",
        "msgraph.generated.service_principals.item.app_role_assigned_to.app_role_assigned_to_request_builder",
        "msgraph.generated.service_principals.item.app_role_assigned_to.item.app_role_assignment_item_request_builder",
        "msgraph.generated.service_principals.item.app_role_assignments.app_role_assignments_request_builder",
        "msgraph.generated.service_principals_with_app_id.service_principals_with_app_id_request_builder",
        "msgraph.generated.oauth2_permission_grants.item.o_auth2_permission_grant_item_request_builder",
    ):
        importlib.import_module(_module)
    from msgraph.generated.oauth2_permission_grants.oauth2_permission_grants_request_builder import (
        Oauth2PermissionGrantsRequestBuilder,
    )
    from msgraph.generated.service_principals.service_principals_request_builder import (
        ServicePrincipalsRequestBuilder,
    )

from ssoctl.graph.api import API_SERVICE_PRINCIPAL_SELECT, JSON, SERVICE_PRINCIPAL_SELECT
from ssoctl.graph.errors import HINT_403_CONSENT, HINT_403_READ_CONSENT
from ssoctl.graph.lag import lists_all
from ssoctl.graph.transport import Call, GraphTransport, odata_key, odata_string
from ssoctl.ids import is_guid


class ConsentCalls(GraphTransport):
    def list_service_principals(self, app_ids: Sequence[str], expect: Sequence[str] = ()) -> list[JSON]:
        if not app_ids:
            return []
        wanted = ",".join(odata_string(a) for a in app_ids)
        query = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
            filter=f"appId in ({wanted})", select=list(SERVICE_PRINCIPAL_SELECT)
        )

        def read() -> list[JSON]:
            return self._list(
                "reading service principals", lambda: self._get_info(self._client.service_principals, query)
            )

        if not expect:
            return read()
        return self._settled(read, lambda found: lists_all(expect, found))

    def find_api_service_principals(self, apis: Sequence[str]) -> list[JSON]:
        if not apis:
            return []
        ids = [a for a in apis if is_guid(a)]
        names = [a for a in apis if not is_guid(a)]
        clauses = [f"appId in ({','.join(odata_string(a) for a in ids)})"] if ids else []
        clauses += [f"displayName in ({','.join(odata_string(n) for n in names)})"] if names else []
        found: list[JSON] = []
        for clause in clauses:  # one filter cannot mix `in` on two properties with `or` everywhere
            found += self._list("reading the APIs' permissions", self._api_query(clause))
        return found

    def _api_query(self, clause: str) -> Callable[[], RequestInformation]:
        query = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
            filter=clause, select=list(API_SERVICE_PRINCIPAL_SELECT)
        )
        return lambda: self._get_info(self._client.service_principals, query)

    def upsert_service_principal(self, app_id: str, body: JSON) -> JSON | None:
        builder = self._client.service_principals_with_app_id(odata_key(app_id))
        call = Call(
            f"creating the service principal of {app_id}",
            expect_body=True,
            by_object_id=True,  # the application was just created: it may not have replicated
            hint_403=HINT_403_CONSENT,
        )
        raw = self._call(
            call,
            lambda: self._with_body(builder, Method.PATCH, body, headers={"Prefer": "create-if-missing"}),
        )
        return self._json(raw, "service principal") if raw else None

    def get_service_principal(self, app_id: str) -> JSON | None:
        builder = self._client.service_principals_with_app_id(odata_key(app_id))
        call = Call(f"reading the service principal of {app_id}", expect_body=True, by_object_id=True)
        return self._get_json(call, lambda: self._get_info(builder))

    def list_permission_grants(self, client_id: str) -> list[JSON]:
        query = Oauth2PermissionGrantsRequestBuilder.Oauth2PermissionGrantsRequestBuilderGetQueryParameters(
            filter=f"clientId eq {odata_string(client_id)}"
        )
        return self._list(
            "reading delegated permission grants",
            lambda: self._get_info(self._client.oauth2_permission_grants, query),
            hint_403=HINT_403_READ_CONSENT,
        )

    def create_permission_grant(self, body: JSON) -> JSON:
        call = Call(
            "granting delegated permissions (admin consent)",
            expect_body=True,
            by_object_id=True,  # clientId may name a service principal created moments ago
            references_new_object=True,
            hint_403=HINT_403_CONSENT,
        )
        raw = self._call(
            call, lambda: self._with_body(self._client.oauth2_permission_grants, Method.POST, body)
        )
        return self._json(raw, "delegated permission grant")

    def update_permission_grant(self, grant_id: str, scope: str) -> None:
        builder = self._client.oauth2_permission_grants.by_o_auth2_permission_grant_id(grant_id)
        call = Call(
            f"updating delegated permission grant {grant_id}",
            expect_body=False,
            by_object_id=True,
            hint_403=HINT_403_CONSENT,
        )
        self._call(call, lambda: self._with_body(builder, Method.PATCH, {"scope": scope}))

    def delete_permission_grant(self, grant_id: str) -> None:
        builder = self._client.oauth2_permission_grants.by_o_auth2_permission_grant_id(grant_id)
        call = Call(
            f"removing delegated permission grant {grant_id}",
            expect_body=False,
            accept=lambda f: f.status == 404,
            hint_403=HINT_403_CONSENT,
        )
        self._call(call, lambda: self._delete_info(builder))

    def list_app_role_assignments(self, principal_id: str) -> list[JSON]:
        builder = self._client.service_principals.by_service_principal_id(principal_id).app_role_assignments
        return self._list(
            "reading application permission assignments",
            lambda: self._get_info(builder),
            hint_403=HINT_403_READ_CONSENT,
            by_object_id=True,  # a service principal made moments ago may not have replicated
        )

    def assign_app_role(self, resource_id: str, body: JSON) -> JSON:
        builder = self._client.service_principals.by_service_principal_id(resource_id).app_role_assigned_to
        call = Call(
            "granting an application permission (admin consent)",
            expect_body=True,
            by_object_id=True,
            references_new_object=True,
            hint_403=HINT_403_CONSENT,
        )
        raw = self._call(call, lambda: self._with_body(builder, Method.POST, body))
        return self._json(raw, "app role assignment")

    def delete_app_role_assignment(self, resource_id: str, assignment_id: str) -> None:
        builder = self._client.service_principals.by_service_principal_id(
            resource_id
        ).app_role_assigned_to.by_app_role_assignment_id(assignment_id)
        call = Call(
            f"removing application permission assignment {assignment_id}",
            expect_body=False,
            accept=lambda f: f.status == 404,
            hint_403=HINT_403_CONSENT,
        )
        self._call(call, lambda: self._delete_info(builder))
