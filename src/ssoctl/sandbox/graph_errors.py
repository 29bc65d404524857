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
    """A refused request: HTTP status, Graph error code and message, optional details/headers.

    `keeps_state` marks the rare refusal that still changes the tenant: one caused by replication
    lag has used up a hit (replication.refuse), and that must be saved although the request fails.
    `injected` names the fault that caused it ("throttle", "replication"), None for Entra's own
    answers: the request log records it, so tests and benchmarks count what Graph acted on.
    """

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
        self.keeps_state = False
        self.injected: str | None = None

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


def required_missing(prop: str) -> GraphFault:
    # The directory's wording for a required property that is absent or empty ("Property
    # userPrincipalName value is required but is empty or missing.", "Property identifierUris
    # value is required ...", both quoted by clients that hit them).
    return bad_request(f"Property {prop} value is required but is empty or missing.")


def invalid_reference() -> GraphFault:
    # A body that points at a directory object (principalId of an app role assignment) the
    # directory cannot see: `400 Request_BadRequest "Not a valid reference update."`, no details
    # (hashicorp/terraform-provider-azuread retries on exactly this; microsoft-graph-docs-contrib
    # #1407). Real Entra also answers this while the object is still replicating.
    return bad_request("Not a valid reference update.")


def object_conflict(prop: str) -> GraphFault:
    message = f"Another object with the same value for property {prop} already exists."
    return bad_request(message, details=[{"code": "ObjectConflict", "message": message, "target": prop}])


def no_backing_application(app_id: str) -> GraphFault:
    # POST /servicePrincipals (or the upsert) for an appId no application in the tenant has, or
    # one whose application has not replicated yet (GRAPH.md). Message and details as captured
    # from the directory (openshift/openshift-azure#1534 in the AAD Graph shape; the same text
    # with details code NoBackingApplicationObject, target appId, through Microsoft Graph).
    message = f"The appId '{app_id}' of the service principal does not reference a valid application object."
    return bad_request(
        message, details=[{"code": "NoBackingApplicationObject", "message": message, "target": "appId"}]
    )


def service_principal_conflict(app_id: str) -> GraphFault:
    # A second service principal for one appId: 409 with this code and message
    # (hashicorp/terraform-provider-azuread, Azure/reliable-web-app-pattern-java#185); the body
    # carries an ObjectConflict detail whose target Graph leaves as the string "None".
    message = (
        "The service principal cannot be created, updated, or restored because the service "
        f"principal name {app_id} is already in use."
    )
    return GraphFault(
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        message,
        details=[{"code": "ObjectConflict", "message": message, "target": "None"}],
    )


def permission_grant_conflict() -> GraphFault:
    # A second delegated permission grant for the same client, resource (and user): 409
    # (hashicorp/terraform-provider-azuread#690 quotes code and message).
    return GraphFault(409, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists.")


def app_role_not_found() -> GraphFault:
    # An appRoleId the resource service principal does not define. Clients quote the message as
    # "Permission being assigned was not found on application"; whether Graph appends the
    # application's id is not visible in any public capture, so the sandbox stops there.
    return bad_request("Permission being assigned was not found on application.")


def app_role_assignment_exists() -> GraphFault:
    # The same principal, resource and app role assigned twice: 400, not 409 (quoted verbatim by
    # many clients that treat it as "already granted").
    return bad_request("Permission being assigned already exists on the object.")


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


def unsupported_filter(prop: str, resource: str = "Application") -> GraphFault:
    return GraphFault(
        400,
        "Request_UnsupportedQuery",
        f"Unsupported or invalid query filter clause specified for property '{prop}' of "
        f"resource '{resource}'.",
    )


def invalid_page_size(value: str) -> GraphFault:
    return bad_request(f"Invalid page size specified: '{value}'. Must be between 1 and 999 inclusive.")


# --- Throttling ------------------------------------------------------------------------------


def throttled(retry_after: int) -> GraphFault:
    # concepts/throttling.md sample response; the identity service adds x-ms-throttle-* headers
    # (concepts/throttling-limits.md, "Identity and access service limits").
    fault = GraphFault(
        429,
        "TooManyRequests",
        "Please retry again later.",
        headers={
            "Retry-After": str(retry_after),
            "x-ms-throttle-information": "ResourceUnitLimitExceeded",
        },
    )
    fault.injected = "throttle"
    return fault
