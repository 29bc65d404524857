"""User profiles and generic-oidc end to end: the same app as the built-in, names resolved by Graph."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Cli, Tenant
from tests.test_profiles import USER_EMNIFY

GRAPH = "00000003-0000-0000-c000-000000000000"
DIRECTORY_READ_ALL_SCOPE = "06da0dbc-49e2-44d2-8312-53f166ab848a"
USER_READ_ALL_ROLE = "df021288-bdef-4463-88db-98f22de89214"

SETTINGS = ("signInAudience", "web", "optionalClaims", "requiredResourceAccess", "identifierUris")


def _shape(app: dict, app_id: str) -> dict:
    shaped = {k: app.get(k) for k in SETTINGS}
    shaped["identifierUris"] = [u.replace(app_id, "{appId}") for u in app["identifierUris"]]
    for rra in shaped["requiredResourceAccess"]:
        rra["resourceAccess"] = sorted(rra["resourceAccess"], key=lambda a: a["id"])
    return shaped


def test_a_user_profile_mirroring_emnify_makes_the_same_app(cli: Cli, tenant: Tenant, tmp_path: Path) -> None:
    assert cli.register("--yes").exit_code == 0
    path = tmp_path / "mine.toml"
    path.write_text(USER_EMNIFY)
    run = cli("azure", "register", "--portal-file", str(path), "--yes", "-o", "json")
    assert run.exit_code == 0, run.stderr
    builtin, mine = tenant.app("ssoctl-emnify"), tenant.app("ssoctl-emnify-mine")
    assert _shape(mine, mine["appId"]) == _shape(builtin, builtin["appId"])
    again = cli("azure", "register", "--portal-file", str(path), "--yes")
    assert again.exit_code == 0 and again.mutating == []


def test_generic_oidc_resolves_permission_names_through_the_service_principal(
    cli: Cli, tenant: Tenant
) -> None:
    args = (
        "azure", "register", "--portal", "generic-oidc", "--name", "Wiki",
        "--redirect-uri", "https://wiki.example.com/oidc/callback",
        "--permission", "Microsoft Graph/Directory.Read.All",
        "--permission", "Microsoft Graph/User.Read.All (application)",
        "--optional-claim", "idToken:upn", "--implicit-id-tokens",
        "--identifier-uri", "api://{appId}", "--group-claims", "security",
    )  # fmt: skip
    run = cli(*args, "--yes")
    assert run.exit_code == 0, run.stderr
    app = tenant.app("ssoctl-generic-oidc-wiki")
    (graph,) = [r for r in app["requiredResourceAccess"] if r["resourceAppId"] == GRAPH]
    ids = {(a["id"], a["type"]) for a in graph["resourceAccess"]}
    assert (DIRECTORY_READ_ALL_SCOPE, "Scope") in ids and (USER_READ_ALL_ROLE, "Role") in ids
    assert app["web"]["implicitGrantSettings"]["enableIdTokenIssuance"] is True
    assert app["groupMembershipClaims"] == "SecurityGroup"
    assert app["identifierUris"] == [f"api://{app['appId']}"]
    again = cli(*args, "--yes")
    assert again.exit_code == 0 and again.mutating == []


def test_an_unknown_permission_name_exits_2_and_changes_nothing(cli: Cli, tenant: Tenant) -> None:
    run = cli(
        "azure", "register", "--portal", "generic-oidc",
        "--permission", "Microsoft Graph/Files.Teleport", "--yes",
    )  # fmt: skip
    assert run.exit_code == 2 and "Files.Teleport" in run.stderr
    assert run.mutating == [] and tenant.apps() == []


def test_a_registration_from_a_profile_file_is_managed_by_name_afterwards(
    cli: Cli, tenant: Tenant, tmp_path: Path
) -> None:
    path = tmp_path / "elsewhere" / "mine.toml"
    path.parent.mkdir()
    path.write_text(USER_EMNIFY)
    made = cli("azure", "register", "--portal-file", str(path), "--yes", "-o", "json")
    assert made.exit_code == 0, made.stderr
    # Hints, reminders and calendar events name the registration by --portal (these commands take
    # no --portal-file): each finds the profile as it was applied.
    path.unlink()  # the user's file may move or go: the copy kept at apply time is used
    revealed = cli("secrets", "reveal", "--portal", "emnify-mine", "--sandbox")
    assert revealed.exit_code == 0 and len(revealed.stdout.strip()) > 20
    assert cli("azure", "status", "--portal", "emnify-mine", "--sandbox").exit_code == 0
    rotated = cli("secrets", "rotate", "--portal", "emnify-mine", "--sandbox", "--overlap-days", "0", "--yes")
    assert rotated.exit_code == 0, rotated.stderr
    gone = cli("azure", "unregister", "--portal", "emnify-mine", "--sandbox", "--yes")
    assert gone.exit_code == 0, gone.stderr
    assert "ssoctl-emnify-mine" not in [a.get("uniqueName") for a in tenant.apps()]
