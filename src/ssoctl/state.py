"""ssoctl's own record of what it manages: `SSOCTL_HOME/state.json`.

It holds no secret: per registration, the tenant, app IDs, and which client secret (keyId, expiry)
sits in which store. That lets a re-run know the stored secret is still the app's valid one with
a single Graph read, and lets later commands (`secrets status`, reminders, rotation) work without
unlocking a keyring. Written atomically with mode 0600.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ssoctl.errors import StoreError, UsageError
from ssoctl.graph.mapping import parse_graph_datetime

STATE_VERSION = 1


@dataclass(frozen=True)
class HeldSecret:
    """Which client secret ssoctl put where. `end` is the credential's endDateTime."""

    key_id: str
    end: str
    store: str
    display_name: str

    @property
    def end_datetime(self) -> datetime:
        return parse_graph_datetime(self.end)


@dataclass(frozen=True)
class Registration:
    """One app registration ssoctl made, keyed by tenant and uniqueName."""

    portal: str
    display_name: str
    unique_name: str
    tenant_id: str
    app_id: str
    object_id: str
    secret: HeldSecret | None = None
    replaced: tuple[str, ...] = ()  # keyIds of replaced secrets left on the app until they expire

    @property
    def key(self) -> str:
        return f"{self.tenant_id}/{self.unique_name}"

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Registration:
        secret = raw.get("secret")
        return cls(
            portal=raw["portal"],
            display_name=raw["displayName"],
            unique_name=raw["uniqueName"],
            tenant_id=raw["tenantId"],
            app_id=raw["appId"],
            object_id=raw["objectId"],
            secret=HeldSecret(
                key_id=secret["keyId"],
                end=secret["endDateTime"],
                store=secret["store"],
                display_name=secret.get("displayName", ""),
            )
            if secret
            else None,
            replaced=tuple(raw.get("replacedKeyIds", ())),
        )

    def to_json(self) -> dict[str, Any]:
        held = asdict(self.secret) if self.secret else None
        return {
            "portal": self.portal,
            "displayName": self.display_name,
            "uniqueName": self.unique_name,
            "tenantId": self.tenant_id,
            "appId": self.app_id,
            "objectId": self.object_id,
            "secret": {
                "keyId": held["key_id"],
                "endDateTime": held["end"],
                "store": held["store"],
                "displayName": held["display_name"],
            }
            if held
            else None,
            "replacedKeyIds": list(self.replaced),
        }


class StateFile:
    """Load-modify-save of state.json; every save replaces the file atomically (0600)."""

    def __init__(self, home: Path) -> None:
        self.path = home / "state.json"

    def _load(self) -> dict[str, Registration]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise StoreError(
                f"cannot read {self.path}: {exc}",
                hint="fix or remove the file; it holds no secrets, only what ssoctl manages",
            ) from None
        if isinstance(raw, dict) and isinstance(raw.get("version"), int) and raw["version"] > STATE_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer ssoctl (state version {raw['version']})",
                hint="upgrade ssoctl; this version will not rewrite the file",
            )
        try:
            regs = [Registration.from_json(r) for r in raw.get("registrations", {}).values()]
        except (AttributeError, KeyError, TypeError) as exc:
            raise StoreError(
                f"{self.path} is not a state file this ssoctl understands ({type(exc).__name__}: {exc})",
                hint="fix or move the file away; it holds no secrets, only what ssoctl manages",
            ) from None
        return {r.key: r for r in regs}

    def all(self) -> list[Registration]:
        return sorted(self._load().values(), key=lambda r: (r.portal, r.display_name, r.tenant_id))

    def get(self, tenant_id: str, unique_name: str) -> Registration | None:
        return self._load().get(f"{tenant_id}/{unique_name}")

    def put(self, reg: Registration) -> None:
        regs = self._load()
        regs[reg.key] = reg
        self._save(regs)

    def remove(self, reg: Registration) -> None:
        regs = self._load()
        if regs.pop(reg.key, None) is not None:
            self._save(regs)

    def find(self, portal: str, unique_name: str, tenant_id: str | None) -> Registration:
        """The registration with this key (in `tenant_id` if given), or a UsageError saying how to
        find it. Keyed like register: by uniqueName, so `--name` matches the way register does."""
        matches = [
            r
            for r in self.all()
            if r.portal == portal
            and r.unique_name == unique_name
            and (tenant_id is None or r.tenant_id == tenant_id)
        ]
        if not matches:
            others = [r for r in self.all() if r.portal == portal]
            known = ", ".join(f"{r.display_name!r} in {r.tenant_id}" for r in others)
            raise UsageError(
                f"ssoctl has no {portal} registration {unique_name}"
                + (f" in tenant {tenant_id}" if tenant_id else ""),
                hint=f"ssoctl knows: {known} (choose with --name/--tenant/--sandbox)"
                if others
                else f"register it first: ssoctl azure register --portal {portal}",
            )
        if len(matches) > 1:
            where = ", ".join(r.tenant_id for r in matches)
            raise UsageError(
                f"{unique_name} is registered in several tenants: {where}",
                hint="choose one with --tenant (or --sandbox)",
            )
        return matches[0]

    def preflight(self) -> None:
        """Before the tenant changes: state.json must be writable, or apply could not record."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, probe = tempfile.mkstemp(dir=self.path.parent, prefix=".state-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise StoreError(
                f"cannot write ssoctl's state in {self.path.parent}: {exc.strerror or exc}",
                hint="make the folder writable, or point SSOCTL_HOME at a writable folder",
            ) from None
        self._load()  # a broken state file stops us now, not after the tenant changed

    def _save(self, regs: dict[str, Registration]) -> None:
        try:
            self._write(regs)
        except OSError as exc:
            raise StoreError(
                f"cannot write {self.path}: {exc.strerror or exc}",
                hint="make SSOCTL_HOME writable; then run the command again (it is safe to repeat)",
            ) from None

    def _write(self, regs: dict[str, Registration]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        doc = {
            "version": STATE_VERSION,
            "registrations": {k: r.to_json() for k, r in sorted(regs.items())},
        }
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=2)
                fh.write("\n")
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
