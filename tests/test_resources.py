"""The resource model, pure: PingOne's consent resources planned from what the tenant holds.

Each case builds the tenant view a read would return and checks the steps: which resource, which
action, before → after, and what each step waits for. No Graph, no store.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ssoctl.errors import UsageError
from ssoctl.graph.mapping import AppState, application_body
from ssoctl.plan import Action, SecretStatus, diff
from ssoctl.portals import PortalOptions, get_portal
from ssoctl.resources.current import AssignmentState, GrantState, ServicePrincipalState, TenantView
from ssoctl.spec import MICROSOFT_GRAPH
from ssoctl.state import HeldSecret

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
APP_ID = "11111111-2222-3333-4444-555555555555"
REDIRECT = "https://sso.connect.pingidentity.com/sso/rp/callback/abc123"
SPEC = get_portal("pingone").build_spec(PortalOptions(redirect_uris=(REDIRECT,)))
GRAPH_SP = ServicePrincipalState("graph-sp", MICROSOFT_GRAPH, "Microsoft Graph")
OWN_SP = ServicePrincipalState("own-sp", APP_ID, "pingone")
GROUP_READ_ALL = "5b567255-7703-4780-807c-7be8301ae99b"


def app(**overrides: object) -> AppState:
    body = application_body(SPEC, APP_ID) | {"id": "obj-1", "appId": APP_ID}
    body["passwordCredentials"] = [
        {"keyId": "key-1", "displayName": "ssoctl", "endDateTime": "2027-05-01T00:00:00Z", "hint": "abc"}
    ]
    body.update(overrides)
    return AppState.from_json(body)


HELD = SecretStatus(HeldSecret("key-1", "2027-05-01T00:00:00Z", "keyring", "ssoctl"), in_store=True)


def plan(view: TenantView, status: SecretStatus = HELD):
    return diff(SPEC, view, status, store="keyring", now=NOW, tag="t1")


def grant(scope: str, consent: str = "AllPrincipals") -> GrantState:
    return GrantState("grant-1", OWN_SP.object_id, GRAPH_SP.object_id, consent, None, tuple(scope.split()))


def assignment() -> AssignmentState:
    return AssignmentState("assign-1", OWN_SP.object_id, GRAPH_SP.object_id, GROUP_READ_ALL)


def by_resource(p) -> dict[str, list[Action]]:
    out: dict[str, list[Action]] = {}
    for step in p.steps:
        out.setdefault(step.resource, []).append(step.action)
    return out


def test_the_guide_as_a_spec() -> None:
    assert SPEC.sign_in_audience == "AzureADMyOrg"
    assert SPEC.group_membership_claims == "SecurityGroup"
    assert SPEC.redirect_uris == (REDIRECT,)
    assert {(p.name, p.type) for p in SPEC.permissions} == {
        ("User.Read", "Scope"),
        ("Group.Read.All", "Role"),
    }
    assert SPEC.admin_consent and not SPEC.expose_api


def test_redirect_uri_is_required_and_checked() -> None:
    portal = get_portal("pingone")
    with pytest.raises(UsageError, match="--redirect-uri is required"):
        portal.build_spec(PortalOptions())
    with pytest.raises(UsageError, match="https"):
        portal.build_spec(PortalOptions(redirect_uris=("http://sso.example.com/cb",)))
    assert (
        portal.build_spec(PortalOptions(group_claims="All"), for_display=True).group_membership_claims
        == "All"
    )


def test_fresh_tenant_plans_every_resource_in_dependency_order() -> None:
    p = plan(TenantView(None, resource_principals={MICROSOFT_GRAPH: GRAPH_SP}), SecretStatus(None, False))
    assert by_resource(p) == {
        "application": [Action.CREATE],
        "passwordCredential": [Action.CREATE],
        "servicePrincipal": [Action.CREATE],
        "oauth2PermissionGrant": [Action.CREATE],
        "appRoleAssignment": [Action.CREATE],
    }
    needs = {s.resource: s.needs for s in p.steps}
    assert needs["passwordCredential"] == ("application",) and needs["servicePrincipal"] == ("application",)
    assert needs["oauth2PermissionGrant"] == needs["appRoleAssignment"] == ("servicePrincipal",)
    (grant_change,) = [c for c in p.changes if c.resource == "oauth2PermissionGrant"]
    assert (grant_change.before, grant_change.after) == ("none", "User.Read")
    assert grant_change.to_json()["resource"] == "oauth2PermissionGrant"


def test_everything_in_place_is_a_no_op() -> None:
    view = TenantView(
        app(), OWN_SP, {MICROSOFT_GRAPH: GRAPH_SP}, (grant("openid User.Read"),), (assignment(),)
    )
    p = plan(view)
    assert not p.has_changes, [c.detail for c in p.changes if c.action is not Action.NONE]


def test_missing_scope_is_merged_into_the_existing_grant() -> None:
    view = TenantView(app(), OWN_SP, {MICROSOFT_GRAPH: GRAPH_SP}, (grant("openid email"),), (assignment(),))
    p = plan(view)
    (step,) = [s for s in p.steps if s.resource == "oauth2PermissionGrant"]
    assert step.action is Action.UPDATE
    assert step.payload.grant_id == "grant-1" and step.payload.scope == "openid email User.Read"
    assert (step.changes[0].before, step.changes[0].after) == ("openid email", "openid email User.Read")


def test_user_consent_is_not_admin_consent() -> None:
    view = TenantView(
        app(), OWN_SP, {MICROSOFT_GRAPH: GRAPH_SP}, (grant("User.Read", "Principal"),), (assignment(),)
    )
    (step,) = [s for s in plan(view).steps if s.resource == "oauth2PermissionGrant"]
    assert step.action is Action.CREATE


def test_revoked_consent_and_changed_group_claims_are_drift() -> None:
    view = TenantView(app(groupMembershipClaims="All"), OWN_SP, {MICROSOFT_GRAPH: GRAPH_SP}, (), ())
    p = plan(view)
    assert by_resource(p)["oauth2PermissionGrant"] == [Action.CREATE]
    assert by_resource(p)["appRoleAssignment"] == [Action.CREATE]
    (claims,) = [c for c in p.changes if c.target == "groupMembershipClaims"]
    assert (claims.action, claims.before, claims.after) == (Action.UPDATE, "All", "SecurityGroup")


def test_deleted_enterprise_app_is_recreated_with_its_consent() -> None:
    p = plan(TenantView(app(), None, {MICROSOFT_GRAPH: GRAPH_SP}))
    assert by_resource(p)["servicePrincipal"] == [Action.CREATE]
    assert by_resource(p)["application"] == [Action.NONE]


def test_emnify_plans_no_consent_resources() -> None:
    emnify = get_portal("emnify").build_spec(PortalOptions())
    p = diff(emnify, TenantView(None), SecretStatus(None, False), store="keyring", now=NOW, tag="t")
    assert [s.resource for s in p.steps] == ["application", "passwordCredential"]


def test_expired_secret_replaced_beside_consent() -> None:
    expired = SecretStatus(
        HeldSecret("key-1", (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "keyring", "s"), True
    )
    old = app(passwordCredentials=[{"keyId": "key-1", "endDateTime": "2026-11-30T00:00:00Z"}])
    view = TenantView(old, OWN_SP, {MICROSOFT_GRAPH: GRAPH_SP}, (grant("User.Read"),), (assignment(),))
    p = plan(view, expired)
    assert p.new_secret is not None
    assert [s.resource for s in p.steps if s.has_work] == ["passwordCredential"]
