"""Graph calls on `/applications`: read by uniqueName, upsert, update, and client secrets."""

from __future__ import annotations

import importlib
import json
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from kiota_abstractions.method import Method

# The generated request builders call warnings.warn() in their class bodies (deprecated
# per-builder RequestConfiguration classes): import the few ssoctl uses once, quietly, here.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    for _module in (
        "msgraph.generated.applications.applications_request_builder",
        "msgraph.generated.applications.item.application_item_request_builder",
        "msgraph.generated.applications.item.add_password.add_password_request_builder",
        "msgraph.generated.applications.item.remove_password.remove_password_request_builder",
    ):
        importlib.import_module(_module)
    from msgraph.generated.applications.applications_request_builder import ApplicationsRequestBuilder
    from msgraph.generated.applications.item.application_item_request_builder import (
        ApplicationItemRequestBuilder,
    )
    from msgraph.generated.applications_with_unique_name.applications_with_unique_name_request_builder import (
        ApplicationsWithUniqueNameRequestBuilder,
    )

from ssoctl.credentials import IssuedSecret, Secret
from ssoctl.errors import GraphError
from ssoctl.graph.api import APPLICATION_SELECT, FILTER_IN_MAX, JSON
from ssoctl.graph.errors import password_already_gone
from ssoctl.graph.lag import Expected, all_shown
from ssoctl.graph.mapping import graph_datetime, parse_graph_datetime
from ssoctl.graph.retry import RESOURCE_NOT_FOUND, Failure, GraphOutcomeUnknown, RetryState, next_wait
from ssoctl.graph.transport import Call, GraphTransport, odata_key, odata_string

ALL_PAGE_SIZE = 999  # Graph's largest page for /applications: fewest requests for a whole tenant
ALL_PAGE_LIMIT = 1000  # pages: a bound for a runaway nextLink loop, ~a million applications


class ApplicationCalls(GraphTransport):
    def _by_unique_name(self, unique_name: str) -> ApplicationsWithUniqueNameRequestBuilder:
        return self._client.applications_with_unique_name(odata_key(unique_name))

    def get_application(self, unique_name: str, expect: Expected | None = None) -> JSON | None:
        query = ApplicationsWithUniqueNameRequestBuilder.ApplicationsWithUniqueNameRequestBuilderGetQueryParameters(
            select=list(APPLICATION_SELECT)
        )
        call = Call(
            f"reading application {unique_name!r}", expect_body=True, accept=lambda f: f.status == 404
        )

        def read() -> JSON | None:
            return self._get_json(call, lambda: self._get_info(self._by_unique_name(unique_name), query))

        if expect is None:
            return read()
        return self._settled(read, expect.shown_by)

    def upsert_application(self, unique_name: str, body: JSON) -> JSON | None:
        call = Call(f"creating or updating application {unique_name!r}", expect_body=True)
        raw = self._call(
            call,
            lambda: self._with_body(
                self._by_unique_name(unique_name), Method.PATCH, body, headers={"Prefer": "create-if-missing"}
            ),
        )
        return self._json(raw, f"application {unique_name!r}") if raw else None

    def update_application(self, object_id: str, body: JSON) -> None:
        call = Call(f"updating application {object_id}", expect_body=False, by_object_id=True)
        self._call(
            call,
            lambda: self._with_body(
                self._client.applications.by_application_id(object_id), Method.PATCH, body
            ),
        )

    def add_password(self, object_id: str, display_name: str, end: datetime) -> IssuedSecret:
        body = {"passwordCredential": {"displayName": display_name, "endDateTime": graph_datetime(end)}}
        what = f"adding a client secret to application {object_id}"
        call = Call(what, expect_body=True, by_object_id=True, issues_secret=True)
        raw = self._call(
            call,
            lambda: self._with_body(
                self._client.applications.by_application_id(object_id).add_password, Method.POST, body
            ),
        )
        return _issued_secret(raw, display_name, end, what)

    def remove_password(self, object_id: str, key_id: str, *, fresh: bool = False) -> None:
        """removePassword. Graph's "No password credential found" may be replication lag (right
        after addPassword, the replica that answers may not have the secret yet), so ssoctl re-reads
        the application before believing it: while the secret is still listed, it waits and tries
        again (replication back-off); once it is not listed, it is gone.

        `fresh`: the secret was added moments ago (taking it back after a failed store or a failed
        proof), so a read not listing it proves nothing either: removePassword is tried again
        until it succeeds or the back-off's time is spent, and only then is "not found" believed."""
        what = f"removing client secret {key_id} from application {object_id}"
        gone: list[bool] = []

        def accept(failure: Failure) -> bool:
            gone.append(password_already_gone(failure, key_id))
            return gone[-1]

        call = Call(what, expect_body=False, by_object_id=True, accept=accept)
        state = RetryState()
        while True:
            gone.clear()
            self._call(
                call,
                lambda: self._with_body(
                    self._client.applications.by_application_id(object_id).remove_password,
                    Method.POST,
                    {"keyId": key_id},
                ),
            )
            if not (gone and gone[-1]):
                return
            listed = self._lists_password(object_id, key_id)
            if not listed and not fresh:
                return
            lag = Failure(status=404, code=RESOURCE_NOT_FOUND, message="credential not replicated yet")
            wait = next_wait(lag, state, by_object_id=True, max_wait=self._max_wait)
            if wait is None and not listed:
                return  # not found, and not listed, for as long as replication takes: gone
            if wait is None:
                raise GraphError(
                    f"{what}: Graph says the secret does not exist, but the application still lists it",
                    status=400,
                    hint="run the command again in a minute (Graph is still replicating), or remove "
                    f"secret {key_id} in the Entra admin center → App registrations → Certificates & secrets",
                )
            self._sleep(wait)

    def _lists_password(self, object_id: str, key_id: str) -> bool:
        """Does the application (by object id) still list this secret?"""
        query = ApplicationItemRequestBuilder.ApplicationItemRequestBuilderGetQueryParameters(
            select=["id", "passwordCredentials"]
        )
        call = Call(f"reading application {object_id}", expect_body=True, by_object_id=True)
        doc = self._get_json(
            call, lambda: self._get_info(self._client.applications.by_application_id(object_id), query)
        )
        listed = (doc or {}).get("passwordCredentials") or []
        return any(str(p.get("keyId", "")).lower() == key_id.lower() for p in listed if isinstance(p, dict))

    def list_applications(
        self, select: Sequence[str], app_ids: Sequence[str] | None = None, expect: Sequence[Expected] = ()
    ) -> list[JSON]:
        found = self._list_applications(select, app_ids)
        lacking = [e for e in expect if not all_shown([e], found)]
        if not lacking:
            return found
        # Only the apps whose read lacked what ssoctl wrote are read again (by appId, not the
        # whole tenant), until they show it (graph.lag); they replace what the list said.
        ids = [e.app_id for e in lacking]
        again = self._settled(lambda: self._list_applications(select, ids), partial(all_shown, lacking))
        fresh = {str(a.get("appId") or "").lower(): a for a in again}
        merged = [fresh.pop(str(a.get("appId") or "").lower(), a) for a in found]
        return merged + list(fresh.values())

    def _list_applications(self, select: Sequence[str], app_ids: Sequence[str] | None) -> list[JSON]:
        builder = self._client.applications
        params = ApplicationsRequestBuilder.ApplicationsRequestBuilderGetQueryParameters
        if app_ids is None:
            query = params(select=list(select), top=ALL_PAGE_SIZE)
            return self._list(
                "reading the tenant's applications",
                lambda: self._get_info(builder, query),
                limit=ALL_PAGE_LIMIT,
            )
        found: list[JSON] = []
        ids = list(dict.fromkeys(app_ids))
        for start in range(0, len(ids), FILTER_IN_MAX):
            chunk = ",".join(odata_string(a) for a in ids[start : start + FILTER_IN_MAX])
            query = params(select=list(select), filter=f"appId in ({chunk})", top=FILTER_IN_MAX)
            found += self._list("reading applications", partial(self._get_info, builder, query))
        return found

    def delete_application(self, object_id: str) -> None:
        call = Call(
            f"deleting application {object_id}",
            expect_body=False,
            by_object_id=True,
            accept=lambda f: f.status == 404,
        )
        self._call(call, lambda: self._delete_info(self._client.applications.by_application_id(object_id)))


def _issued_secret(raw: bytes | None, display_name: str, end: datetime, what: str) -> IssuedSecret:
    # The body holds the secret text: never let it reach an exception, message or log.
    try:
        doc: Any = json.loads(raw or b"")
    except ValueError:
        doc = None
    text = doc.get("secretText") if isinstance(doc, dict) else None
    key_id = doc.get("keyId") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or not isinstance(text, str) or not isinstance(key_id, str):
        raise GraphOutcomeUnknown(
            f"{what}: Microsoft Graph answered without a readable secret",
            status=200,
            hint="a secret may have been created that nobody holds: look for credentials "
            f"named {display_name!r} on the application and remove them",
        ) from None
    end_text = doc.get("endDateTime")
    try:
        end_at = parse_graph_datetime(end_text) if isinstance(end_text, str) else end
    except ValueError:
        end_at = end
    if end_at.tzinfo is None:
        end_at = end_at.replace(tzinfo=UTC)
    name = doc.get("displayName")
    hint = doc.get("hint")
    return IssuedSecret(
        key_id=key_id,
        display_name=name if isinstance(name, str) else display_name,
        end=end_at,
        hint=hint if isinstance(hint, str) else text[:3],
        text=Secret(text),
    )
