"""Replication lag (Faults.replication_hits): a new object stays invisible for its next K requests.

Entra writes a new directory object to one replica and may answer the next requests from
others, so for a while after a create the object looks missing: reads and updates get 404, a
service principal for a just-created application gets NoBackingApplicationObject, a grant or
an app role assignment naming a just-created service principal is refused (GRAPH.md), lists
leave it out, and a client secret just added is missing from the application's
`passwordCredentials` ("A successful write to Microsoft Entra does not guarantee that an
immediate read will reflect that change", Microsoft Entra blog "Designing for Eventual
Consistency for Microsoft Entra", 2026-03-24). The sandbox counts instead of timing: the tenant
document maps object id (or `listed:<keyId>` for a secret) -> requests left, and each request
that addresses the object (by id, by an alternate key, by naming it in a body, or a read whose
answer would show it) uses one up and gets the answer Entra gives for a missing object.
Deterministic, and over in K requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox.odata import Key, Segment

JSON = dict[str, Any]


def start(state: JSON, object_id: str, hits: int) -> None:
    """A new object: the next `hits` requests addressing it will not see it (0 = no lag)."""
    if hits > 0:
        state["replication"][object_id.lower()] = hits


def pending(state: JSON, object_id: str) -> bool:
    """True while the object has not replicated yet (uses nothing up)."""
    return int(state["replication"].get(object_id.lower(), 0)) > 0


def consume(state: JSON, object_id: str) -> bool:
    """If the object is still replicating, count this request against it and say so."""
    key = object_id.lower()
    left = int(state["replication"].get(key, 0))
    if left <= 0:
        return False
    if left == 1:
        del state["replication"][key]
    else:
        state["replication"][key] = left - 1
    return True


def refuse(fault: ge.GraphFault) -> ge.GraphFault:
    """The answer for a request refused because of lag: the hit it used up is saved (a failed
    request otherwise leaves the tenant untouched, and the lag would never end)."""
    fault.keeps_state = True
    fault.injected = "replication"
    return fault


def forget(state: JSON, object_id: str) -> None:
    """A deleted object has nothing left to replicate."""
    state["replication"].pop(object_id.lower(), None)


def service_principal_id_for(state: JSON, app_id: str) -> str | None:
    """The object id of the service principal with this appId, if there is one."""
    wanted = app_id.casefold()
    for object_id, sp in state["servicePrincipals"].items():
        if str(sp.get("appId") or "").casefold() == wanted:
            return str(object_id)
    return None


def application_id_for(state: JSON, app_id: str) -> str | None:
    """The object id of the application with this appId, if there is one."""
    wanted = app_id.casefold()
    for object_id, app in state["applications"].items():
        if str(app.get("appId") or "").casefold() == wanted:
            return str(object_id)
    return None


def application_id_for_key(state: JSON, key: Key) -> str | None:
    """The object id of the application an alternate key (`uniqueName`, `appId`) names, if any."""
    if key.name == "id":
        return key.value
    if key.name not in ("uniqueName", "appId"):
        return None
    wanted = key.value.casefold()
    for object_id, app in state["applications"].items():
        if str(app.get(key.name) or "").casefold() == wanted:
            return str(object_id)
    return None


def lagging_path(state: JSON, segments: Sequence[Segment], method: str = "GET") -> str | None:
    """If the path addresses an object that has not replicated yet, use a hit; what to name in the 404.

    Applications lag by object id (any method) and, for reads, by `(uniqueName='…')` and
    `(appId='…')`: a read may come from any replica. A write by alternate key (the upsert
    `PATCH /applications(uniqueName='…')`) is not refused: the key is unique tenant-wide, so
    Entra matches it against the object the create wrote, and a second upsert updates the
    first (the sandbox's best guess; no public capture of a write racing replication found).
    Service principals lag by object id and by `(appId='…')`, any method, which is how clients
    find them right after creating them.
    """
    if len(segments) < 2 or not isinstance(segments[0], str):
        return None
    entity_set = segments[0].lower()
    segment = segments[1]
    if entity_set == "applications":
        if isinstance(segment, Key):
            object_id = application_id_for_key(state, segment) if method in ("GET", "HEAD") else None
            if object_id is not None and consume(state, object_id):
                return segment.value
            return None
        if consume(state, segment):
            return segment
        return None
    if entity_set != "serviceprincipals":
        return None
    if isinstance(segment, Key):
        if segment.name == "appId":
            object_id = service_principal_id_for(state, segment.value)
        elif segment.name == "id":
            object_id = segment.value
        else:
            return None
        if object_id is not None and consume(state, object_id):
            return segment.value
        return None
    return segment if consume(state, segment) else None


def credential_key(key_id: str) -> str:
    """The lag counter of a new client secret in reads of its application's passwordCredentials."""
    return f"listed:{key_id.lower()}"


def hide_new_credentials(state: JSON, shown: JSON) -> bool:
    """Leave client secrets that have not replicated out of an application as a read shows it
    (each one hidden uses a hit). True when something was hidden, for the request log."""
    credentials = shown.get("passwordCredentials")
    if not isinstance(credentials, list):
        return False
    kept = [c for c in credentials if not consume(state, credential_key(str(c.get("keyId") or "")))]
    if len(kept) == len(credentials):
        return False
    shown["passwordCredentials"] = kept
    return True
