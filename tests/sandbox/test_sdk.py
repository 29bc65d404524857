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
