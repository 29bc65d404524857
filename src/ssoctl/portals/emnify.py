"""emnify Portal: "Setup SSO with Microsoft Active Directory" (../shared/seeds/002) as data.

The guide: multitenant; web redirect to emnify's Okta callback; implicit access + ID tokens;
SAML optional claim `upn` without turning on the Graph profile permission; delegated `email` and
`profile` next to the default `User.Read`; Expose an API → Set (api://{appId}); a client secret.
emnify has no SSO API, so the rest is manual and printed as next steps.
"""

from __future__ import annotations

from ssoctl.portals.base import NextStepContext, Portal
from ssoctl.portals.graph_permissions import EMAIL, PROFILE, USER_READ
from ssoctl.spec import OptionalClaim

REDIRECT_URI = "https://prod-e5.okta.com/oauth2/v1/authorize/callback"


def next_steps(ctx: NextStepContext) -> list[str]:
    return [
        "Sign in to the emnify Portal (https://portal.emnify.com/) and open Organization Settings "
        "(building icon) → Single Sign-On. If SSO is not enabled for your account, contact emnify support.",
        "Under the Microsoft SSO provider click Add.",
        f"Client ID: {ctx.client_id}",
        f"Client Secret: paste {ctx.secret_to_paste}",
        "Click Create and Activate.",
        "Click Verify Integration and follow the prompts — SSO is configured only after verification.",
        "Your emnify user's email must be the same as your Microsoft sign-in; if it differs, add "
        "another emnify user with Administrator privileges whose email matches.",
    ]


PORTAL = Portal(
    name="emnify",
    title="emnify Portal",
    guide="https://docs.emnify.com/ — Setup SSO with Microsoft Active Directory",
    summary="emnify IoT SIM portal: Microsoft sign-in through emnify's Okta (client ID + secret pasted by hand)",
    sign_in_audience="AzureADMultipleOrgs",
    redirect_uris=(REDIRECT_URI,),
    implicit_access_tokens=True,
    implicit_id_tokens=True,
    optional_claims=(OptionalClaim(token="saml2Token", name="upn"),),
    permissions=(USER_READ, EMAIL, PROFILE),
    expose_api=True,
    next_steps=next_steps,
    troubleshooting=(
        '"User canceled social login": the app registration is not multitenant (AzureADMultipleOrgs).',
        "Sign-in works but no account: the emnify user's email must equal the Microsoft sign-in email.",
    ),
)
