"""`SdkGraph`: the `GraphApi` over msgraph-sdk, assembled from its parts.

- `graph.transport`: the request core (per-thread SDK sessions, ssoctl's retries, raw JSON);
- `graph.errors`: Graph's failures as ssoctl errors with hints;
- `graph.applications`, `graph.consent`, `graph.synchronization`: the calls, one module per kind
  of Graph object.

Only graph/ imports msgraph-sdk; `deps.sdk_graph` imports this module when a command talks to Graph.
"""

from __future__ import annotations

import warnings

from azure.core.exceptions import ClientAuthenticationError

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from msgraph.generated.organization.organization_request_builder import OrganizationRequestBuilder

from ssoctl.errors import GraphError
from ssoctl.graph.applications import ApplicationCalls
from ssoctl.graph.auth import SIGN_IN_HINT, token_claims
from ssoctl.graph.consent import ConsentCalls
from ssoctl.graph.directory import DirectoryCalls
from ssoctl.graph.errors import sign_in_failed
from ssoctl.graph.synchronization import SynchronizationCalls
from ssoctl.graph.transport import Call, encode_json, odata_key
from ssoctl.ids import is_guid

__all__ = ["SdkGraph", "encode_json", "odata_key"]


class SdkGraph(ApplicationCalls, ConsentCalls, DirectoryCalls, SynchronizationCalls):
    """`GraphApi` over msgraph-sdk. Sync methods, safe to call from several threads at once."""

    _tenant: str | None = None

    def tenant_id(self) -> str:
        if self._tenant is None:
            try:
                token = self._credential.get_token(*self._scopes).token
            except ClientAuthenticationError as exc:
                raise sign_in_failed(exc, SIGN_IN_HINT) from None
            tid = token_claims(token).get("tid")
            if isinstance(tid, str) and tid:
                self._tenant = tid
            elif self._tenant_hint and is_guid(self._tenant_hint):
                self._tenant = self._tenant_hint
            else:
                self._tenant = self._organization_id()
        return self._tenant

    def _organization_id(self) -> str:
        query = OrganizationRequestBuilder.OrganizationRequestBuilderGetQueryParameters(select=["id"])
        doc = self._get_json(
            Call("reading the tenant ID", expect_body=True),
            lambda: self._get_info(self._client.organization, query),
        )
        values = (doc or {}).get("value")
        if isinstance(values, list) and values and isinstance(values[0], dict):
            tid = values[0].get("id")
            if isinstance(tid, str) and tid:
                return tid
        raise GraphError(
            "GET /organization returned no tenant ID",
            status=200,
            hint="sign in with a work account of an Entra tenant (a personal Microsoft account has no tenant), "
            "or pass --tenant",
        )

    def __enter__(self) -> SdkGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
