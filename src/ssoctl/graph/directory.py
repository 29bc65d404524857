"""What the signed-in identity is and may do: its token's claims, its directory roles
(`/me/memberOf`) and the tenant's "Users can register applications" switch
(`/policies/authorizationPolicy`). Read by `ssoctl whoami` and the preflight (ssoctl.preflight)."""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import ClientAuthenticationError

from ssoctl.graph.api import JSON
from ssoctl.graph.auth import SIGN_IN_HINT, token_claims
from ssoctl.graph.errors import sign_in_failed
from ssoctl.graph.retry import Failure
from ssoctl.graph.transport import Call, GraphTransport


def _refused(failure: Failure) -> bool:
    """403/400 on these reads means "cannot tell", not a failed command: the caller says unknown."""
    return failure.status in (400, 403, 404)


class DirectoryCalls(GraphTransport):
    def access_token(self) -> Any:
        """The credential's current token (an azure-core AccessToken): cached, so no extra sign-in."""
        try:
            return self._credential.get_token(*self._scopes)
        except ClientAuthenticationError as exc:
            raise sign_in_failed(exc, SIGN_IN_HINT) from None

    def token_claims(self) -> dict[str, Any]:
        return token_claims(str(self.access_token().token))

    def my_directory_roles(self) -> list[str] | None:
        """Role template ids of the signed-in user's directory roles; None when Graph will not say."""
        url = (
            f"{self._base}/v1.0/me/memberOf/microsoft.graph.directoryRole?$select=displayName,roleTemplateId"
        )
        call = Call("reading your directory roles", expect_body=True, accept=_refused)
        doc = self._get_json(call, self._page(url))
        if doc is None:
            return None
        values = doc.get("value")
        if not isinstance(values, list):
            return None
        return [
            str(v["roleTemplateId"]).lower()
            for v in values
            if isinstance(v, dict) and v.get("roleTemplateId")
        ]

    def authorization_policy(self) -> JSON | None:
        """The tenant's authorization policy; None when the identity may not read it."""
        url = f"{self._base}/v1.0/policies/authorizationPolicy"
        return self._get_json(
            Call("reading the authorization policy", expect_body=True, accept=_refused), self._page(url)
        )
