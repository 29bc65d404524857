"""SSOCTL_DEBUG=1 shows a bug's traceback, but never the secrets the command line or the
environment gave ssoctl (the --notify webhook URL is one: whoever has it can post to the channel)."""

from __future__ import annotations

import http.client

import pytest
import typer

from ssoctl.cli.boundary import OutputFormat, command_line, run_guarded

WEBHOOK = "https://hooks.example.com/services/T0/B0/WEBHOOKSECRET"


def _bug(message: str) -> int:
    raise http.client.InvalidURL(message)  # what urllib raised for a user:password@ URL


@pytest.mark.parametrize("given", ["argv", "argv=", "env"])
def test_debug_traceback_hides_the_notify_url(
    given: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SSOCTL_DEBUG", "1")
    argv = ("secrets", "status", "--sandbox")
    if given == "argv":
        argv = (*argv, "--notify", WEBHOOK)
    elif given == "argv=":
        argv = (*argv, f"--notify={WEBHOOK}")
    else:
        monkeypatch.setenv("SSOCTL_NOTIFY_URL", WEBHOOK)
    token = command_line.set(argv)
    try:
        with pytest.raises(typer.Exit) as stopped:
            run_guarded(OutputFormat.table, lambda: _bug(f"nonnumeric port: '{WEBHOOK}'"))
    finally:
        command_line.reset(token)
    assert stopped.value.exit_code == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "InvalidURL" in err  # the traceback is still there
    assert "WEBHOOKSECRET" not in err


def test_debug_traceback_blanks_user_and_password_in_any_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SSOCTL_DEBUG", "1")
    with pytest.raises(typer.Exit):
        run_guarded(OutputFormat.table, lambda: _bug("nonnumeric port: 'https://u:PASSWORD@x.example.com'"))
    err = capsys.readouterr().err
    assert "PASSWORD" not in err and "https://***@x.example.com" in err
