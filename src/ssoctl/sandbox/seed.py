"""What every Entra tenant has before anyone creates anything: Microsoft Graph's service principal.

Admin consent needs it: a delegated grant names it as `resourceId`, an application permission is
assigned on `/servicePrincipals/{its id}/appRoleAssignedTo`, and a client resolves permission
names to ids from its `oauth2PermissionScopes` and `appRoles` (GRAPH.md). Its id differs per
tenant (a random GUID here too); its appId, owner tenant and permission ids are Microsoft's and
the same everywhere.

The permissions listed are the ones ssoctl and its portals use, not all of Graph's several
hundred. Ids, values, admin display names and descriptions are Microsoft's permissions reference
as published (graph permissions-reference, mirrored by merill/graph-permissions-explorer, 2026);
the user-consent texts and `type` come from a dump of a real tenant's Graph service principal
(adamedx/autographps-sdk src/common/DefaultScopeData.ps1, 2024), since the reference omits them.

`upgrade` brings any tenant document up to date, so state files written before service
principals existed keep working: it adds the new collections and seeds Graph's service principal
once (a tenant admin may delete it later, as in Entra, and it then stays deleted).
"""

from __future__ import annotations

import uuid
from typing import Any

from ssoctl.sandbox.schema import load_schema

JSON = dict[str, Any]

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_DISPLAY_NAME = "Microsoft Graph"
MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"  # appOwnerOrganizationId of first-party apps
SEED_NAME = "microsoftGraphServicePrincipal"
COLLECTIONS = (
    "applications",
    "deletedApplications",
    "servicePrincipals",
    "oauth2PermissionGrants",
    "appRoleAssignments",
)

# Delegated permissions: (value, id, type, admin name, admin description, user name, user description).
GRAPH_SCOPES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    (
        "User.Read",
        "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
        "User",
        "Sign in and read user profile",
        "Allows users to sign-in to the app, and allows the app to read the profile of signed-in users. "
        "It also allows the app to read basic company information of signed-in users.",
        "Sign you in and read your profile",
        "Allows you to sign in to the app with your organizational account and let the app read your "
        "profile. It also allows the app to read basic company information.",
    ),
    (
        "email",
        "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
        "User",
        "View users' email address",
        "Allows the app to read your users' primary email address",
        "View your email address",
        "Allows the app to read your primary email address",
    ),
    (
        "profile",
        "14dad69e-099b-42c9-810b-d002981feec1",
        "User",
        "View users' basic profile",
        "Allows the app to see your users' basic profile (e.g., name, picture, user name, email address)",
        "View your basic profile",
        "Allows the app to see your basic profile (e.g., name, picture, user name, email address)",
    ),
    (
        "openid",
        "37f7f235-527c-4136-accd-4a02d197296e",
        "User",
        "Sign users in",
        "Allows users to sign in to the app with their work or school accounts and allows the app to "
        "see basic user profile information.",
        "Sign in as you",
        "Allows you to sign in to the app with your work or school account and allows the app to read "
        "your basic profile information.",
    ),
    (
        "offline_access",
        "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
        "User",
        "Maintain access to data you have given it access to",
        "Allows the app to see and update the data you gave it access to, even when users are not "
        "currently using the app. This does not give the app any additional permissions.",
        "Maintain access to data you have given it access to",
        "Allows the app to see and update the data you gave it access to, even when you are not "
        "currently using the app. This does not give the app any additional permissions.",
    ),
    (
        "Group.Read.All",
        "5f8c59db-677d-491f-a6b8-5f174b11ec1d",
        "Admin",
        "Read all groups",
        "Allows the app to list groups, and to read their properties and all group memberships on "
        "behalf of the signed-in user. Also allows the app to read calendar, conversations, files, "
        "and other group content for all groups the signed-in user can access.",
        "Read all groups",
        "Allows the app to list groups, and to read their properties and all group memberships on "
        "your behalf.  Also allows the app to read calendar, conversations, files, and other group "
        "content for all groups you can access.  ",
    ),
    (
        "User.Read.All",
        "a154be20-db9c-4678-8ab7-66f6cc099a59",
        "Admin",
        "Read all users' full profiles",
        "Allows the app to read the full set of profile properties, reports, and managers of other "
        "users in your organization, on behalf of the signed-in user.",
        "Read all users' full profiles",
        "Allows the app to read the full set of profile properties, reports, and managers of other "
        "users in your organization, on your behalf.",
    ),
    (
        "Directory.Read.All",
        "06da0dbc-49e2-44d2-8312-53f166ab848a",
        "Admin",
        "Read directory data",
        "Allows the app to read data in your organization's directory, such as users, groups and apps.",
        "Read directory data",
        "Allows the app to read data in your organization's directory.",
    ),
    (
        "Application.Read.All",
        "c79f8feb-a9db-4090-85f9-90d820caa0eb",
        "Admin",
        "Read applications",
        "Allows the app to read applications and service principals on behalf of the signed-in user.",
        "Read applications",
        "Allows the app to read applications and service principals on your behalf.",
    ),
    (
        "Application.ReadWrite.All",
        "bdfbf15f-ee85-4955-8675-146e8e5296b5",
        "Admin",
        "Read and write applications",
        "Allows the app to create, read, update and delete applications and service principals on "
        "behalf of the signed-in user. Allows management of app role assignments, except those "
        "exposed by Microsoft Graph. Does not allow management of delegated permission grants.",
        "Read and write applications",
        "Allows the app to create, read, update and delete applications and service principals on "
        "your behalf. Does not allow management of consent grants.",
    ),
    (
        "DelegatedPermissionGrant.ReadWrite.All",
        "41ce6ca6-6826-4807-84f1-1c82854f7ee5",
        "Admin",
        "Manage all delegated permission grants",
        "Allows the app to manage permission grants for delegated permissions exposed by any API "
        "(including Microsoft Graph), on behalf of the signed in user.",
        "Manage all delegated permission grants",
        "Allows the app to manage permission grants for delegated permissions exposed by any API "
        "(including Microsoft Graph), on your behalf. ",
    ),
    (
        "AppRoleAssignment.ReadWrite.All",
        "84bccea3-f856-4a8a-967b-dbe0a3d53a64",
        "Admin",
        "Manage app permission grants and app role assignments",
        "Allows the app to manage permission grants for application permissions to any API "
        "(including Microsoft Graph) and application assignments for any app, on behalf of the "
        "signed-in user.",
        "Manage app permission grants and app role assignments",
        "Allows the app to manage permission grants for application permissions to any API "
        "(including Microsoft Graph) and application assignments for any app, on your behalf.",
    ),
)

# Application permissions: (value, id, display name, description).
GRAPH_APP_ROLES: tuple[tuple[str, str, str, str], ...] = (
    (
        "Group.Read.All",
        "5b567255-7703-4780-807c-7be8301ae99b",
        "Read all groups",
        "Allows the app to read group properties and memberships, and read conversations for all "
        "groups, without a signed-in user.",
    ),
    (
        "User.Read.All",
        "df021288-bdef-4463-88db-98f22de89214",
        "Read all users' full profiles",
        "Allows the app to read user profiles without a signed in user.",
    ),
    (
        "Directory.Read.All",
        "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
        "Read directory data",
        "Allows the app to read data in your organization's directory, such as users, groups and "
        "apps, without a signed-in user.",
    ),
    (
        "Application.Read.All",
        "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
        "Read all applications",
        "Allows the app to read all applications and service principals without a signed-in user.",
    ),
    (
        "Application.ReadWrite.All",
        "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
        "Read and write all applications",
        "Allows the app to create, read, update and delete applications and service principals "
        "without a signed-in user. Allows management of app role assignments, except those exposed "
        "by Microsoft Graph. Does not allow management of delegated permission grants.",
    ),
    (
        "DelegatedPermissionGrant.ReadWrite.All",
        "8e8e4742-1d95-4f68-9d56-6ee75648c72a",
        "Manage all delegated permission grants",
        "Allows the app to manage permission grants for delegated permissions exposed by any API "
        "(including Microsoft Graph), without a signed-in user.",
    ),
    (
        "AppRoleAssignment.ReadWrite.All",
        "06b708a9-e830-4db3-a914-8e69da51d44f",
        "Manage app permission grants and app role assignments",
        "Allows the app to manage permission grants for application permissions to any API "
        "(including Microsoft Graph) and application assignments for any app, without a signed-in "
        "user.",
    ),
)

# A real tenant's Graph service principal lists these names (its appId plus the hosts Graph
# answers on); the exact set varies by cloud and over time, so this is a representative one.
GRAPH_SERVICE_PRINCIPAL_NAMES = (
    GRAPH_APP_ID,
    f"{GRAPH_APP_ID}/ags.windows.net",
    "https://graph.microsoft.com",
    "https://graph.microsoft.com/",
    "https://canary.graph.microsoft.com",
    "https://ags.windows.net",
)


def graph_scopes() -> list[JSON]:
    """Graph's oauth2PermissionScopes, shaped as the directory returns them."""
    return [
        {
            "adminConsentDescription": admin_description,
            "adminConsentDisplayName": admin_name,
            "id": scope_id,
            "isEnabled": True,
            "type": kind,
            "userConsentDescription": user_description,
            "userConsentDisplayName": user_name,
            "value": value,
        }
        for value, scope_id, kind, admin_name, admin_description, user_name, user_description in GRAPH_SCOPES
    ]


def graph_app_roles() -> list[JSON]:
    """Graph's appRoles (application permissions), shaped as the directory returns them."""
    return [
        {
            "allowedMemberTypes": ["Application"],
            "description": description,
            "displayName": name,
            "id": role_id,
            "isEnabled": True,
            "origin": "Application",
            "value": value,
        }
        for value, role_id, name, description in GRAPH_APP_ROLES
    ]


def graph_service_principal(object_id: str) -> JSON:
    """Microsoft Graph's service principal as a tenant holds it, with the given object id."""
    sp = load_schema().blank("servicePrincipal")
    sp.update(
        id=object_id,
        accountEnabled=True,
        appDisplayName=GRAPH_DISPLAY_NAME,
        appId=GRAPH_APP_ID,
        appOwnerOrganizationId=MICROSOFT_TENANT_ID,
        appRoleAssignmentRequired=False,
        appRoles=graph_app_roles(),
        displayName=GRAPH_DISPLAY_NAME,
        info=load_schema().blank("informationalUrl"),
        oauth2PermissionScopes=graph_scopes(),
        servicePrincipalNames=list(GRAPH_SERVICE_PRINCIPAL_NAMES),
        servicePrincipalType="Application",
        signInAudience="AzureADMultipleOrgs",
        verifiedPublisher=load_schema().blank("verifiedPublisher"),
    )
    return sp


def first_party(app_id: str) -> bool:
    """Microsoft's own applications exist in every tenant without an application object here."""
    return app_id.casefold() == GRAPH_APP_ID


def upgrade(state: JSON) -> None:
    """Bring a tenant document (new or from an older ssoctl) up to date, in place; idempotent."""
    for name in COLLECTIONS:
        state.setdefault(name, {})
    state.setdefault("replication", {})
    seeded: list[str] = state.setdefault("seeded", [])
    if SEED_NAME not in seeded:
        if not any(first_party(str(sp.get("appId") or "")) for sp in state["servicePrincipals"].values()):
            object_id = str(uuid.uuid4())
            state["servicePrincipals"][object_id] = graph_service_principal(object_id)
        seeded.append(SEED_NAME)
    if USERS_SEED not in seeded:
        state.setdefault("users", {})
        domain = next((d["name"] for d in state.get("verifiedDomains", []) if d.get("isDefault")), None)
        for user in sample_users(domain or "contoso.onmicrosoft.com"):
            state["users"][user["id"]] = user
        seeded.append(USERS_SEED)


USERS_SEED = "sampleUsers"
# A few people to provision on demand (`ssoctl azure provision --test-user UPN`); Microsoft's
# sample-tenant names. (given name, surname, job title, department)
SAMPLE_PEOPLE = (
    ("Adele", "Vance", "Retail Manager", "Retail"),
    ("Alex", "Wilber", "Marketing Assistant", "Marketing"),
    ("Megan", "Bowen", "Marketing Manager", "Marketing"),
)


def sample_users(domain: str) -> list[JSON]:
    """The sandbox tenant's users: what `/users/{id | userPrincipalName}` serves."""
    users = []
    for given, surname, title, department in SAMPLE_PEOPLE:
        upn = f"{given.lower()}.{surname.lower()}@{domain}"
        users.append(
            {
                "id": str(uuid.uuid4()),
                "userPrincipalName": upn,
                "displayName": f"{given} {surname}",
                "givenName": given,
                "surname": surname,
                "mail": upn,
                "jobTitle": title,
                "department": department,
                "accountEnabled": True,
            }
        )
    return users
