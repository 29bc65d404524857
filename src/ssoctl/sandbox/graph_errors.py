"""Microsoft Graph's error responses, as one exception type the handlers raise.

Every error the sandbox returns has Graph's shape,
`{"error": {"code", "message", "details"?, "innerError": {"date", "request-id", "client-request-id"}}}`
(graph/errors docs; identical bodies in public issue threads quoted next to each factory below),
so a client's error handling is exercised exactly as against the real service. Codes and messages
are copied from real responses; where none could be found the comment says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class GraphFault(Exception):
    """A refused request: HTTP status, Graph error code and message, optional details/headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = [dict(d) for d in details]
        self.headers = dict(headers or {})

    def body(self, *, date: str, request_id: str, client_request_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        error["innerError"] = {
            "date": date,
            "request-id": request_id,
            "client-request-id": client_request_id,
        }
        return {"error": error}


# --- Authentication and authorisation -------------------------------------------------------
# Graph answers 401 InvalidAuthenticationToken; messages as returned by graph.microsoft.com
# (microsoftgraph/msgraph-sample-reactspa#54 "Access token is empty.",
# MaikuB/flutter_appauth#575 for IDX14100, msgraph-sdk-javascript#779 for expiry).

MALFORMED_TOKEN = (
    "IDX14100: JWT is not well formed, there are no dots (.).\n"
    "The token needs to be in JWS or JWE Compact Serialization Format. "
    "(JWS): 'EncodedHeader.EncodedPayload.EncodedSignature'. "
    "(JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector."
    "EncodedCiphertext.EncodedAuthenticationTag'."
)


def token_empty() -> GraphFault:
    return GraphFault(401, "InvalidAuthenticationToken", "Access token is empty.")


def token_malformed() -> GraphFault:
    return GraphFault(401, "InvalidAuthenticationToken", MALFORMED_TOKEN)


def token_expired() -> GraphFault:
    return GraphFault(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")


def token_wrong_tenant() -> GraphFault:
    # A token minted for another tenant (or audience) fails Graph's validation this way
    # (microsoftgraph/console-java-connect-sample#1).
    return GraphFault(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")


def insufficient_privileges() -> GraphFault:
    return GraphFault(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
    )


# --- Addressing ------------------------------------------------------------------------------


def resource_not_found(key: str) -> GraphFault:
    # Directory objects that do not exist, or have not replicated yet (GRAPH.md; the message is
    # the directory's, e.g. msgraph-sdk-powershell#1502).
    return GraphFault(
        404,
        "Request_ResourceNotFound",
        f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.",
    )


def unknown_segment(segment: str) -> GraphFault:
    # microsoftgraph/microsoft-graph-docs-contrib#1814: 400 BadRequest for an unknown segment.
    return GraphFault(400, "BadRequest", f"Resource not found for the segment '{segment}'.")


def invalid_version(version: str) -> GraphFault:
    # A path that does not start with /v1.0 (or /beta): 404 "Invalid version: rolemanagement".
    return GraphFault(404, "ResourceNotFound", f"Invalid version: {version}")


def method_not_allowed() -> GraphFault:
    # concepts/json-batching.md example response 4: 405 with this exact code and message.
    return GraphFault(
        405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."
    )


def query_syntax() -> GraphFault:
    # An OData key or literal that does not parse (e.g. an undoubled quote inside '...').
    return GraphFault(400, "BadRequest", "Bad Request - Error in query syntax.")


# --- Request bodies --------------------------------------------------------------------------


def unreadable_json() -> GraphFault:
    return GraphFault(
        400,
        "BadRequest",
        "Unable to read JSON request payload. Please ensure Content-Type header is set and "
        "payload is of valid JSON format.",
    )


def bad_request(message: str, *, details: Sequence[Mapping[str, Any]] = ()) -> GraphFault:
    """The directory's generic 400: `Request_BadRequest` with a specific message."""
    return GraphFault(400, "Request_BadRequest", message, details=details)


def undeclared_property(name: str) -> GraphFault:
    # application is an open type in the CSDL only so that directory extensions
    # (`extension_<appId>_<name>`) fit; any other undeclared name is refused. This is the
    # directory's wording for an undeclared name (seen verbatim for $select/$filter, e.g.
    # instructure/canvas-lms MicrosoftSync specs); no public capture of the body-write case was
    # found, so the wording for bodies is the nearest real one, with the directory's 400 code.
    return bad_request(f"Property '{name}' does not exist as a declared property or extension property.")


def unknown_nested_property(name: str, type_name: str) -> GraphFault:
    # The OData reader's wording for a non-open type, as Graph returns it ("The property
    # 'saveToSentItems' does not exist on type 'microsoft.graph.message'. Make sure ..."); the
    # directory wraps reader errors in Request_BadRequest (msgraph-beta-sdk-dotnet#87).
    return bad_request(
        f"The property '{name}' does not exist on type 'microsoft.graph.{type_name}'. Make sure "
        "to only use property names that are defined by the type or mark the type as open type."
    )


def read_only(name: str) -> GraphFault:
    # Real body: {"code":"Request_BadRequest","message":"Property 'publisherDomain' is read-only
    # and cannot be set."}
    return bad_request(f"Property '{name}' is read-only and cannot be set.")


def invalid_value(prop: str, resource: str) -> GraphFault:
    # "Invalid value specified for property 'displayName' of resource 'Application'." (empty
    # displayName on create) and "... property 'web' of resource 'Application'." (a rejected
    # web.redirectUris list, msgraph-sdk-powershell#3149).
    return bad_request(f"Invalid value specified for property '{prop}' of resource '{resource}'.")


def object_conflict(prop: str) -> GraphFault:
    message = f"Another object with the same value for property {prop} already exists."
    return bad_request(message, details=[{"code": "ObjectConflict", "message": message, "target": prop}])


def duplicate_value() -> GraphFault:
    # msgraph-sdk-python#233: duplicate entries in an application collection.
    return GraphFault(400, "DuplicateValue", "Request contains a property with duplicate values.")


# --- Queries ---------------------------------------------------------------------------------


def unsupported_query_property(name: str) -> GraphFault:
    # $select/$filter naming an unknown property: Request_UnsupportedQuery with this message.
    return GraphFault(
        400,
        "Request_UnsupportedQuery",
        f"Property '{name}' does not exist as a declared property or extension property.",
    )


def unsupported_filter(prop: str) -> GraphFault:
    return GraphFault(
        400,
        "Request_UnsupportedQuery",
        f"Unsupported or invalid query filter clause specified for property '{prop}' of "
        "resource 'Application'.",
    )


def invalid_page_size(value: str) -> GraphFault:
    return bad_request(f"Invalid page size specified: '{value}'. Must be between 1 and 999 inclusive.")


# --- Throttling ------------------------------------------------------------------------------


def throttled(retry_after: int) -> GraphFault:
    # concepts/throttling.md sample response; the identity service adds x-ms-throttle-* headers
    # (concepts/throttling-limits.md, "Identity and access service limits").
    return GraphFault(
        429,
        "TooManyRequests",
        "Please retry again later.",
        headers={
            "Retry-After": str(retry_after),
            "x-ms-throttle-information": "ResourceUnitLimitExceeded",
        },
    )
