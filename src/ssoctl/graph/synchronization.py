"""Graph calls behind Entra's "Provisioning" blade: the gallery, SCIM jobs, their secrets and status.

GRAPH.md "Federated Directory": find the enterprise app (or instantiate its gallery template),
the service principal's synchronization template, a job made from it, "Test Connection"
(`validateCredentials`), "Save" (`PUT …/synchronization/secrets`), "Provisioning Status On"
(`start`), the job's status and schema, and `provisionOnDemand`. Calls on a service principal
that may have been created moments ago retry its replication 404s. Creating calls (instantiate, a
job) are never repeated where Graph may have acted (5xx, a dropped connection): a duplicate enterprise
app or job is worse than an error that says "run again". The portal's token travels only inside
the request bodies of `validate_credentials` and `put_secrets`, as a `Secret` until then.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Sequence
from typing import Any, Protocol

from kiota_abstractions.method import Method

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    for _module in (
        "msgraph.generated.application_templates.item.application_template_item_request_builder",
        "msgraph.generated.application_templates.item.instantiate.instantiate_request_builder",
        "msgraph.generated.service_principals.item.service_principal_item_request_builder",
        "msgraph.generated.service_principals.item.synchronization.synchronization_request_builder",
        "msgraph.generated.service_principals.item.synchronization.jobs.jobs_request_builder",
        "msgraph.generated.service_principals.item.synchronization.jobs.item.synchronization_job_item_request_builder",
        "msgraph.generated.service_principals.item.synchronization.secrets.secrets_request_builder",
        "msgraph.generated.service_principals.item.synchronization.templates.templates_request_builder",
        "msgraph.generated.service_principals.item.synchronization.jobs.item.start.start_request_builder",
        "msgraph.generated.service_principals.item.synchronization.jobs.item.schema.schema_request_builder",
        "msgraph.generated.service_principals.item.synchronization.jobs.item.provision_on_demand.provision_on_demand_request_builder",
        "msgraph.generated.service_principals.item.synchronization.jobs.item.validate_credentials.validate_credentials_request_builder",
        "msgraph.generated.users.users_request_builder",
        "msgraph.generated.users.item.user_item_request_builder",
    ):
        importlib.import_module(_module)
    from msgraph.generated.application_templates.application_templates_request_builder import (
        ApplicationTemplatesRequestBuilder,
    )
    from msgraph.generated.service_principals.service_principals_request_builder import (
        ServicePrincipalsRequestBuilder,
    )
    from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder

from ssoctl.credentials import Secret
from ssoctl.graph.api import JSON
from ssoctl.graph.transport import Call, GraphTransport, odata_string

HINT_403_SYNC = (
    "provisioning needs Synchronization.ReadWrite.All (and Application.ReadWrite.All to add the gallery "
    "app); sign in as an Application Administrator or Cloud Application Administrator"
)
ENTERPRISE_APP_SELECT = ["id", "appId", "displayName", "applicationTemplateId"]


class ProvisioningApi(Protocol):
    """The provisioning calls, one HTTP request each (plus the retries above)."""

    def find_service_principals(self, display_name: str) -> list[JSON]: ...
    def find_application_templates(self, display_name: str) -> list[JSON]: ...
    def instantiate_template(self, template_id: str, display_name: str) -> JSON: ...
    def list_sync_templates(self, sp_id: str) -> list[JSON]: ...
    def list_sync_jobs(self, sp_id: str) -> list[JSON]: ...
    def create_sync_job(self, sp_id: str, template_id: str) -> JSON: ...
    def get_sync_job(self, sp_id: str, job_id: str) -> JSON: ...
    def get_sync_secrets(self, sp_id: str) -> list[JSON]: ...
    def get_sync_schema(self, sp_id: str, job_id: str) -> JSON: ...
    def validate_credentials(self, sp_id: str, job_id: str, base_url: str, token: Secret) -> None: ...
    def put_sync_secrets(self, sp_id: str, base_url: str, token: Secret, sync_all: str) -> None: ...
    def start_sync_job(self, sp_id: str, job_id: str) -> None: ...
    def provision_on_demand(self, sp_id: str, job_id: str, rule_id: str, user_id: str) -> JSON: ...
    def get_user(self, user: str) -> JSON | None: ...


def credentials(base_url: str, token: Secret, sync_all: str | None = None) -> list[JSON]:
    """The Admin Credentials as synchronization secrets: Tenant URL, Secret Token (and scope)."""
    pairs: list[JSON] = [
        {"key": "BaseAddress", "value": base_url},
        {"key": "SecretToken", "value": token.reveal()},
    ]
    if sync_all is not None:
        pairs.append({"key": "SyncAll", "value": sync_all})
    return pairs


class SynchronizationCalls(GraphTransport):
    def _sync(self, sp_id: str) -> Any:
        """The SDK's request builder for `/servicePrincipals/{sp_id}/synchronization`."""
        return self._client.service_principals.by_service_principal_id(sp_id).synchronization

    def find_service_principals(self, display_name: str) -> list[JSON]:
        query = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
            filter=f"displayName eq {odata_string(display_name)}", select=ENTERPRISE_APP_SELECT
        )
        return self._list(
            f"looking for the enterprise app '{display_name}'",
            lambda: self._get_info(self._client.service_principals, query),
        )

    def find_application_templates(self, display_name: str) -> list[JSON]:
        query = ApplicationTemplatesRequestBuilder.ApplicationTemplatesRequestBuilderGetQueryParameters(
            filter=f"displayName eq {odata_string(display_name)}", select=["id", "displayName", "publisher"]
        )
        return self._list(
            f"looking for '{display_name}' in the Entra app gallery",
            lambda: self._get_info(self._client.application_templates, query),
        )

    def instantiate_template(self, template_id: str, display_name: str) -> JSON:
        builder = self._client.application_templates.by_application_template_id(template_id).instantiate
        call = Call(
            f"adding '{display_name}' from the Entra app gallery",
            expect_body=True,
            issues_secret=True,  # not repeated where Graph may have acted: no second enterprise app
            hint_403=HINT_403_SYNC,
        )
        raw = self._call(call, lambda: self._with_body(builder, Method.POST, {"displayName": display_name}))
        return self._json(raw, "gallery app")

    def list_sync_templates(self, sp_id: str) -> list[JSON]:
        builder = self._sync(sp_id).templates
        call = Call(
            "reading the provisioning templates", expect_body=True, by_object_id=True, hint_403=HINT_403_SYNC
        )
        return _values(self._get_json(call, lambda: self._get_info(builder)))

    def list_sync_jobs(self, sp_id: str) -> list[JSON]:
        builder = self._sync(sp_id).jobs
        call = Call(
            "reading the provisioning jobs", expect_body=True, by_object_id=True, hint_403=HINT_403_SYNC
        )
        return _values(self._get_json(call, lambda: self._get_info(builder)))

    def create_sync_job(self, sp_id: str, template_id: str) -> JSON:
        builder = self._sync(sp_id).jobs
        call = Call(
            "creating the provisioning job",
            expect_body=True,
            by_object_id=True,  # the enterprise app may have been created moments ago
            issues_secret=True,  # never a second job
            hint_403=HINT_403_SYNC,
        )
        raw = self._call(call, lambda: self._with_body(builder, Method.POST, {"templateId": template_id}))
        return self._json(raw, "provisioning job")

    def get_sync_job(self, sp_id: str, job_id: str) -> JSON:
        builder = self._sync(sp_id).jobs.by_synchronization_job_id(job_id)
        call = Call(
            "reading the provisioning job", expect_body=True, by_object_id=True, hint_403=HINT_403_SYNC
        )
        return self._get_json(call, lambda: self._get_info(builder)) or {}

    def get_sync_secrets(self, sp_id: str) -> list[JSON]:
        builder = self._sync(sp_id)
        # v1.0 documents only PUT for secrets; where a tenant does not answer this read, the local
        # record stands in for the saved Tenant URL and scope (synchronization_job.diff).
        call = Call(
            "reading the provisioning credentials",
            expect_body=True,
            by_object_id=True,
            accept=lambda f: f.status in (400, 405, 501),
            hint_403=HINT_403_SYNC,
        )
        doc = self._get_json(call, lambda: self._get_info(builder)) or {}
        secrets = doc.get("secrets")
        return [s for s in secrets if isinstance(s, dict)] if isinstance(secrets, list) else []

    def get_sync_schema(self, sp_id: str, job_id: str) -> JSON:
        builder = self._sync(sp_id).jobs.by_synchronization_job_id(job_id).schema
        call = Call(
            "reading the attribute mappings", expect_body=True, by_object_id=True, hint_403=HINT_403_SYNC
        )
        return self._get_json(call, lambda: self._get_info(builder)) or {}

    def validate_credentials(self, sp_id: str, job_id: str, base_url: str, token: Secret) -> None:
        builder = self._sync(sp_id).jobs.by_synchronization_job_id(job_id).validate_credentials
        call = Call(
            "testing the connection to Federated Directory (Test Connection)",
            expect_body=False,
            by_object_id=True,
            hint_403=HINT_403_SYNC,
        )
        self._call(
            call,
            lambda: self._with_body(
                builder,
                Method.POST,
                {"useSavedCredentials": False, "credentials": credentials(base_url, token)},
            ),
        )

    def put_sync_secrets(self, sp_id: str, base_url: str, token: Secret, sync_all: str) -> None:
        builder = self._sync(sp_id).secrets
        call = Call(
            "saving the provisioning credentials",
            expect_body=False,
            by_object_id=True,
            hint_403=HINT_403_SYNC,
        )
        self._call(
            call,
            lambda: self._with_body(builder, Method.PUT, {"value": credentials(base_url, token, sync_all)}),
        )

    def start_sync_job(self, sp_id: str, job_id: str) -> None:
        builder = self._sync(sp_id).jobs.by_synchronization_job_id(job_id).start
        call = Call("starting provisioning", expect_body=False, by_object_id=True, hint_403=HINT_403_SYNC)
        self._call(call, lambda: self._prepare(builder.to_post_request_information()))

    def provision_on_demand(self, sp_id: str, job_id: str, rule_id: str, user_id: str) -> JSON:
        builder = self._sync(sp_id).jobs.by_synchronization_job_id(job_id).provision_on_demand
        body = {
            "parameters": [{"ruleId": rule_id, "subjects": [{"objectId": user_id, "objectTypeName": "User"}]}]
        }
        call = Call(
            "provisioning the test user on demand",
            expect_body=True,
            by_object_id=True,
            hint_403=HINT_403_SYNC,
        )
        raw = self._call(call, lambda: self._with_body(builder, Method.POST, body))
        return self._json(raw, "on-demand provisioning result")

    def get_user(self, user: str) -> JSON | None:
        builder = self._client.users.by_user_id(user)
        query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
            select=["id", "userPrincipalName", "displayName"]
        )
        call = Call(
            f"looking up the user {user}",
            expect_body=True,
            accept=lambda f: f.status == 404,
            hint_403="reading users needs User.Read.All (or Directory.Read.All)",
        )
        return self._get_json(call, lambda: self._get_info(builder, query))


def _values(doc: JSON | None) -> list[JSON]:
    values = (doc or {}).get("value")
    return [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []


__all__: Sequence[str] = ("ProvisioningApi", "SynchronizationCalls", "credentials")
