"""The real msgraph-sdk against the sandbox: the URLs it builds are the ones the sandbox serves."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from ssoctl.sandbox import SandboxServer, read_request_log

pytest.importorskip("msgraph")
# msgraph's generated builders warn about their own deprecated configuration classes.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _client(server: SandboxServer) -> Any:
    from kiota_abstractions.authentication import (
        AccessTokenProvider,
        AllowedHostsValidator,
        BaseBearerTokenAuthenticationProvider,
    )
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_service_client import GraphServiceClient

    class Static(AccessTokenProvider):
        async def get_authorization_token(
            self, uri: str, additional_authentication_context: Any = None
        ) -> str:
            return server.token

        def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
            return AllowedHostsValidator([])

    # GraphRequestAdapter: the SDK's default middleware (retry, redirect, ...) as production uses it.
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(Static()))
    adapter.base_url = f"{server.url}/v1.0"
    return GraphServiceClient(request_adapter=adapter)


def test_sdk_upsert_expose_api_and_secret(server: SandboxServer, home: Path) -> None:
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.applications.item.add_password.add_password_post_request_body import (
        AddPasswordPostRequestBody,
    )
    from msgraph.generated.models.application import Application
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.models.password_credential import PasswordCredential

    client = _client(server)
    errors = {"XXX": ODataError}
    key = "ssoctl-o''brien"  # odata_key("ssoctl-o'brien"): the caller doubles quotes

    async def flow() -> dict[str, Any]:
        adapter = client.request_adapter
        builder = client.applications_with_unique_name(key)
        with pytest.raises(ODataError) as missing:
            await adapter.send_primitive_async(builder.to_get_request_information(), "bytes", errors)
        assert missing.value.response_status_code == 404
        assert missing.value.error is not None
        assert missing.value.error.code == "Request_ResourceNotFound"
        config: RequestConfiguration[Any] = RequestConfiguration()
        config.headers.add("Prefer", "create-if-missing")
        body = Application(display_name="emnify", sign_in_audience="AzureADMultipleOrgs")
        raw = await adapter.send_primitive_async(
            builder.to_patch_request_information(body, config), "bytes", errors
        )
        created: dict[str, Any] = json.loads(raw)
        again = await adapter.send_primitive_async(
            builder.to_patch_request_information(body, config), "bytes", errors
        )
        assert not again  # 204: no body
        item = client.applications.by_application_id(created["id"])
        expose = Application(identifier_uris=[f"api://{created['appId']}"])
        await adapter.send_no_response_content_async(item.to_patch_request_information(expose), errors)
        secret_body = AddPasswordPostRequestBody(
            password_credential=PasswordCredential(display_name="ssoctl")
        )
        secret = json.loads(
            await adapter.send_primitive_async(
                item.add_password.to_post_request_information(secret_body), "bytes", errors
            )
        )
        assert len(secret["secretText"]) == 40
        return created

    created = asyncio.run(flow())
    assert created["uniqueName"] == "ssoctl-o'brien"
    paths = [(e["method"], e["path"], e["status"]) for e in read_request_log(home)]
    assert paths == [
        ("GET", "/v1.0/applications(uniqueName='ssoctl-o%27%27brien')", 404),
        ("PATCH", "/v1.0/applications(uniqueName='ssoctl-o%27%27brien')", 201),
        ("PATCH", "/v1.0/applications(uniqueName='ssoctl-o%27%27brien')", 204),
        ("PATCH", f"/v1.0/applications/{created['id']}", 204),
        ("POST", f"/v1.0/applications/{created['id']}/addPassword", 200),
    ]


def test_sdk_admin_consent(server: SandboxServer, home: Path) -> None:
    """ "Grant admin consent" as the SDK sends it: service principal upsert, lookups, a delegated
    grant, an application permission, and reading them back."""
    import uuid

    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.models.app_role_assignment import AppRoleAssignment
    from msgraph.generated.models.o_auth2_permission_grant import OAuth2PermissionGrant
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.models.service_principal import ServicePrincipal
    from msgraph.generated.service_principals.service_principals_request_builder import (
        ServicePrincipalsRequestBuilder,
    )

    client = _client(server)
    errors = {"XXX": ODataError}
    graph_app = "00000003-0000-0000-c000-000000000000"
    group_read_all = "5b567255-7703-4780-807c-7be8301ae99b"

    async def flow() -> dict[str, Any]:
        adapter = client.request_adapter
        app_config: RequestConfiguration[Any] = RequestConfiguration()
        app_config.headers.add("Prefer", "create-if-missing")
        from msgraph.generated.models.application import Application

        app = json.loads(
            await adapter.send_primitive_async(
                client.applications_with_unique_name("ssoctl-pingone").to_patch_request_information(
                    Application(display_name="PingOne", sign_in_audience="AzureADMyOrg"), app_config
                ),
                "bytes",
                errors,
            )
        )
        sp_config: RequestConfiguration[Any] = RequestConfiguration()
        sp_config.headers.add("Prefer", "create-if-missing")
        upsert = client.service_principals_with_app_id(app["appId"]).to_patch_request_information(
            ServicePrincipal(), sp_config
        )
        sp = json.loads(await adapter.send_primitive_async(upsert, "bytes", errors))
        again = await adapter.send_primitive_async(upsert, "bytes", errors)
        assert not again  # 204

        params = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
            filter=f"appId in ('{app['appId']}','{graph_app}')", select=["id", "appId", "displayName"]
        )
        listed = json.loads(
            await adapter.send_primitive_async(
                client.service_principals.to_get_request_information(
                    RequestConfiguration(query_parameters=params)
                ),
                "bytes",
                errors,
            )
        )
        ids = {s["appId"]: s["id"] for s in listed["value"]}
        assert ids[app["appId"]] == sp["id"]
        graph_id = ids[graph_app]

        grant_body = OAuth2PermissionGrant(
            client_id=sp["id"], consent_type="AllPrincipals", resource_id=graph_id, scope="User.Read"
        )
        grant = json.loads(
            await adapter.send_primitive_async(
                client.oauth2_permission_grants.to_post_request_information(grant_body), "bytes", errors
            )
        )
        with pytest.raises(ODataError) as twice:
            await adapter.send_primitive_async(
                client.oauth2_permission_grants.to_post_request_information(grant_body), "bytes", errors
            )
        assert twice.value.response_status_code == 409
        assert (
            twice.value.error is not None
            and twice.value.error.code == "Request_MultipleObjectsWithSameKeyValue"
        )
        grant_item = client.oauth2_permission_grants.by_o_auth2_permission_grant_id(grant["id"])
        await adapter.send_no_response_content_async(
            grant_item.to_patch_request_information(OAuth2PermissionGrant(scope="User.Read openid")), errors
        )

        role = AppRoleAssignment(
            principal_id=uuid.UUID(sp["id"]),
            resource_id=uuid.UUID(graph_id),
            app_role_id=uuid.UUID(group_read_all),
        )
        assigned_to = client.service_principals.by_service_principal_id(graph_id).app_role_assigned_to
        assignment = json.loads(
            await adapter.send_primitive_async(assigned_to.to_post_request_information(role), "bytes", errors)
        )
        mine = client.service_principals.by_service_principal_id(sp["id"]).app_role_assignments
        granted = json.loads(
            await adapter.send_primitive_async(mine.to_get_request_information(), "bytes", errors)
        )
        assert [a["id"] for a in granted["value"]] == [assignment["id"]]
        await adapter.send_no_response_content_async(
            assigned_to.by_app_role_assignment_id(assignment["id"]).to_delete_request_information(), errors
        )
        return {"app": app, "sp": sp, "grant": grant, "graph_id": graph_id, "assignment": assignment}

    result = asyncio.run(flow())
    app, sp, grant, graph_id = result["app"], result["sp"], result["grant"], result["graph_id"]
    assert grant["scope"] == "User.Read"
    assert result["assignment"]["principalType"] == "ServicePrincipal"
    paths = [(e["method"], e["path"].split("?")[0], e["status"]) for e in read_request_log(home)]
    assert paths == [
        ("PATCH", "/v1.0/applications(uniqueName='ssoctl-pingone')", 201),
        ("PATCH", f"/v1.0/servicePrincipals(appId='{app['appId']}')", 201),
        ("PATCH", f"/v1.0/servicePrincipals(appId='{app['appId']}')", 204),
        ("GET", "/v1.0/servicePrincipals", 200),
        ("POST", "/v1.0/oauth2PermissionGrants", 201),
        ("POST", "/v1.0/oauth2PermissionGrants", 409),
        ("PATCH", f"/v1.0/oauth2PermissionGrants/{grant['id']}", 204),
        ("POST", f"/v1.0/servicePrincipals/{graph_id}/appRoleAssignedTo", 201),
        ("GET", f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignments", 200),
        ("DELETE", f"/v1.0/servicePrincipals/{graph_id}/appRoleAssignedTo/{result['assignment']['id']}", 204),
    ]
