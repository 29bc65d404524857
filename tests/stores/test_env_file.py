"""The dotenv store: what it writes, what it keeps, its file mode, and its preflight."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from ssoctl.credentials import CredentialRef, Credentials, Secret
from ssoctl.errors import EXIT_FAILED, EXIT_USAGE, StoreError, UsageError
from ssoctl.stores.env_file import EnvFileStore, parse, quote, rewrite

REF = CredentialRef(tenant_id="tid-1", unique_name="ssoctl-emnify", env_prefix="EMNIFY")
SECRET = "Abc8Q~x.y-z_0Q~tail"  # the shape of an Entra client secret
CREDS = Credentials(client_id="cid-1", tenant_id="tid-1", client_secret=Secret(SECRET))
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def d(tmp_path: Path) -> Path:
    """An empty folder (tmp_path also holds the test's HOME)."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_save_creates_a_0600_file_with_three_quoted_keys(d: Path) -> None:
    path = d / "emnify.env"
    store = EnvFileStore(path)
    store.preflight(REF)
    store.save(REF, CREDS)
    assert path.read_text() == (
        f"EMNIFY_CLIENT_ID='cid-1'\nEMNIFY_TENANT_ID='tid-1'\nEMNIFY_CLIENT_SECRET='{SECRET}'\n"
    )
    assert mode(path) == 0o600
    assert store.load(REF) == CREDS
    assert store.location == f"env-file:{path}"
    assert [p.name for p in d.iterdir()] == ["emnify.env"]  # no temp file left


def test_save_keeps_every_other_line_and_replaces_in_place(d: Path) -> None:
    path = d / "app.env"
    path.write_text(
        "# my settings\n"
        "\n"
        "OTHER=1\n"
        "export EMNIFY_CLIENT_ID=old-id   # set by hand\n"
        "  # EMNIFY_CLIENT_SECRET=commented-out\n"
        "LAST='x y'\n"
        "EMNIFY_CLIENT_ID=duplicate-would-shadow\n"
        "TRAILING=no-newline"
    )
    path.chmod(0o644)
    store = EnvFileStore(path)
    store.preflight(REF)
    store.save(REF, CREDS)
    assert path.read_text() == (
        "# my settings\n"
        "\n"
        "OTHER=1\n"
        "export EMNIFY_CLIENT_ID='cid-1'\n"
        "  # EMNIFY_CLIENT_SECRET=commented-out\n"
        "LAST='x y'\n"
        "TRAILING=no-newline\n"
        "EMNIFY_TENANT_ID='tid-1'\n"
        f"EMNIFY_CLIENT_SECRET='{SECRET}'\n"
    )
    assert mode(path) == 0o600  # narrowed from 0644
    assert store.load(REF) == CREDS
    assert parse(path.read_text())["OTHER"] == "1"


def test_save_again_replaces_the_values(d: Path) -> None:
    store = EnvFileStore(d / "a.env")
    store.save(REF, CREDS)
    newer = Credentials("cid-2", "tid-1", Secret("n3w"))
    store.save(REF, newer)
    assert store.load(REF) == newer
    assert (d / "a.env").read_text().count("EMNIFY_CLIENT_ID") == 1


def test_mode_is_never_widened(d: Path) -> None:
    path = d / "a.env"
    path.write_text("X=1\n")
    path.chmod(0o400)
    EnvFileStore(path).save(REF, CREDS)  # the folder is writable, so the rename works
    assert mode(path) == 0o400
    assert EnvFileStore(path).load(REF) == CREDS


@pytest.mark.parametrize(
    "value",
    [
        SECRET,
        "with space and # hash",
        "dollar $HOME and ${HOME} `cmd`",
        "it's",
        'back\\slash "double"',
        "line1\nline2",
        "",
        "=leading=equals",
    ],
)
def test_values_round_trip_through_save_and_load(d: Path, value: str) -> None:
    store = EnvFileStore(d / "v.env")
    creds = Credentials("cid", REF.tenant_id, Secret(value))
    store.save(REF, creds)
    assert store.load(REF) == creds


@pytest.mark.parametrize(
    "value", [SECRET, "with space # and hash", "dollar $HOME ${HOME} `x`", "it's", 'b\\s "q"']
)
def test_bash_reads_what_save_writes(d: Path, value: str) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    path = d / "v.env"
    EnvFileStore(path).save(REF, Credentials("cid", "tid", Secret(value)))
    out = subprocess.run(
        ["bash", "-c", 'set -a; . "$1"; printf %s "$EMNIFY_CLIENT_SECRET"', "bash", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )
    assert out.stdout == value


def test_quote_prefers_single_quotes() -> None:
    assert quote(SECRET) == f"'{SECRET}'"
    assert quote("it's") == '"it\'s"'


def test_load_reads_common_dotenv_forms(d: Path) -> None:
    path = d / "hand.env"
    path.write_text(
        "export EMNIFY_CLIENT_ID = plain-id  # comment\n"
        'EMNIFY_TENANT_ID="tid-\\"q\\""\n'
        "EMNIFY_CLIENT_SECRET='a#b c'  # trailing\n"
    )
    ref = CredentialRef(tenant_id='tid-"q"', unique_name="ssoctl-emnify", env_prefix="EMNIFY")
    creds = EnvFileStore(path).load(ref)
    assert creds == Credentials("plain-id", 'tid-"q"', Secret("a#b c"))


def test_load_is_none_without_the_file_or_the_secret(d: Path) -> None:
    path = d / "x.env"
    assert EnvFileStore(path).load(REF) is None
    path.write_text("EMNIFY_CLIENT_ID=a\nOTHER_CLIENT_SECRET=b\n")
    assert EnvFileStore(path).load(REF) is None


def test_an_incomplete_set_is_not_a_held_secret(d: Path) -> None:
    path = d / "x.env"
    path.write_text(f"EMNIFY_CLIENT_SECRET=s\nEMNIFY_TENANT_ID={REF.tenant_id}\n")
    assert EnvFileStore(path).load(REF) is None


def test_another_tenants_keys_are_neither_read_overwritten_nor_deleted(d: Path) -> None:
    path = d / "x.env"
    text = "EMNIFY_CLIENT_ID=c\nEMNIFY_TENANT_ID=prod-tenant\nEMNIFY_CLIENT_SECRET=prod-secret\n"
    path.write_text(text)
    store = EnvFileStore(path)
    assert store.load(REF) is None
    with pytest.raises(UsageError, match="prod-tenant"):
        store.preflight(REF)
    with pytest.raises(UsageError):
        store.save(REF, Credentials("cid", REF.tenant_id, Secret("new")))
    store.delete(REF)
    assert path.read_text() == text


def test_export_prefix_is_kept(d: Path) -> None:
    path = d / "x.env"
    path.write_text("export EMNIFY_CLIENT_ID=old\nexport OTHER=1\n")
    EnvFileStore(path).save(REF, Credentials("cid", REF.tenant_id, Secret("s3cret")))
    assert path.read_text().startswith("export EMNIFY_CLIENT_ID='cid'\nexport OTHER=1\n")


def test_delete_removes_only_the_three_keys(d: Path) -> None:
    path = d / "x.env"
    path.write_text("# keep\nA=1\n")
    store = EnvFileStore(path)
    store.save(REF, CREDS)
    other = CredentialRef("tid-1", "ssoctl-fd", "FD")
    store.save(other, CREDS)
    store.delete(REF)
    assert store.load(REF) is None
    assert store.load(other) == CREDS
    assert path.read_text().startswith("# keep\nA=1\nFD_CLIENT_ID=")
    assert "EMNIFY" not in path.read_text()
    store.delete(REF)  # again: nothing to do
    EnvFileStore(d / "missing.env").delete(REF)
    assert not (d / "missing.env").exists()


def test_rewrite_keeps_crlf_endings() -> None:
    assert rewrite("A=1\r\nB=2\r\n", {"A": "x"}) == "A='x'\r\nB=2\r\n"


def test_symlinked_file_is_written_through_the_link(d: Path) -> None:
    real = d / "real.env"
    real.write_text("KEEP=1\n")
    link = d / "link.env"
    link.symlink_to(real)
    store = EnvFileStore(link)
    store.preflight(REF)
    store.save(REF, CREDS)
    assert link.is_symlink()
    assert store.load(REF) == CREDS
    assert "KEEP=1" in real.read_text()


# -- preflight -------------------------------------------------------------------------------


def test_preflight_missing_folder_is_a_usage_error_naming_it(d: Path) -> None:
    path = d / "nope" / "x.env"
    with pytest.raises(UsageError) as info:
        EnvFileStore(path).preflight(REF)
    assert info.value.exit_code == EXIT_USAGE
    assert str(d / "nope") in info.value.message
    assert not (d / "nope").exists()


def test_preflight_directory_or_special_file_is_a_usage_error(d: Path) -> None:
    with pytest.raises(UsageError, match="not a regular file"):
        EnvFileStore(d).preflight(REF)
    fifo = d / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="not a regular file"):
        EnvFileStore(fifo).preflight(REF)


def test_preflight_creates_nothing(d: Path) -> None:
    EnvFileStore(d / "x.env").preflight(REF)
    assert list(d.iterdir()) == []


@pytest.mark.skipif(IS_ROOT, reason="root reads and writes files whatever their mode")
def test_preflight_unwritable_file_is_a_store_error(d: Path) -> None:
    path = d / "ro.env"
    path.write_text("A=1\n")
    path.chmod(0o400)
    with pytest.raises(StoreError) as info:
        EnvFileStore(path).preflight(REF)
    assert info.value.exit_code == EXIT_FAILED
    assert str(path) in info.value.message


@pytest.mark.skipif(IS_ROOT, reason="root writes into folders whatever their mode")
def test_preflight_unwritable_folder_is_a_usage_error(d: Path) -> None:
    folder = d / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(UsageError, match="cannot create files"):
            EnvFileStore(folder / "x.env").preflight(REF)
    finally:
        folder.chmod(0o700)


def test_preflight_file_that_cannot_be_opened_is_a_store_error(
    d: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same check as above, simulated, so it also runs as root (as CI does)."""
    path = d / "x.env"
    path.write_text("A=1\n")
    real_open = open

    def deny(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if str(file) == str(path) and "+" in mode:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(StoreError, match="Permission denied"):
        EnvFileStore(path).preflight(REF)


def test_preflight_rejects_a_file_that_is_not_utf8(d: Path) -> None:
    path = d / "bin.env"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(StoreError, match="not UTF-8"):
        EnvFileStore(path).preflight(REF)


def test_failed_write_leaves_the_old_file_and_no_temp_file(d: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = d / "x.env"
    store = EnvFileStore(path)
    store.save(REF, CREDS)
    before = path.read_text()

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(StoreError, match="No space left"):
        store.save(REF, Credentials("cid-2", "tid-1", Secret("other")))
    assert path.read_text() == before
    assert [p.name for p in d.iterdir()] == ["x.env"]


def test_crlf_file_keeps_its_line_endings(d: Path) -> None:
    path = d / "win.env"
    path.write_bytes(b"# top\r\nFOO=1\r\n")
    EnvFileStore(path).save(REF, CREDS)
    assert path.read_bytes().startswith(b"# top\r\nFOO=1\r\n")
