"""The emnify app registration exactly as ../shared/reference/GRAPH.md gives it (seed 002).

One copy for every test that needs the guide's body: the portal profile is pinned to it, the
sandbox must accept it, and the Graph client must send it byte for byte.
"""

from __future__ import annotations

from typing import Any

MICROSOFT_GRAPH = "00000003-0000-0000-c000-000000000000"
USER_READ = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"
EMAIL = "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0"
PROFILE = "14dad69e-099b-42c9-810b-d002981feec1"

GUIDE_BODY: dict[str, Any] = {
    "displayName": "emnify",
    "signInAudience": "AzureADMultipleOrgs",
    "web": {
        "redirectUris": ["https://prod-e5.okta.com/oauth2/v1/authorize/callback"],
        "implicitGrantSettings": {"enableAccessTokenIssuance": True, "enableIdTokenIssuance": True},
    },
    "optionalClaims": {
        "idToken": [],
        "accessToken": [],
        "saml2Token": [{"name": "upn", "source": None, "essential": False, "additionalProperties": []}],
    },
    "requiredResourceAccess": [
        {
            "resourceAppId": MICROSOFT_GRAPH,
            "resourceAccess": [
                {"id": USER_READ, "type": "Scope"},
                {"id": EMAIL, "type": "Scope"},
                {"id": PROFILE, "type": "Scope"},
            ],
        }
    ],
}
