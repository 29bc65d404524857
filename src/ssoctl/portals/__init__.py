"""The portal registry: built-in profiles (`portals/*.toml`) and users' own.

Adding a built-in portal: write `portals/<name>.toml` (the format is docs/portals.md); a portal
that needs behaviour TOML cannot express may still be a Python module building a `Portal`,
added to `PORTALS` here. Users' profiles live in `SSOCTL_HOME/portals/*.toml` or come from
`--portal-file PATH`; they may not take a built-in's name.
"""

from __future__ import annotations

from pathlib import Path

from ssoctl.errors import UsageError
from ssoctl.portals.base import NextStepContext, Portal, PortalOptions
from ssoctl.portals.profile import ProfileError, builtin_profiles, load_profile_file, user_profiles

PORTALS: dict[str, Portal] = {p.name: p for p in builtin_profiles()}

__all__ = [
    "PORTALS",
    "NextStepContext",
    "Portal",
    "PortalOptions",
    "ProfileError",
    "all_portals",
    "find_portal",
    "get_portal",
]


def get_portal(name: str) -> Portal:
    """A built-in portal by name (any case)."""
    try:
        return PORTALS[name.strip().lower()]
    except KeyError:
        raise UsageError(
            f"unknown portal {name!r}",
            hint=f"known portals: {', '.join(sorted(PORTALS))} (see `ssoctl portals list`)",
        ) from None


def _refuse_builtin_name(portal: Portal) -> None:
    if portal.name in PORTALS:
        raise ProfileError(
            f"{portal.origin}: name {portal.name!r} is a built-in portal's",
            hint='give your profile another name, e.g. name = "' + portal.name + '-custom"',
        )


def _checked_user_profiles(home: Path) -> list[Portal]:
    profiles = user_profiles(home)
    seen: dict[str, str] = {}
    for portal in profiles:
        _refuse_builtin_name(portal)
        if portal.name in seen:
            raise ProfileError(
                f"{portal.origin}: name {portal.name!r} is also used by {seen[portal.name]}",
                hint="each profile needs its own name",
            )
        seen[portal.name] = portal.origin
    return profiles


def all_portals(home: Path) -> list[Portal]:
    """Built-in profiles, then the user's (`SSOCTL_HOME/portals/*.toml`)."""
    return [*PORTALS.values(), *_checked_user_profiles(home)]


APPLIED = "portals-applied"  # SSOCTL_HOME/portals-applied/NAME.toml: --portal-file profiles applied


def remember_applied(portal: Portal, home: Path) -> None:
    """Keep a copy of the `--portal-file` profile a registration was applied from.

    Hints, reminders and calendar events name the registration by `--portal NAME`, and reveal,
    status, verify, rotate and unregister take no `--portal-file`: the copy is how they find the
    portal, as last applied. Profiles in SSOCTL_HOME/portals and built-ins need no copy."""
    if portal.origin == "built-in":
        return
    source = Path(portal.origin)
    if source.parent.resolve() == (home / "portals").resolve():
        return
    from ssoctl.files import write_private

    try:
        text = source.read_bytes()
        (home / APPLIED).mkdir(mode=0o700, parents=True, exist_ok=True)
        write_private(home / APPLIED / f"{portal.name}.toml", text)
    except OSError:
        pass  # the registration stands; later commands then ask for the profile by name


def _load_applied(path: Path, key: str) -> Portal:
    """ssoctl's copy of a `--portal-file` profile: damaged, it cannot be fixed by hand the way
    the user's own file can, so the hint says how to replace it."""
    fix = (
        f"apply your profile again (`ssoctl azure register --portal-file YOUR-{key}.toml …`) "
        f"to replace ssoctl's copy, or delete {path}"
    )
    try:
        portal = load_profile_file(path)
    except ProfileError as exc:
        raise ProfileError(
            f"ssoctl's copy of the {key!r} profile is damaged: {exc.message}", hint=fix
        ) from None
    if portal.name != key:
        raise ProfileError(f"{path}: holds the profile {portal.name!r}, not {key!r}", hint=fix)
    return portal


def find_portal(
    name: str | None, *, home: Path, portal_file: Path | None = None, missing: UsageError | None = None
) -> Portal:
    """The portal for `--portal NAME` / `--portal-file PATH`: a file wins; else built-in, then user.
    `missing` is the error for neither (each command words it its own way)."""
    if portal_file is not None:
        portal = load_profile_file(portal_file)
        # A file may not take over a built-in's or a saved profile's name (and so its registrations).
        _refuse_builtin_name(portal)
        for saved in user_profiles(home):
            if saved.name == portal.name and Path(saved.origin).resolve() != portal_file.resolve():
                raise ProfileError(
                    f"{portal_file}: name {portal.name!r} is also used by {saved.origin}",
                    hint="give the file another name, or use --portal " + portal.name,
                )
        if name and name.strip().lower() != portal.name:
            raise UsageError(
                f"--portal {name!r} does not match the name {portal.name!r} in {portal_file}",
                hint="leave out --portal when you give --portal-file",
            )
        return portal
    if not name:
        raise missing or UsageError(
            "--portal is required",
            hint="add --portal PORTAL (see `ssoctl portals list`), or --portal-file PATH",
        )
    key = name.strip().lower()
    if key in PORTALS:
        return PORTALS[key]
    for portal in _checked_user_profiles(home):
        if portal.name == key:
            return portal
    applied = home / APPLIED / f"{key}.toml"
    if "/" not in key and applied.is_file():
        return _load_applied(applied, key)
    if key == "federated-directory":
        raise UsageError(
            "federated-directory has no app registration profile (users sign in through its own app)",
            hint="set up provisioning with `ssoctl azure provision --portal federated-directory`; "
            "`ssoctl azure register --portal federated-directory` shows the sign-in steps",
        )
    users = [p.name for p in user_profiles(home)]
    raise UsageError(
        f"unknown portal {name!r}",
        hint=f"known portals: {', '.join(sorted([*PORTALS, *users]))} (see `ssoctl portals list`), "
        "or write a profile and pass --portal-file PATH",
    )
