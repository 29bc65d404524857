"""The portal's identity provider (`--store pingone` / `--store okta`) as a resource in the plan.

The provider is written by its store, in the same step that stores a new client secret (the
portal needs the secret to create or update it, and a failed write takes the new Entra secret
back, like any store). This kind makes that write visible before it happens — `+ identity
provider`, `~ enabled`, `~ clientSecret` (never its value) — and records the provider's id.
"""

from __future__ import annotations

from ssoctl.resources.base import IDENTITY_PROVIDER, PASSWORD, Action, ApplyContext, Change, Step
from ssoctl.stores.portal_api import PortalApiStore


def diff(store: PortalApiStore, app_id: str | None, new_secret: bool) -> Step:
    """What the store's write will do to the provider, from what its preflight read. Pure."""
    current = store.current
    desired = {k: (app_id or v) if v == "{appId}" else v for k, v in store.desired().items()}
    where = f"{store.title} {store.place}"
    if current is None:
        lines = [
            Change(
                IDENTITY_PROVIDER,
                Action.CREATE,
                "identityProvider",
                f"identity provider {store.options.idp_name!r} in {where}",
                after=store.options.idp_name,
            )
        ]
        lines += [
            Change(IDENTITY_PROVIDER, Action.CREATE, k, v, after=v) for k, v in desired.items() if k != "name"
        ]
        lines.append(
            Change(
                IDENTITY_PROVIDER,
                Action.CREATE,
                "clientSecret",
                "the new client secret (value never shown)",
                after="(new)",
            )
        )
        return Step(IDENTITY_PROVIDER, Action.CREATE, tuple(lines), needs=(PASSWORD,), payload=store.kind)
    if not new_secret:
        line = Change(
            IDENTITY_PROVIDER,
            Action.NONE,
            "identityProvider",
            f"identity provider {current.name!r} ({current.idp_id}) in {where} holds this app's client secret",
        )
        return Step(
            IDENTITY_PROVIDER, Action.NONE, (line,), needs=(PASSWORD,), payload=store.kind, key=current.idp_id
        )
    shown = store.shown(current)
    lines = [
        Change(IDENTITY_PROVIDER, Action.UPDATE, k, f"{shown.get(k) or 'none'} → {v}", shown.get(k), v)
        for k, v in desired.items()
        if shown.get(k) != v and v != "{appId}"
    ]
    lines.append(
        Change(
            IDENTITY_PROVIDER,
            Action.UPDATE,
            "clientSecret",
            f"identity provider {current.name!r} ({current.idp_id}) gets the new client secret (value never shown)",
            "(current)",
            "(new)",
        )
    )
    return Step(
        IDENTITY_PROVIDER,
        Action.UPDATE,
        tuple(lines),
        needs=(PASSWORD,),
        payload=store.kind,
        key=current.idp_id,
    )


def apply(step: Step, ctx: ApplyContext) -> None:
    """The store wrote the provider with the secret; record which provider it is."""
    store = ctx.store
    if isinstance(store, PortalApiStore) and store.current is not None:
        ctx.use(IDENTITY_PROVIDER, store.current.idp_id)
