"""The application object: one upsert by uniqueName, then `api://{appId}` once the appId exists.

`FIELDS` are the settings ssoctl manages; the diff shows one line per setting that differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ssoctl.errors import GraphError
from ssoctl.graph.api import GraphApi
from ssoctl.graph.lag import Expected
from ssoctl.graph.mapping import AppState, application_body
from ssoctl.portals.graph_permissions import describe
from ssoctl.resources.base import APPLICATION, Action, ApplyContext, Change, Step
from ssoctl.spec import AppSpec, OptionalClaim, Permission, PermissionName
from ssoctl.state import Registration

REPLICATION_WINDOW = timedelta(days=2)  # a write older than this has replicated, whatever a read says


def written_recently(display_name: str, now: datetime) -> bool:
    """Could a secret named so still be replicating? Its name carries the day ssoctl made it
    (`ssoctl 2026-12-02 1a2b3c`); a name without one might be new, so it counts as recent."""
    parts = display_name.split()
    try:
        made = datetime.strptime(parts[1], "%Y-%m-%d").replace(tzinfo=UTC)
    except (IndexError, ValueError):
        return True
    return now - made <= REPLICATION_WINDOW


def expectation(record: Registration | None, now: datetime | None = None) -> Expected | None:
    """What a caught-up read shows of the app ssoctl's record describes: the app, the secret a
    store holds and the secrets an interrupted run may have added (graph.lag). None: nothing
    ssoctl wrote recently enough to still be replicating (no record, or its last secret is days
    old: then a read that lacks something is believed at once, with no wait). `now` is the real
    time (replication runs on it), not a command's clock."""
    if record is None or not record.app_id:
        return None
    now = now or datetime.now(UTC)
    pending = tuple(n for n in record.pending if written_recently(n, now))
    held = record.secret
    if held is not None and not written_recently(held.display_name, now) and not pending:
        return None
    keys = (held.key_id,) if held is not None and written_recently(held.display_name, now) else ()
    return Expected(app_id=record.app_id, key_ids=keys, secret_names=pending)


def read(graph: GraphApi, spec: AppSpec, record: Registration | None = None) -> AppState | None:
    """The app by uniqueName; with ssoctl's record, read past replication lag (graph.lag)."""
    raw = graph.get_application(spec.unique_name, expectation(record))
    return AppState.from_json(raw) if raw else None


def _claims(claims: tuple[OptionalClaim, ...]) -> str:
    if not claims:
        return "none"
    return ", ".join(f"{c.token}: {c.name}{' (essential)' if c.essential else ''}" for c in claims)


def _perms(perms: tuple[Permission, ...], named: tuple[PermissionName, ...] = ()) -> str:
    if not perms and not named:
        return "none"
    names = [
        (p.name or describe(p.resource_app_id, p.id, p.type)) + (" (application)" if p.type == "Role" else "")
        for p in perms
    ] + [str(n) for n in named]
    return ", ".join(sorted(names, key=str.lower))


def _implicit(access: bool, id_token: bool) -> str:
    on = [name for name, flag in (("access tokens", access), ("ID tokens", id_token)) if flag]
    return " + ".join(on) if on else "off"


def _uris(uris: tuple[str, ...] | list[str]) -> str:
    return ", ".join(uris) if uris else "none"


@dataclass(frozen=True)
class Field:
    """One managed setting: how to show it desired and current, and whether they agree."""

    target: str
    desired: Callable[[AppSpec, str | None], str]
    current: Callable[[AppState], str]
    same: Callable[[AppSpec, AppState], bool]
    applies: Callable[[AppSpec], bool] = lambda spec: True


def _id_uris(spec: AppSpec, app_id: str | None) -> tuple[str, ...]:
    return spec.identifier_uris(app_id)


FIELDS: tuple[Field, ...] = (
    Field(
        "displayName",
        lambda s, _: s.display_name,
        lambda c: c.display_name,
        lambda s, c: s.display_name == c.display_name,
    ),
    Field(
        "signInAudience",
        lambda s, _: s.sign_in_audience,
        lambda c: c.sign_in_audience,
        lambda s, c: s.sign_in_audience == c.sign_in_audience,
    ),
    Field(
        "web.redirectUris",
        lambda s, _: _uris(s.redirect_uris),
        lambda c: _uris(c.redirect_uris),
        lambda s, c: sorted(s.redirect_uris) == sorted(c.redirect_uris),
    ),
    Field(
        "web.implicitGrantSettings",
        lambda s, _: _implicit(s.implicit_access_tokens, s.implicit_id_tokens),
        lambda c: _implicit(c.implicit_access_tokens, c.implicit_id_tokens),
        lambda s, c: (
            (s.implicit_access_tokens, s.implicit_id_tokens)
            == (c.implicit_access_tokens, c.implicit_id_tokens)
        ),
    ),
    Field(
        "optionalClaims",
        lambda s, _: _claims(s.optional_claims),
        lambda c: _claims(c.optional_claims),
        lambda s, c: s.optional_claims == c.optional_claims,
    ),
    Field(
        "requiredResourceAccess",
        lambda s, _: _perms(s.permissions, s.unresolved),
        lambda c: _perms(c.permissions),
        lambda s, c: s.permissions == c.permissions,
    ),
    Field(
        "groupMembershipClaims",
        lambda s, _: s.group_membership_claims or "None",
        lambda c: c.group_membership_claims or "None",
        lambda s, c: (s.group_membership_claims or "None") == (c.group_membership_claims or "None"),
        applies=lambda s: s.group_membership_claims is not None,
    ),
    Field(
        "identifierUris",
        lambda s, app_id: _uris(_id_uris(s, app_id)),
        lambda c: _uris(c.identifier_uris),
        lambda s, c: sorted(_id_uris(s, c.app_id)) == sorted(c.identifier_uris),
        applies=lambda s: bool(s.identifier_uri_template),
    ),
)


def diff(spec: AppSpec, current: AppState | None) -> Step:
    """Create (every setting as `+`), update (one `~ before → after` per drifted setting), or none."""
    fields = [f for f in FIELDS if f.applies(spec)]
    if current is None:
        head = Change(
            APPLICATION,
            Action.CREATE,
            APPLICATION,
            f"{spec.display_name} (uniqueName {spec.unique_name})",
            after=spec.display_name,
        )
        rest = [
            Change(APPLICATION, Action.CREATE, f.target, f.desired(spec, None), after=f.desired(spec, None))
            for f in fields
            if f.target != "displayName"
        ]
        return Step(APPLICATION, Action.CREATE, (head, *rest), payload=spec)
    drift = [f for f in fields if not f.same(spec, current)]
    if not drift:
        line = Change(
            APPLICATION,
            Action.NONE,
            APPLICATION,
            f"{spec.display_name} (appId {current.app_id}) is up to date",
        )
        return Step(APPLICATION, Action.NONE, (line,), payload=spec)
    changes = []
    for f in drift:
        before, after = f.current(current), f.desired(spec, current.app_id)
        changes.append(Change(APPLICATION, Action.UPDATE, f.target, f"{before} → {after}", before, after))
    return Step(APPLICATION, Action.UPDATE, tuple(changes), payload=spec)


def apply(step: Step, ctx: ApplyContext) -> None:
    """Upsert the app; on first creation also expose the API. Fills object and app IDs."""
    spec: AppSpec = step.payload
    graph, current = ctx.graph, ctx.current.app
    if not step.has_work:
        assert current is not None
        ctx.object_id, ctx.app_id = current.object_id, current.app_id
        return
    created = graph.upsert_application(
        spec.unique_name, application_body(spec, current.app_id if current else None)
    )
    if created is not None:
        object_id, app_id = created["id"], created["appId"]
        needs_uri = "{appId}" in spec.identifier_uri_template
    elif current is not None:
        ctx.object_id, ctx.app_id = current.object_id, current.app_id
        return
    else:
        # It appeared between our read and our write (another run?), or our read came from a
        # replica that had not seen it yet: the upsert updated it, so it exists.
        raw = graph.get_application(spec.unique_name, Expected())
        if raw is None:
            raise GraphError(
                "the application vanished right after it was written",
                status=404,
                hint="someone may have deleted it meanwhile: run the command again in a minute",
            )
        state = AppState.from_json(raw)
        object_id, app_id = state.object_id, state.app_id
        needs_uri = bool(spec.identifier_uri_template) and state.identifier_uris != spec.identifier_uris(
            app_id
        )
    if needs_uri:
        graph.update_application(object_id, {"identifierUris": list(spec.identifier_uris(app_id))})
    ctx.object_id, ctx.app_id = object_id, app_id
