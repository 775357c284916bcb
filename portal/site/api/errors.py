"""Graph-shaped errors: ``{"error": {"code": ..., "message": ..., "innerError": {...}}}``.

Codes are the ones Microsoft Graph answers with, so SDKs and scripts that branch on them keep working.
Every refusal reaches the client through ``graph_error``: a service's ``ServiceError`` by its class
(``GRAPH_ERRORS``), the API's own ``ApiError`` with the status and code it carries.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from portal.errors import Conflict, Invalid, NotFound, Refused, ServiceError

BAD_REQUEST = "BadRequest"  # malformed payload or query option
REQUEST_BAD_REQUEST = "Request_BadRequest"  # a directory rule refused the change
NOT_FOUND = "Request_ResourceNotFound"
DENIED = "Authorization_RequestDenied"
INVALID_TOKEN = "InvalidAuthenticationToken"
METHOD_NOT_ALLOWED = "Request_BadRequest"
RULE_CHANGE_HELD = "Groupdesk_RuleChangeHeld"  # Groupdesk's own: Graph has no failsafe
UNSUPPORTED_QUERY = "Request_UnsupportedQuery"
INSUFFICIENT = "Insufficient privileges to complete the operation."


class ApiError(ServiceError):
    """The API's own refusal (token, method, payload, query option): answer with this Graph error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


# A service's refusal → (HTTP status, Graph code), by the nearest class of the family. Graph answers
# "already exists" (a member, an alias) with 400 Request_BadRequest, so a Conflict does too.
GRAPH_ERRORS: dict[type[ServiceError], tuple[int, str]] = {
    Invalid: (400, REQUEST_BAD_REQUEST),
    NotFound: (404, NOT_FOUND),
    Conflict: (400, REQUEST_BAD_REQUEST),
    Refused: (403, DENIED),
    ServiceError: (400, REQUEST_BAD_REQUEST),
}


def graph_error(exc: ServiceError) -> tuple[int, str]:
    """The HTTP status and Graph code a refusal is answered with."""
    if isinstance(exc, ApiError):
        return exc.status, exc.code
    return next(GRAPH_ERRORS[cls] for cls in type(exc).__mro__ if cls in GRAPH_ERRORS)


def bad_request(message: str, code: str = BAD_REQUEST) -> ApiError:
    return ApiError(400, code, message)


def unsupported(message: str = "Unsupported Query.") -> ApiError:
    """Graph's answer to a query it understands but doesn't run (an option, operator or property)."""
    return ApiError(400, UNSUPPORTED_QUERY, message)


def not_found(object_id: object) -> ApiError:
    return ApiError(
        404,
        NOT_FOUND,
        f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present.",
    )


def denied(reason: str = "") -> ApiError:
    return ApiError(403, DENIED, f"{INSUFFICIENT} {reason}".strip())


def rule_change_held(group: object, hold: object) -> ApiError:
    """A rule change the failsafe held: an error, never a success, since the rule didn't change yet.

    Graph has no failsafe, so the code is Groupdesk's own; 409 says the group's state (too many
    members would leave) stands in the way, and the message says how to go on and how to check.
    """
    return ApiError(
        409,
        RULE_CHANGE_HELD,
        f"The new membershipRule would remove {len(hold.removals)} of {hold.member_count} members, more "
        "than the failsafe allows: the rule is NOT changed yet. The change waits for a second administrator "
        f"to confirm it on the group's rule page (/groups/{group.pk}/rule/); the other properties of this "
        "request were saved. GET the group and compare membershipRule to see whether it was confirmed.",
    )


def error_response(request: HttpRequest, status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse(
        {
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": timezone.now().strftime("%Y-%m-%dT%H:%M:%S"),
                    "request-id": getattr(request, "request_id", ""),
                    "client-request-id": request.headers.get("client-request-id", "")[:128],
                },
            }
        },
        status=status,
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="groupdesk"'
    return response
