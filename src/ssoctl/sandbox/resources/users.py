"""`/users/{id | userPrincipalName}`: the sandbox tenant's few sample users (seed.sample_users).

Only what provisioning on demand needs: a client resolves a UPN to the user's object id. The
sandbox serves a fixed projection (id, userPrincipalName, displayName, givenName, surname, mail,
jobTitle, department, accountEnabled) rather than the whole CSDL user type.
"""

from __future__ import annotations

from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox.odata import Key
from ssoctl.sandbox.resources.common import JSON, project
from ssoctl.sandbox.router import Context, Response, Router

# user-get: User.Read.All (or User.ReadBasic.All, Directory.Read.All, ...).
USER_READ = ("User.Read.All", "User.ReadBasic.All", "User.ReadWrite.All", "Directory.Read.All")
FIELDS = (
    "id",
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "jobTitle",
    "department",
    "accountEnabled",
)


def register(router: Router) -> None:
    router.add("GET", "/users/{user}", get_user, permissions=USER_READ)


def find_user(state: JSON, wanted: str) -> JSON | None:
    """A user by object id or userPrincipalName (case-insensitive)."""
    folded = wanted.casefold()
    for user in state.get("users", {}).values():
        if folded in (str(user["id"]).casefold(), str(user["userPrincipalName"]).casefold()):
            return dict(user)
    return None


def get_user(ctx: Context) -> Response:
    segment = ctx.params["user"]
    wanted = segment.value if isinstance(segment, Key) else segment
    user = find_user(ctx.state, wanted)
    if user is None:
        raise ge.resource_not_found(wanted)
    body = project({k: user.get(k) for k in FIELDS}, ctx.request.query.select, FIELDS)
    return Response(200, {"@odata.context": f"{ctx.base_url}/$metadata#users/$entity", **body})
