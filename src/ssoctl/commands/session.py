"""Opening Graph for a command: the sandbox tenant or a real cloud, and the signed-in tenant."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ssoctl.config import (
    Cloud,
    check_sign_in_environment,
    check_tenant,
    graph_endpoint,
    graph_timeout,
    resolve_cloud,
)
from ssoctl.deps import Deps
from ssoctl.errors import UsageError
from ssoctl.graph.api import GraphApi
from ssoctl.graph.token_check import login_authority
from ssoctl.ids import is_guid


@dataclass
class GraphSession:
    graph: GraphApi
    sandbox: bool
    signed_in_as: str  # how: "sandbox", "SSOCTL_ACCESS_TOKEN", "Azure CLI", ...
    requested_tenant: str | None
    cloud: Cloud
    graph_endpoint: str = ""
    _tenant_id: str | None = None
    # The login host: the cloud's (or AZURE_AUTHORITY_HOST), the sandbox's own URL under --sandbox.
    authority: str = ""

    @property
    def login_host(self) -> str:
        return self.authority or self.cloud.login

    @property
    def discovery_url(self) -> str:
        """The tenant's OpenID Connect metadata document (the portal's "Discovery Endpoint")."""
        return f"{self.login_host}/{self.tenant_id}/v2.0/.well-known/openid-configuration"

    @property
    def token_endpoint(self) -> str:
        """Where a portal (and `azure verify`) asks for a token with the client ID and secret."""
        return f"{self.login_host}/{self.tenant_id}/oauth2/v2.0/token"

    @property
    def tenant_id(self) -> str:
        """The tenant the token is for; a different --tenant is a usage error, not a surprise."""
        if self._tenant_id is None:
            tid = self.graph.tenant_id()
            wanted = self.requested_tenant
            if wanted and is_guid(wanted) and wanted.lower() != tid.lower():
                raise UsageError(
                    f"signed in to tenant {tid}, but --tenant/AZURE_TENANT_ID says {wanted}",
                    hint="sign in to the tenant you mean, or drop --tenant",
                )
            self._tenant_id = tid
        return self._tenant_id


@contextmanager
def graph_session(
    deps: Deps, *, sandbox: bool, tenant: str | None, cloud: str | None
) -> Iterator[GraphSession]:
    """Yield a Graph session; the in-process sandbox server (if any) stops when it closes."""
    # Checked even where unused (the sandbox, a ready token): bad input is bad input.
    flag_tenant = check_tenant(tenant, source="--tenant")
    env_tenant = check_tenant(deps.env.get("AZURE_TENANT_ID"), source="AZURE_TENANT_ID")
    tenant = flag_tenant or env_tenant or None
    timeout = graph_timeout(deps.env)
    chosen_cloud = resolve_cloud(cloud, deps.env)
    check_sign_in_environment(deps.env)
    real_graph = graph_endpoint(chosen_cloud, deps.env)  # checked under --sandbox too
    server: Any = None
    if deps.sandbox_requested(sandbox):
        from ssoctl.graph.auth import StaticToken
        from ssoctl.sandbox import Faults, start_sandbox

        server = start_sandbox(deps.home, faults=Faults.from_env(deps.env))
        if flag_tenant and flag_tenant.lower() != server.tenant_id:
            server.stop()
            raise UsageError(
                f"--tenant {flag_tenant} is not the sandbox tenant ({server.tenant_id})",
                hint="drop --tenant with --sandbox (the sandbox has one tenant), or drop --sandbox",
            )
        base_url, credential, how = server.url, StaticToken(server.token), "sandbox"
        authority = server.url  # the sandbox is its own login host (sandbox/login.py)
        tenant = None  # the sandbox has exactly one tenant; AZURE_TENANT_ID is for real tenants
    else:
        base_url = real_graph
        sign_in = deps.sign_in(deps.env, cloud=chosen_cloud, tenant=tenant)
        credential, how = sign_in.credential, sign_in.description
        authority = login_authority(deps.env, chosen_cloud)
    try:
        graph = deps.graph_factory(
            base_url, credential, sleep=deps.sleep, tenant_hint=tenant, timeout=timeout
        )
        try:
            yield GraphSession(
                graph, server is not None, how, tenant, chosen_cloud, base_url, authority=authority
            )
        finally:
            graph.close()
    finally:
        if server is not None:
            server.stop()
