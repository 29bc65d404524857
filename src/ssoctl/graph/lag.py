"""Reading past Entra's replication lag: what ssoctl wrote itself must show before a read is believed.

Entra answers reads from any replica, so right after a write a read may not show it: a new
application is 404 by `(uniqueName='…')` too, a secret just added is missing from
`passwordCredentials`, a new service principal is left out of `$filter` lists ("A successful
write to Microsoft Entra does not guarantee that an immediate read will reflect that change",
Microsoft Entra blog, "Designing for Eventual Consistency for Microsoft Entra"). Believed at once,
such a read makes ssoctl add a second secret, call a held secret lost, or forget an app it should
delete. So the reads that follow ssoctl's own writes say what they expect (from state.json's
record); while the answer lacks it, the read is repeated with the replication back-off
(`retry.next_wait`) for at most `SETTLE_MAX_WAIT` seconds. After that the answer stands: the
object really was deleted or the secret removed, by hand. Only recent writes are waited for
(`resources.application.expectation`: a secret's name carries the day it was made), so a secret
removed by hand weeks later is believed gone at once. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]

SETTLE_MAX_WAIT = 30.0  # seconds of waiting, in total, before a read lacking ssoctl's writes stands


@dataclass(frozen=True)
class Expected:
    """What a caught-up replica shows of one application ssoctl wrote.

    `app_id`: which application (an answer for another appId, e.g. the name was taken over,
    expects nothing); `exists`: it must be found; `key_ids`: secrets it must list (the one a
    store holds); `secret_names`: display names of secrets an interrupted run may have added,
    which must be seen before ssoctl decides they were never made.
    """

    app_id: str = ""
    exists: bool = True
    key_ids: tuple[str, ...] = ()
    secret_names: tuple[str, ...] = ()

    def shown_by(self, app: JSON | None) -> bool:
        """Does this answer show everything expected (or belong to another application)?"""
        if app is None:
            return not self.exists
        if self.app_id and str(app.get("appId") or "").lower() != self.app_id.lower():
            return True
        if not self.key_ids and not self.secret_names:
            return True
        listed = [p for p in app.get("passwordCredentials") or [] if isinstance(p, dict)]
        keys = {str(p.get("keyId") or "").lower() for p in listed}
        names = {p.get("displayName") for p in listed}
        return all(k.lower() in keys for k in self.key_ids) and all(n in names for n in self.secret_names)


def all_shown(expected: Iterable[Expected], apps: Sequence[JSON]) -> bool:
    """Does a list of applications show every expected one as it should be?"""
    by_app_id = {str(a.get("appId") or "").lower(): a for a in apps}
    return all(e.shown_by(by_app_id.get(e.app_id.lower())) for e in expected if e.app_id)


def lists_all(app_ids: Iterable[str], found: Sequence[JSON]) -> bool:
    """Does a list of service principals include one for each of these appIds?"""
    listed = {str(sp.get("appId") or "").lower() for sp in found}
    return all(a.lower() in listed for a in app_ids)
