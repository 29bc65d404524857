"""`ssoctl secrets status` end to end: live expiry from the sandbox tenant, exit 0/8, JSON, the
calendar file read back with icalendar, the webhook post, and the requests it needs."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from ssoctl.sandbox.resources.common import graph_time
from ssoctl.sandbox.state import TenantStore
from tests.e2e.conftest import Cli, Tenant

ENTRY_KEYS = {
    "portal", "name", "tenantId", "appId", "keyId", "displayName", "endDateTime", "daysLeft",
    "store", "managed", "status",
}  # fmt: skip


def status(cli: Cli, *args: str) -> Any:
    run = cli("secrets", "status", "--sandbox", "-o", "json", *args)
    assert run.exit_code in (0, 8), run.stdout + run.stderr
    return run


def test_a_20_day_secret_is_expiring_within_30_and_fine_within_10(cli: Cli, tmp_path: Path) -> None:
    assert (
        cli.register("--yes", "--secret-days", "20", "--store", f"env-file:{tmp_path}/e.env").exit_code == 0
    )
    within_30 = status(cli, "--within", "30")
    assert within_30.exit_code == 8
    (entry,) = within_30.json()["secrets"]
    assert set(entry) >= ENTRY_KEYS
    assert entry["status"] == "expiring" and entry["daysLeft"] == 20 and entry["managed"] is True
    assert entry["portal"] == "emnify" and entry["store"] == f"env-file:{tmp_path}/e.env"
    assert within_30.json()["window"] == 30
    assert [r["method"] for r in within_30.served] == ["GET"]  # one filtered read
    within_10 = status(cli, "--within", "10")
    assert within_10.exit_code == 0 and within_10.json()["secrets"][0]["status"] == "ok"
    assert within_10.mutating == []


def test_expired_and_default_window(cli: Cli) -> None:
    assert cli.register("--yes", "--secret-days", "31").exit_code == 0
    assert status(cli).exit_code == 0  # 31 days left, default window 30
    cli.days_later = 1
    assert status(cli).exit_code == 8  # 30 left
    cli.days_later = 40
    expired = status(cli)
    assert expired.exit_code == 8 and expired.json()["secrets"][0]["status"] == "expired"
    assert expired.json()["secrets"][0]["daysLeft"] < 0


def test_human_timeline_names_the_app_and_the_exact_command(cli: Cli) -> None:
    assert cli.register("--yes", "--name", "emnify staging", "--secret-days", "5").exit_code == 0
    run = cli("secrets", "status", "--sandbox", env={"COLUMNS": "160"})
    assert run.exit_code == 8
    assert "expiring" in run.stdout and "emnify staging (emnify)" in run.stdout and "█" in run.stdout
    assert "ssoctl secrets rotate --portal emnify --name 'emnify staging' --sandbox" in run.stdout


def test_a_long_store_path_stays_on_one_row_at_80_columns(cli: Cli, tmp_path: Path) -> None:
    deep = tmp_path / ("very-long-folder-name-" * 4) / "credentials.env"
    deep.parent.mkdir(parents=True)
    assert cli.register("--yes", "--secret-days", "5", "--store", f"env-file:{deep}").exit_code == 0
    run = cli("secrets", "status", "--sandbox", env={"COLUMNS": "80"})
    assert run.exit_code == 8
    (row,) = [line for line in run.stdout.splitlines() if line.startswith("expiring")]
    assert row.rstrip().endswith("/credentials.env") and "…" in row and len(row.rstrip()) <= 80
    assert "emnify" in row  # the app keeps its column


def test_calendar_file_reads_back_with_the_right_date(cli: Cli, tmp_path: Path) -> None:
    from icalendar import Calendar

    assert cli.register("--yes", "--secret-days", "20").exit_code == 0
    assert cli.register("--yes", "--name", "emnify eu", "--secret-days", "90").exit_code == 0
    ics = tmp_path / "secrets.ics"
    run = status(cli, "--ics", str(ics), "--alarm-days", "3")
    ends = {e["name"]: e["endDateTime"] for e in run.json()["secrets"]}
    cal = Calendar.from_ical(ics.read_bytes())
    events = {str(e.get("summary")): e for e in cal.walk("VEVENT")}
    assert set(events) == {"emnify: client secret expires", "emnify eu (emnify): client secret expires"}
    first = events["emnify: client secret expires"]
    expected = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=20)
    assert first.decoded("dtstart") == expected
    assert ends["emnify"] == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
    (alarm,) = first.walk("VALARM")
    assert alarm.decoded("trigger") == timedelta(days=-3)
    assert "ssoctl secrets rotate --portal emnify --sandbox" in str(first.get("description"))
    eu = events["emnify eu (emnify): client secret expires"]
    assert "--name 'emnify eu'" in str(eu.get("description"))
    assert ics.stat().st_mode & 0o077 == 0


def test_bad_input_costs_no_request(cli: Cli, tmp_path: Path) -> None:
    assert cli.register("--yes").exit_code == 0
    for args in (
        ["--within", "-1"],
        ["--ics", str(tmp_path / "no-such-folder" / "x.ics")],
        ["--notify", "http://hooks.example.com/services/T000/B000/SECRETTOKEN"],
        ["--notify", "not a url"],
    ):
        run = cli("secrets", "status", "--sandbox", *args)
        assert run.exit_code == 2, (args, run.stderr)
        assert run.requests == [] and "SECRETTOKEN" not in run.stdout + run.stderr


def seed_app(home: Path, name: str, passwords: list[dict[str, Any]], keys: list[dict[str, Any]]) -> str:
    """An application made by hand (not by ssoctl), written straight into the sandbox tenant."""
    from ssoctl.sandbox.resources.applications import new_application
    from ssoctl.sandbox.schema import load_schema

    now = datetime.now(UTC)
    object_id, app_id = str(uuid.uuid4()), str(uuid.uuid4())
    with TenantStore(home).transaction() as state:
        app = new_application(load_schema(), object_id=object_id, app_id=app_id, now=now, domain="x")
        app.update(displayName=name, passwordCredentials=passwords, keyCredentials=keys)
        state["applications"][object_id] = app
    return app_id


def credential(days: int | None, name: str, *, years: int = 0) -> dict[str, Any]:
    now = datetime.now(UTC)
    end = None if days is None else graph_time(now + timedelta(days=days + 365 * years))
    return {
        "keyId": str(uuid.uuid4()),
        "displayName": name,
        "startDateTime": graph_time(now),
        "endDateTime": end,
    }


def test_all_lists_every_app_secrets_and_certificates_with_flags(cli: Cli, home: Path) -> None:
    assert cli.register("--yes").exit_code == 0
    forever = credential(None, "forever")
    long = credential(1, "long", years=3)
    cert = {**credential(10, "CN=signing"), "type": "AsymmetricX509Cert", "usage": "Verify", "key": None}
    seed_app(home, "Hand made", [forever, long], [cert])
    managed_only = status(cli)
    assert {e["name"] for e in managed_only.json()["secrets"]} == {"emnify"}
    run = status(cli, "--all")
    assert run.exit_code == 8  # the certificate ends in 10 days
    by_name = {e["displayName"]: e for e in run.json()["secrets"]}
    assert by_name["forever"]["flags"] == ["noEndDate"] and by_name["forever"]["daysLeft"] is None
    assert by_name["long"]["flags"] == ["overTwoYears"] and by_name["long"]["status"] == "ok"
    assert by_name["CN=signing"]["kind"] == "certificate" and by_name["CN=signing"]["status"] == "expiring"
    assert all(by_name[n]["managed"] is False and by_name[n]["portal"] is None for n in ("forever", "long"))
    order = [e["displayName"] for e in run.json()["secrets"]]
    assert order[0] == "CN=signing" and order[-1] == "forever"  # soonest first, no end date last


def test_orphan_and_missing_app(cli: Cli, tenant: Tenant) -> None:
    assert cli.register("--yes").exit_code == 0
    app = tenant.app()
    status_code, _ = tenant.call(
        "POST",
        f"/applications/{app['id']}/addPassword",
        {"passwordCredential": {"displayName": "ssoctl 2026-01-01 abcdef"}},
    )
    assert status_code == 200
    run = status(cli)
    assert run.exit_code == 0  # an orphan breaks nothing: prune removes it
    statuses = sorted(e["status"] for e in run.json()["secrets"])
    assert statuses == ["ok", "orphan"]
    assert tenant.call("DELETE", f"/applications/{app['id']}")[0] == 204
    gone = status(cli)
    assert gone.exit_code == 8 and gone.json()["missing"][0]["name"] == "emnify"


def test_all_pages_a_large_tenant_in_pages_of_999(cli: Cli, home: Path) -> None:
    assert cli.register("--yes").exit_code == 0
    for n in range(2):
        seed_app(home, f"bulk {n}", [credential(100, "s")], [])
    with TenantStore(home).transaction() as state:  # 2,000 more, cheaply copied
        template = next(a for a in state["applications"].values() if a["displayName"] == "bulk 0")
        for _ in range(2000):
            object_id = str(uuid.uuid4())
            state["applications"][object_id] = {**template, "id": object_id, "appId": str(uuid.uuid4())}
    run = status(cli, "--all")
    pages = [r for r in run.served if r["path"].startswith("/v1.0/applications")]
    assert len(pages) == len(run.served) == 3  # 2,003 applications: 999 + 999 + 5
    assert "%24top=999" in pages[0]["path"] or "$top=999" in pages[0]["path"]
    assert len(run.json()["secrets"]) == 2003


class Webhook:
    """A Slack-style incoming webhook on 127.0.0.1 that records what it was sent."""

    def __init__(self, answer: int = 200) -> None:
        self.posts: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.posts.append({"path": self.path, "json": json.loads(body)})
                self.send_response(hook.answer)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.answer = answer
        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/SECRETTOKEN"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.server.shutdown()


def test_notify_posts_only_when_something_needs_attention(cli: Cli, webhook: Webhook) -> None:
    assert cli.register("--yes", "--secret-days", "20").exit_code == 0
    calm = cli("secrets", "status", "--sandbox", "--within", "10", "--notify", webhook.url)
    assert calm.exit_code == 0 and webhook.posts == []
    alert = cli("secrets", "status", "--sandbox", "--notify", webhook.url)
    assert alert.exit_code == 8
    (post,) = webhook.posts
    assert post["path"] == "/services/T000/B000/SECRETTOKEN"
    assert "expires in 20 day(s)" in post["json"]["text"]
    assert "`ssoctl secrets rotate --portal emnify --sandbox`" in post["json"]["text"]
    assert "SECRETTOKEN" not in alert.stdout + alert.stderr
    by_env = cli("secrets", "status", "--sandbox", "-o", "json", env={"SSOCTL_NOTIFY_URL": webhook.url})
    assert by_env.json()["notified"] is True and len(webhook.posts) == 2
    assert "SECRETTOKEN" not in by_env.stdout + by_env.stderr


def test_notify_failure_is_exit_1_without_the_url(cli: Cli, webhook: Webhook) -> None:
    assert cli.register("--yes", "--secret-days", "20").exit_code == 0
    webhook.answer = 500
    run = cli("secrets", "status", "--sandbox", "--notify", webhook.url)
    assert run.exit_code == 1 and "HTTP 500" in run.stderr
    assert "expiring" in run.stdout  # the status itself was shown first
    assert "SECRETTOKEN" not in run.stdout + run.stderr
