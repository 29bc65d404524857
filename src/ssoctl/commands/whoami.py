"""`ssoctl whoami`: who is signed in, where, until when, and whether that is enough for ssoctl."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ssoctl.config import Cloud
from ssoctl.deps import Deps
from ssoctl.preflight import ALL_NEEDS, Assessment, assess

from .session import graph_session


@dataclass
class WhoamiResult:
    assessment: Assessment
    tenant_id: str
    cloud: Cloud
    graph_endpoint: str
    signed_in_with: str  # "sandbox", "login cache", "environment (client secret)", ...
    sandbox: bool

    @property
    def ready(self) -> bool:
        """Nothing ssoctl may need is known to be missing."""
        return not self.assessment.missing()

    def as_json(self) -> dict[str, Any]:
        identity = self.assessment.identity
        return {
            "account": identity.account,
            "kind": identity.kind,
            "tenantId": self.tenant_id,
            "cloud": self.cloud.name,
            "graphEndpoint": self.graph_endpoint,
            "signedInWith": self.signed_in_with,
            "sandbox": self.sandbox,
            "tokenExpires": identity.expires.strftime("%Y-%m-%dT%H:%M:%SZ") if identity.expires else None,
            "usersCanRegisterApps": self.assessment.users_can_register_apps,
            "checks": [c.as_json() for c in self.assessment.checks],
            "ready": self.ready,
        }


def run_whoami(deps: Deps, *, sandbox: bool, tenant: str | None, cloud: str | None) -> WhoamiResult:
    with graph_session(deps, sandbox=sandbox, tenant=tenant, cloud=cloud) as session:
        result = assess(session.graph, ALL_NEEDS)
        return WhoamiResult(
            assessment=result,
            tenant_id=session.tenant_id,
            cloud=session.cloud,
            graph_endpoint=session.graph_endpoint,
            signed_in_with=session.signed_in_as,
            sandbox=session.sandbox,
        )
