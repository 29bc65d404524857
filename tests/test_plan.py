"""diff() is pure: every decision register makes can be checked without Graph or a store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ssoctl.graph.mapping import AppState, application_body
from ssoctl.plan import Action, SecretStatus, diff
from ssoctl.portals import PortalOptions, get_portal
from ssoctl.resources.current import TenantView
from ssoctl.resources.password import secret_end
from ssoctl.state import HeldSecret

NOW = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
APP_ID = "0f0e0d0c-0b0a-0908-0706-050403020100"
SPEC = get_portal("emnify").build_spec(PortalOptions())


def app_json(spec=SPEC, passwords=(), **overrides) -> dict:
    body = application_body(spec, APP_ID) | {"id": "obj-1", "appId": APP_ID}
    body["passwordCredentials"] = [
        {
            "keyId": k,
            "displayName": "ssoctl",
            "endDateTime": end.isoformat().replace("+00:00", "Z"),
            "hint": "abc",
        }
        for k, end in passwords
    ]
    body.update(overrides)
    return body


def held(key: str = "key-1", store: str = "keyring", days: int = 100) -> HeldSecret:
    end = (NOW + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return HeldSecret(key_id=key, end=end, store=store, display_name="ssoctl")


def plan_for(current: dict | None, status: SecretStatus, store: str = "keyring"):
    state = AppState.from_json(current) if current else None
    return diff(SPEC, TenantView(state), status, store=store, now=NOW, tag="abc123")


def test_new_app_creates_everything_and_a_secret() -> None:
    plan = plan_for(None, SecretStatus(None, False))
    assert plan.write_application and plan.new_secret is not None
    assert {c.action for c in plan.changes} == {Action.CREATE}
    targets = [c.target for c in plan.changes]
    assert (
        targets[0] == "application" and "identifierUris" in targets and targets[-1] == "passwordCredentials"
    )
    assert plan.new_secret.end == datetime(2027, 5, 21, tzinfo=UTC)  # INTERFACE.md's example date
    assert plan.new_secret.display_name.startswith("ssoctl ")


def test_unchanged_app_with_valid_held_secret_is_a_no_op() -> None:
    current = app_json(passwords=[("key-1", NOW + timedelta(days=100))])
    plan = plan_for(current, SecretStatus(held(), in_store=True))
    assert not plan.has_changes and not plan.write_application and plan.new_secret is None
    assert [c.action for c in plan.changes] == [Action.NONE, Action.NONE]


def test_drift_is_an_update_per_setting() -> None:
    current = app_json(
        passwords=[("key-1", NOW + timedelta(days=100))],
        signInAudience="AzureADMyOrg",
        web={"redirectUris": ["https://evil.example/cb"], "implicitGrantSettings": {}},
    )
    plan = plan_for(current, SecretStatus(held(), in_store=True))
    updates = {c.target: c.detail for c in plan.changes if c.action is Action.UPDATE}
    assert set(updates) == {"signInAudience", "web.redirectUris", "web.implicitGrantSettings"}
    assert updates["signInAudience"] == "AzureADMyOrg → AzureADMultipleOrgs"
    assert plan.write_application and plan.new_secret is None


def test_missing_identifier_uri_is_drift() -> None:
    current = app_json(passwords=[("key-1", NOW + timedelta(days=100))], identifierUris=[])
    plan = plan_for(current, SecretStatus(held(), in_store=True))
    assert [c.target for c in plan.changes if c.action is Action.UPDATE] == ["identifierUris"]


def test_secret_gone_from_store_is_replaced_and_old_one_kept_for_the_portal() -> None:
    current = app_json(passwords=[("key-1", NOW + timedelta(days=100))])
    plan = plan_for(current, SecretStatus(held(), in_store=False))
    assert plan.new_secret is not None
    assert plan.secret.retire == ()  # the portal may still use it: it stays until it expires
    assert any("stays until it expires" in c.detail for c in plan.changes)


def test_secret_deleted_in_portal_is_replaced() -> None:
    plan = plan_for(app_json(passwords=[]), SecretStatus(held(), in_store=True))
    assert plan.new_secret is not None and plan.secret.retire == ()


def test_expired_secret_is_replaced() -> None:
    current = app_json(passwords=[("key-1", NOW - timedelta(days=1))])
    plan = plan_for(current, SecretStatus(held(days=-1), in_store=True))
    assert plan.new_secret is not None and plan.secret.retire[0].key_id == "key-1"


def test_changing_store_moves_the_secret() -> None:
    current = app_json(passwords=[("key-1", NOW + timedelta(days=100))])
    plan = plan_for(current, SecretStatus(held(), in_store=True), store="env-file:/tmp/x.env")
    assert plan.new_secret is not None and plan.new_secret.store == "env-file:/tmp/x.env"
    assert [(r.on_app, r.clear_store) for r in plan.secret.retire] == [(False, "keyring")]
    assert [c.target for c in plan.changes if c.action is Action.DELETE] == ["keyring"]


def test_secret_end_is_midnight_utc() -> None:
    assert secret_end(datetime(2026, 11, 22, 23, 59, tzinfo=UTC), 1) == datetime(2026, 11, 23, tzinfo=UTC)
