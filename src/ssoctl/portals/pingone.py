"""PingOne for Enterprise: "Connect to Azure" (../shared/seeds/004), the identity bridge, as data.

The guide: an app registration with a web redirect URI that PingOne shows (it carries a
verification code unique to the account, so the user passes it with --redirect-uri); a client
secret; Microsoft Graph application permission Group.Read.All and delegated User.Read, with "Grant
admin consent" (done for real: service principal, one AllPrincipals grant, one app role
assignment); groupMembershipClaims SecurityGroup or All; and the tenant's OpenID Connect metadata
URL as PingOne's Discovery Endpoint. The identity bridge has no admin API: the PingOne half stays
manual and is printed as next steps.
"""

from __future__ import annotations

from ssoctl.portals.base import NextStepContext, Portal
from ssoctl.portals.graph_permissions import GROUP_READ_ALL_ROLE, USER_READ

WHERE_THE_REDIRECT_URI_IS = (
    "PingOne for Enterprise → Setup → Identity Repository → Microsoft Azure AD → "
    'the Microsoft Azure Provider panel ("PingOne Redirect URI")'
)


def next_steps(ctx: NextStepContext) -> list[str]:
    return [
        "In PingOne for Enterprise open Setup → Identity Repository → Connect to an Identity Repository, "
        "choose Microsoft Azure AD and click Next (Configure Your Microsoft Azure Connection).",
        f"Client ID: {ctx.client_id}",
        f"Client Secret: paste {ctx.secret_to_paste}",
        f"Discovery Endpoint: {ctx.discovery_url}",
        "Click Verify; PingOne reads the endpoints from the Discovery Endpoint.",
        "Scope: select openid, profile and email, then click Next.",
        "Map the Azure attributes to the PingOne for Enterprise attributes (used by the dock) and click Next. "
        "If you also use PingID for Azure Conditional Access, make the MFA_SUBJECT mapping match PingID's "
        "username mapping.",
        "Choose whether to synchronize Azure groups with PingOne user groups (needs User.Read and "
        "Group.Read.All, consented by ssoctl); groups PingOne has that Azure lacks are replaced. "
        "Later changes need User Groups → Synchronize Groups. Click Done.",
    ]


PORTAL = Portal(
    name="pingone",
    title="PingOne for Enterprise",
    guide="https://docs.pingidentity.com/pingoneforenterprise/pingone_for_enterprise/p14e_connect_azure.html",
    summary="PingOne for Enterprise identity bridge: OpenID Connect to your tenant, groups, admin consent",
    sign_in_audience="AzureADMyOrg",
    redirect_uris=(),
    implicit_access_tokens=False,
    implicit_id_tokens=False,
    optional_claims=(),
    permissions=(USER_READ, GROUP_READ_ALL_ROLE),
    expose_api=False,
    next_steps=next_steps,
    troubleshooting=(
        "AADSTS50011 (redirect URI mismatch): the --redirect-uri must be PingOne's exactly, verification "
        "code included; run register again with the URI PingOne shows.",
        "AADSTS65001 / AADSTS90094 (consent required): admin consent is missing; run register again "
        "with an account that may grant it (Cloud Application Administrator, plus Privileged Role "
        "Administrator for Group.Read.All).",
        "No groups in PingOne: groupMembershipClaims must be SecurityGroup or All (--group-claims) and "
        "Group.Read.All consented; then User Groups → Synchronize Groups.",
    ),
    admin_consent=True,
    group_claims="SecurityGroup",
    redirect_uri_from_portal=WHERE_THE_REDIRECT_URI_IS,
    shows_discovery_url=True,
)
