"""--cloud picks the authority, the Graph endpoint and the admin-portal link in next steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssoctl.config import CLOUDS
from ssoctl.graph.auth import authority_for, graph_scope
from ssoctl.sandbox import start_sandbox
from tests.e2e.conftest import Cli


@pytest.mark.parametrize(
    ("cloud", "login", "portal"),
    [
        ("global", "https://login.microsoftonline.com", "https://entra.microsoft.com"),
        ("usgov", "https://login.microsoftonline.us", "https://portal.azure.us"),
        ("usgov-dod", "https://login.microsoftonline.us", "https://portal.azure.us"),
        ("china", "https://login.chinacloudapi.cn", "https://portal.azure.cn"),
    ],
)
def test_each_cloud_has_its_authority_and_portal(cloud: str, login: str, portal: str) -> None:
    assert authority_for({}, CLOUDS[cloud]) == (login, False)  # Microsoft's hosts: discovery stays on
    assert CLOUDS[cloud].app_link("abc").startswith(f"{portal}/#view/Microsoft_AAD_RegisteredApps/")
    assert graph_scope(CLOUDS[cloud].graph) == f"{CLOUDS[cloud].graph}/.default"


def test_authority_host_override_turns_discovery_off_for_other_hosts() -> None:
    env = {"AZURE_AUTHORITY_HOST": "https://127.0.0.1:8443/"}
    assert authority_for(env, CLOUDS["global"]) == ("https://127.0.0.1:8443", True)
    assert authority_for({"AZURE_AUTHORITY_HOST": "login.microsoftonline.us"}, CLOUDS["global"]) == (
        "https://login.microsoftonline.us",
        False,
    )
    assert graph_scope("http://127.0.0.1:9999") == "https://graph.microsoft.com/.default"


def test_next_steps_link_the_clouds_admin_portal(cli: Cli, home: Path) -> None:
    with start_sandbox(home) as srv:
        env = {"SSOCTL_GRAPH_ENDPOINT": srv.url, "SSOCTL_ACCESS_TOKEN": srv.token}
        run = cli.register(
            "--yes",
            "--cloud",
            "usgov",
            "--store",
            "none",
            "--show-secret",
            "-o",
            "json",
            env=env,
            sandbox=False,
        )
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert (
        f"https://portal.azure.us/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Overview/appId/{doc['appId']}"
        in " ".join(doc["nextSteps"])
    )
    sandboxed = cli.register("-o", "json")
    assert "portal.azure" not in sandboxed.stdout and "entra.microsoft.com" not in sandboxed.stdout


def test_cloud_notices_name_only_the_gaps() -> None:
    from ssoctl.cloud_features import APPLICATION_UPSERT, GALLERY_LIST, cloud_notices

    assert cloud_notices(CLOUDS["global"], (APPLICATION_UPSERT, GALLERY_LIST)) == []
    assert len(cloud_notices(CLOUDS["china"], (APPLICATION_UPSERT, GALLERY_LIST))) == 2
    assert [
        n.split(":")[0] for n in cloud_notices(CLOUDS["usgov-dod"], (GALLERY_LIST, APPLICATION_UPSERT))
    ] == ["usgov-dod"]
