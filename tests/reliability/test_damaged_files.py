"""Damaged or foreign files get a message naming the file and what to do, never exit 3 ("a bug")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ssoctl.cli import app
from ssoctl.sandbox import read_request_log, start_sandbox
from tests.e2e.test_signin import Person, base_env
from tests.e2e.test_signin import invoke as invoke_signed_in
from tests.support.memory_keyring import MemoryKeyring

REGISTER = ["azure", "register", "--portal", "emnify", "--sandbox", "--yes"]


def invoke(home: Path, *argv: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(argv), env={"SSOCTL_HOME": str(home)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def _damage_tenant(home: Path, env_file: Path) -> None:
    (home / "sandbox" / "tenant.json").write_text("{not json")


def _newer_tenant(home: Path, env_file: Path) -> None:
    path = home / "sandbox" / "tenant.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "version": 99}))


def _damage_state(home: Path, env_file: Path) -> None:
    (home / "state.json").write_text('{"registrations": [1, 2')


def _newer_state(home: Path, env_file: Path) -> None:
    (home / "state.json").write_text(json.dumps({"version": 99, "registrations": {}}))


def _foreign_state(home: Path, env_file: Path) -> None:
    (home / "state.json").write_text(json.dumps({"registrations": {"x": {"portal": 1}}}))


def _damage_env_file(home: Path, env_file: Path) -> None:
    env_file.write_bytes(env_file.read_bytes() + b"\xff\xfe not text\n")


DAMAGE: dict[str, tuple[Callable[[Path, Path], None], str, str]] = {
    # what, (damage, the file the message must name, what it must tell the user to do)
    "damaged sandbox tenant": (_damage_tenant, "sandbox/tenant.json", "sandbox reset"),
    "sandbox tenant from a newer ssoctl": (_newer_tenant, "sandbox/tenant.json", "upgrade ssoctl"),
    "damaged state.json": (_damage_state, "state.json.bak", "restore the last good copy"),
    "state.json from a newer ssoctl": (_newer_state, "state.json", "upgrade ssoctl"),
    "foreign state.json": (_foreign_state, "state.json.bak", "restore the last good copy"),
    "env file that is not text": (_damage_env_file, "sso.env", "--store env-file"),
}


@pytest.mark.parametrize("what", sorted(DAMAGE))
def test_a_damaged_file_is_named_with_the_fix(
    what: str, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    home, env_file = tmp_path / "ssoctl", tmp_path / "sso.env"
    code, err = invoke(home, *REGISTER, "--store", f"env-file:{env_file}")
    assert code == 0, err
    damage, named, fix = DAMAGE[what]
    damage(home, env_file)
    code, err = invoke(home, *REGISTER, "--store", f"env-file:{env_file}")
    assert code in (1, 2), err  # never 3, "a bug in ssoctl"
    assert named in err and fix in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2


def test_sandbox_reset_cleans_up_a_damaged_tenant(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    home = tmp_path / "ssoctl"
    assert invoke(home, *REGISTER)[0] == 0
    path = home / "sandbox" / "tenant.json"
    path.write_text(path.read_text()[:-20])  # cut short, as a full disk or a crash leaves it
    code, err = invoke(home, "sandbox", "reset", "--yes")
    assert code == 0, err
    assert "emnify forgotten" in err and memory_keyring.entries == {}
    assert invoke(home, *REGISTER)[0] == 0  # a fresh tenant works
    path.write_text("garbage")  # nothing to salvage: reset still clears the way
    code, err = invoke(home, "sandbox", "reset", "--yes")
    assert code == 0 and not path.exists(), err
    assert invoke(home, *REGISTER)[0] == 0


def test_sandbox_reset_refuses_while_serve_runs(tmp_path: Path) -> None:
    home = tmp_path / "ssoctl"
    env = {**os.environ, "SSOCTL_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ssoctl", "sandbox", "serve", "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 30
        while "SSOCTL_ACCESS_TOKEN" not in proc.stderr.readline():
            assert time.monotonic() < deadline and proc.poll() is None, "serve did not start"
        code, err = invoke(home, "sandbox", "reset", "--yes")
        assert code == 1 and "sandbox serve` is running" in err and "Ctrl-C" in err, err
        assert (home / "sandbox" / "tenant.json").exists()  # the running server's tenant is kept
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    code, err = invoke(home, "sandbox", "reset", "--yes")
    assert code == 0, err


# --- The sign-in `ssoctl login` keeps: login.json and the MSAL token cache --------------------------


def _cut_cache(cache: Path, record: Path) -> None:
    cache.write_text(cache.read_text()[: len(cache.read_text()) // 2])  # a crash or a full disk


def _garbage_cache(cache: Path, record: Path) -> None:
    cache.write_bytes(b"\x00\xff\xfegarbage\x80")


def _foreign_cache(cache: Path, record: Path) -> None:
    cache.write_text(json.dumps({"AccessToken": ["not", "msal"], "tool": "another app"}))


def _shared_cache(cache: Path, record: Path) -> None:
    cache.chmod(0o644)  # copied with cp, or a umask gone wrong: others may read the refresh token


def _deleted_cache(cache: Path, record: Path) -> None:
    cache.unlink()


def _damaged_record(cache: Path, record: Path) -> None:
    record.write_text('{"method": "msal", "cloud": ')


def _foreign_record(cache: Path, record: Path) -> None:
    record.write_text(json.dumps(["somebody", "else's"]))


def _newer_record(cache: Path, record: Path) -> None:
    record.write_text(json.dumps({**json.loads(record.read_text()), "version": 99, "method": "passkey"}))


@pytest.fixture
def signed_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """`ssoctl login --device-code --plaintext-cache` done against the sandbox's login server;
    the environment that uses that sign-in (the sandbox's Graph as the real one)."""
    home = Path(os.environ["SSOCTL_HOME"])
    with start_sandbox(home, login=True) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        env = {**base_env(server, tmp_path), "SSOCTL_HOME": str(home)}
        person = Person(server, upn="dev@contoso.test", wids="")
        run = invoke_signed_in(["login", "--device-code", "--plaintext-cache"], env, stderr=person)
        assert run.exit_code == 0, (run.stdout, person.getvalue())
        yield env


def mutating_requests(env: dict[str, str]) -> list[dict[str, object]]:
    return [r for r in read_request_log(Path(env["SSOCTL_HOME"])) if r["mutating"]]


SIGN_IN_DAMAGE: dict[str, tuple[Callable[[Path, Path], None], str, str]] = {
    # what, (damage, the file the message must name, what it must tell the user to do)
    "token cache cut short": (_cut_cache, "msal-token-cache.json", "ssoctl logout"),
    "token cache that is garbage": (_garbage_cache, "msal-token-cache.json", "ssoctl logout"),
    "token cache of another tool": (_foreign_cache, "msal-token-cache.json", "ssoctl logout"),
    "token cache readable by others": (_shared_cache, "msal-token-cache.json", "chmod 600"),
    "token cache deleted": (_deleted_cache, "msal-token-cache.json", "ssoctl login"),
    "damaged login.json": (_damaged_record, "login.json", "ssoctl logout"),
    "foreign login.json": (_foreign_record, "login.json", "ssoctl logout"),
    "login.json from a newer ssoctl": (_newer_record, "login.json", "upgrade ssoctl"),
}


@pytest.mark.parametrize("what", sorted(SIGN_IN_DAMAGE))
def test_a_damaged_sign_in_is_named_with_the_fix(
    what: str, tmp_path: Path, signed_in: dict[str, str]
) -> None:
    home = Path(signed_in["SSOCTL_HOME"])
    damage, named, fix = SIGN_IN_DAMAGE[what]
    assert CliRunner().invoke(app, ["whoami"], env=signed_in).exit_code == 0  # the sign-in works
    damage(home / "msal-token-cache.json", home / "login.json")
    for argv in (["whoami"], ["azure", "register", "--portal", "emnify", "--yes"]):
        result = CliRunner().invoke(app, argv, env=signed_in)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 4, result.stderr  # not signed in: never 3, "a bug in ssoctl"
        err = result.stderr
        assert named in err and fix in err, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 2, err
    assert mutating_requests(signed_in) == []  # refused before anything changed in the tenant
    # the fix named works: logout clears the damaged files, and a new login signs in again
    out = CliRunner().invoke(app, ["logout"], env=signed_in)
    assert out.exit_code == 0, out.stderr
    assert not (home / "login.json").exists() and not (home / "msal-token-cache.json").exists()
    after = CliRunner().invoke(app, ["whoami"], env=signed_in)
    assert after.exit_code == 4 and "ssoctl login" in after.stderr, after.stderr


# --- ssoctl's copy of an applied --portal-file profile, and an --ics target -------------------------

PROFILE = """name = "mine"
title = "Mine"
summary = "a portal of our own"
guide = "https://example.com/sso"
sign_in_audience = "AzureADMyOrg"
redirect_uris = ["https://mine.example.com/callback"]
"""


@pytest.mark.parametrize(
    "damage",
    [b'name = "mine"\ntitle = ', b"\xff\xfe\x00garbage", b'name = "theirs"\n'],
    ids=["cut short", "garbage", "another profile"],
)
def test_a_damaged_applied_profile_copy_is_named_with_the_fix(
    damage: bytes, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    home, source = tmp_path / "ssoctl", tmp_path / "mine.toml"
    source.write_text(PROFILE)
    code, err = invoke(home, "azure", "register", "--portal-file", str(source), "--sandbox", "--yes")
    assert code == 0, err
    copy = home / "portals-applied" / "mine.toml"
    copy.write_bytes(damage)
    code, err = invoke(home, "azure", "status", "--portal", "mine", "--sandbox")
    assert code == 2, err  # never 3, "a bug in ssoctl"
    assert "portals-applied/mine.toml" in err and "--portal-file" in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 2, err
    # the fix named works: applying the profile again replaces the copy
    code, err = invoke(home, "azure", "register", "--portal-file", str(source), "--sandbox", "--yes")
    assert code == 0, err
    assert invoke(home, "azure", "status", "--portal", "mine", "--sandbox")[0] == 0


def test_an_ics_target_that_is_not_a_calendar_is_not_overwritten(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    home, target = tmp_path / "ssoctl", tmp_path / "notes.txt"
    assert invoke(home, *REGISTER)[0] == 0
    target.write_text("my notes, not a calendar\n")
    code, err = invoke(home, "secrets", "status", "--sandbox", "--ics", str(target))
    assert code == 2 and "notes.txt" in err and "another path" in err, err
    assert target.read_text() == "my notes, not a calendar\n"  # kept
    calendar = tmp_path / "secrets.ics"
    assert invoke(home, "secrets", "status", "--sandbox", "--ics", str(calendar))[0] == 0
    calendar.write_text(calendar.read_text()[:40])  # a calendar of ours, cut short: rewritten whole
    code, err = invoke(home, "secrets", "status", "--sandbox", "--ics", str(calendar))
    assert code == 0 and calendar.read_text().rstrip().endswith("END:VCALENDAR"), err
