"""`ssoctl sandbox reset`: throw the sandbox tenant away, and ssoctl's memory of it.

The sandbox folder goes (apps, request log, the fallback credentials file); so do the state
records of that tenant and any keyring entries holding its secrets — otherwise a later
`secrets reveal --portal emnify` would find a registration in a tenant that no longer exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ssoctl.credentials import CredentialRef
from ssoctl.deps import Deps
from ssoctl.errors import BusyError, StoreError
from ssoctl.spec import env_prefix
from ssoctl.state import Registration, StateFile, exclusive_run
from ssoctl.stores import parse_store


@dataclass
class ResetResult:
    tenant_id: str | None
    forgotten: list[str] = field(default_factory=list)  # display names of the dropped registrations
    warnings: list[str] = field(default_factory=list)


def reset_sandbox_tenant(deps: Deps) -> ResetResult:
    from ssoctl.sandbox import existing_tenant_id, reset_sandbox, sandbox_dir
    from ssoctl.sandbox.server import server_running

    home = deps.home
    if server_running(home):
        raise BusyError(
            f"`ssoctl sandbox serve` is running on {home}: resetting would delete the tenant its token is for",
            hint="stop it (Ctrl-C in its shell), run `ssoctl sandbox reset --yes`, then start it again",
        )
    with exclusive_run(home, command="ssoctl sandbox reset", sleep=deps.sleep):
        result = ResetResult(existing_tenant_id(home))
        state = StateFile(home, sleep=deps.sleep)
        for reg in state.all():
            if reg.tenant_id == result.tenant_id:
                _forget(deps, state, reg, sandbox_dir(home), result)
        reset_sandbox(home)
    return result


def _forget(deps: Deps, state: StateFile, reg: Registration, folder: Path, result: ResetResult) -> None:
    """Drop a sandbox registration: its stored secret (outside the sandbox folder) and its record."""
    held = reg.secret
    # A provisioning record (Federated Directory) keeps a portal token in its store instead.
    location = held.store if held else (reg.provisioning or {}).get("store")
    if location and location != "none" and not location.startswith(f"env-file:{folder}"):
        try:
            # Opened as the sandbox run opened it: "keyring" without an OS keyring is the sandbox's
            # own credentials file, which goes with the folder (nothing to delete, nothing to warn).
            store, _ = deps.open_store(parse_store(location), home=deps.home, sandbox=True, env=deps.env)
            if store is not None and not store.location.startswith(f"env-file:{folder}"):
                store.delete(CredentialRef(reg.tenant_id, reg.unique_name, env_prefix(reg.display_name)))
        except StoreError as exc:
            result.warnings.append(
                f"could not delete {reg.display_name}'s secret from {location}: {exc.message}"
            )
    state.remove(reg)
    result.forgotten.append(reg.display_name)
