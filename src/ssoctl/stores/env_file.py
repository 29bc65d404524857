"""The dotenv-file store (`--store env-file:PATH`): three keys in a file that only its owner reads.

An existing file must already be a dotenv file (only blank lines, `#` comments and `KEY=VALUE`
lines) and not executable, or preflight refuses it before any request.

Keys: `{PREFIX}_CLIENT_ID`, `{PREFIX}_TENANT_ID`, `{PREFIX}_CLIENT_SECRET` (PREFIX is the portal's
`env_prefix`, e.g. `EMNIFY`). Saving keeps every other line as it was (comments, blank lines,
other keys, their order), replaces ssoctl's keys in place and appends missing ones. The file is
written atomically (a 0600 temp file in the same folder, fsync, rename), so it is always 0600
afterwards and never half written. Values are single-quoted, which bash, docker compose, systemd
and python-dotenv all read literally; a value that itself holds `'` or `\\` is double-quoted
with escapes.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from ssoctl.credentials import CredentialRef, Credentials, Secret
from ssoctl.errors import StoreError, UsageError
from ssoctl.files import write_private

FILE_MODE = 0o600

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$")
_SAFE_SINGLE = re.compile(r"^[^'\\\n\r]*$")
_DOUBLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$", "`": "`"}


def keys(ref: CredentialRef) -> dict[str, str]:
    """The dotenv key of each value: `{PREFIX}_CLIENT_ID`, `_TENANT_ID`, `_CLIENT_SECRET`."""
    prefix = ref.env_prefix
    return {
        "client_id": f"{prefix}_CLIENT_ID",
        "tenant_id": f"{prefix}_TENANT_ID",
        "client_secret": f"{prefix}_CLIENT_SECRET",
    }


def quote(value: str) -> str:
    """A dotenv value that bash, docker compose, systemd and python-dotenv read back as `value`."""
    if _SAFE_SINGLE.match(value):
        return f"'{value}'"
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("$", "\\$")
        .replace("`", "\\`")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )
    return f'"{escaped}"'


def unquote(raw: str) -> str:
    """The value of a dotenv right-hand side: 'single' (literal), "double" (escapes) or bare."""
    if raw.startswith("'"):
        end = raw.find("'", 1)
        if end > 0:
            return raw[1:end]
    elif raw.startswith('"'):
        out: list[str] = []
        i = 1
        while i < len(raw):
            ch = raw[i]
            if ch == "\\" and i + 1 < len(raw):
                nxt = raw[i + 1]
                out.append(_DOUBLE_ESCAPES.get(nxt, "\\" + nxt))
                i += 2
                continue
            if ch == '"':
                return "".join(out)
            out.append(ch)
            i += 1
    # bare value: up to an inline comment (whitespace then #)
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def parse(text: str) -> dict[str, str]:
    """Every `KEY=value` of a dotenv text (later lines win, as in a shell)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            values[match.group(1)] = unquote(match.group(2))
    return values


def _key_of(line: str) -> str | None:
    if line.lstrip().startswith("#"):
        return None
    match = _LINE.match(line)
    return match.group(1) if match else None


def rewrite(text: str, updates: dict[str, str | None]) -> str:
    """`text` with each key of `updates` set (in place, else appended) or removed (None).

    Every other line is kept byte for byte. A key that occurs more than once keeps only its first
    line, so no later duplicate can shadow the new value.
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    done: set[str] = set()
    for line in lines:
        key = _key_of(line)
        if key is None or key not in updates:
            out.append(line)
            continue
        if key in done:
            continue
        done.add(key)
        value = updates[key]
        if value is not None:
            ending = line[len(line.rstrip("\r\n")) :] or "\n"
            export = "export " if line.lstrip().startswith("export ") else ""
            out.append(f"{export}{key}={quote(value)}{ending}")
    missing = [k for k, v in updates.items() if v is not None and k not in done]
    if missing and out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    out.extend(f"{k}={quote(v)}\n" for k, v in updates.items() if v is not None and k in missing)
    return "".join(out)


def _first_foreign_line(text: str) -> int | None:
    """The number of the first line that is not blank, a `#` comment or a `[export ]KEY=VALUE`
    assignment: a shell script, /etc/passwd or a config file is not a store for secrets (writing
    one would leak the secret to whoever reads that file, and narrow its mode)."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and not _LINE.match(line):
            return number
    return None


def _existing_ancestor(folder: Path) -> Path:
    """The nearest folder above `folder` that exists (where `mkdir -p` would start)."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return folder


class EnvFileStore:
    """Credentials as three dotenv keys in one file, mode 0600.

    `make_folder`: a missing folder is created (0700) on the first write instead of refused; for
    files named in an apply file, which describes the end state (`store = "env-file:secrets/sso.env"`).
    """

    def __init__(self, path: Path, *, make_folder: bool = False) -> None:
        self.path = path
        self.make_folder = make_folder

    @property
    def location(self) -> str:
        return f"env-file:{self.path.absolute()}"

    # -- checks -------------------------------------------------------------------------------

    def _target(self) -> Path:
        """The file really written: a symlink is followed, so the link itself stays in place."""
        return self.path.resolve() if self.path.is_symlink() else self.path

    def preflight(self, ref: CredentialRef) -> None:
        path = self._target()
        folder = path.parent
        if not folder.is_dir() and self.make_folder:
            folder = _existing_ancestor(folder)  # the probe below proves the folder can be made
            if not folder.is_dir():
                raise UsageError(
                    f"cannot make the folder of the env file: {folder} is a file",
                    hint="choose another env-file:PATH",
                )
        if not folder.is_dir():
            raise UsageError(
                f"the folder of the env file does not exist: {folder}",
                hint=f"create it first (mkdir -p {folder}) or choose another --store env-file:PATH",
            )
        portal = ref.unique_name.removeprefix("ssoctl-")
        dedicated = f"use a file of its own, e.g. --store env-file:~/.config/ssoctl/{portal}.env"
        if path.exists() and not path.is_file():
            raise UsageError(
                f"{self.path} is not a regular file",
                hint=f"give --store env-file: the path of a file (it is created if missing); {dedicated}",
            )
        if path.exists() and os.access(path, os.X_OK):
            raise UsageError(
                f"{self.path} is executable (a program, not a dotenv file); ssoctl will not write secrets into it",
                hint=dedicated,
            )
        if path.exists():
            line = _first_foreign_line(self._read() or "")
            if line is not None:
                raise UsageError(
                    f"{self.path} is not a dotenv file (line {line} is not KEY=VALUE, a # comment or blank); "
                    "ssoctl will not write secrets into it",
                    hint=dedicated,
                )
            try:
                with open(path, "r+b"):
                    pass
            except OSError as exc:
                raise StoreError(
                    f"cannot read and write the env file {self.path}: {exc.strerror or exc}",
                    hint="fix its owner or permissions, or choose another --store env-file:PATH",
                ) from exc
            self._check_owner(ref)
        try:
            fd, probe = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".probe")
        except OSError as exc:
            raise UsageError(
                f"cannot create files in the folder {folder}: {exc.strerror or exc}",
                hint="choose a writable folder for --store env-file:PATH",
            ) from exc
        os.close(fd)
        os.unlink(probe)

    # -- reading and writing ------------------------------------------------------------------

    def _read(self) -> str | None:
        path = self._target()
        try:
            return path.read_bytes().decode("utf-8")  # not read_text: keep CRLF line endings as they are
        except FileNotFoundError:
            return None
        except UnicodeDecodeError as exc:
            raise StoreError(
                f"the env file {self.path} is not UTF-8 text",
                hint="choose another --store env-file:PATH",
            ) from exc
        except OSError as exc:
            raise StoreError(
                f"cannot read the env file {self.path}: {exc.strerror or exc}",
                hint="fix its owner or permissions, or choose another --store env-file:PATH",
            ) from exc

    def _write(self, text: str) -> None:
        """Replace the file atomically with `text`: mode 0600 (never wider than it was), same owner."""
        try:
            if self.make_folder:
                self._target().parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_private(self._target(), text.encode("utf-8"), keep_owner=True)
        except OSError as exc:
            raise StoreError(
                f"cannot write the env file {self.path}: {exc.strerror or exc}",
                hint="check the folder's free space and permissions, or choose another --store",
            ) from exc

    def _check_owner(self, ref: CredentialRef) -> None:
        """Refuse to touch keys that hold another tenant's credentials.

        The dotenv keys name the registration, not the tenant: without this, a sandbox try-out
        written to the production file would overwrite (or `sandbox reset` would delete) the
        secret a portal is using.
        """
        owner = self._tenant_in_file(ref)
        if owner is not None and owner != ref.tenant_id:
            name = keys(ref)["tenant_id"]
            raise UsageError(
                f"{self.path} already holds {ref.env_prefix}_* credentials of tenant {owner} "
                f"({name}); ssoctl will not overwrite them with tenant {ref.tenant_id}'s",
                hint="use another file for this tenant (--store env-file:OTHER.env), or --name for other keys",
            )

    def _tenant_in_file(self, ref: CredentialRef) -> str | None:
        text = self._read()
        return parse(text).get(keys(ref)["tenant_id"]) if text is not None else None

    def save(self, ref: CredentialRef, creds: Credentials) -> None:
        self._check_owner(ref)
        names = keys(ref)
        updates: dict[str, str | None] = {
            names["client_id"]: creds.client_id,
            names["tenant_id"]: creds.tenant_id,
            names["client_secret"]: creds.client_secret.reveal(),
        }
        self._write(rewrite(self._read() or "", updates))

    def load(self, ref: CredentialRef) -> Credentials | None:
        text = self._read()
        if text is None:
            return None
        values = parse(text)
        names = keys(ref)
        secret = values.get(names["client_secret"])
        client_id, tenant_id = values.get(names["client_id"]), values.get(names["tenant_id"])
        # An incomplete set, or another tenant's, is not this registration's secret: register
        # then writes a complete new set (and refuses at preflight to overwrite another tenant's).
        if secret is None or not client_id or tenant_id != ref.tenant_id:
            return None
        return Credentials(
            client_id=values[names["client_id"]],
            tenant_id=values[names["tenant_id"]],
            client_secret=Secret(secret),
        )

    def delete(self, ref: CredentialRef) -> None:
        text = self._read()
        if text is None or parse(text).get(keys(ref)["tenant_id"]) not in (None, ref.tenant_id):
            return  # absent, or another tenant's keys: not ours to delete
        updates: dict[str, str | None] = dict.fromkeys(keys(ref).values())
        new = rewrite(text, updates)
        if new != text:
            self._write(new)
