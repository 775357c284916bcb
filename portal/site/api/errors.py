"""Graph-shaped errors: ``{"error": {"code": ..., "message": ..., "innerError": {...}}}``.

Codes are the ones Microsoft Graph answers with, so SDKs and scripts that branch on them keep working.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone

BAD_REQUEST = "BadRequest"  # malformed payload or query option
REQUEST_BAD_REQUEST = "Request_BadRequest"  # a directory rule refused the change
NOT_FOUND = "Request_ResourceNotFound"
DENIED = "Authorization_RequestDenied"
INVALID_TOKEN = "InvalidAuthenticationToken"
METHOD_NOT_ALLOWED = "Request_BadRequest"
INSUFFICIENT = "Insufficient privileges to complete the operation."


class ApiError(Exception):
    """Stop handling a request and answer with this Graph error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def bad_request(message: str, code: str = BAD_REQUEST) -> ApiError:
    return ApiError(400, code, message)


def not_found(object_id: object) -> ApiError:
    return ApiError(
        404,
        NOT_FOUND,
        f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present.",
    )


def denied(reason: str = "") -> ApiError:
    return ApiError(403, DENIED, f"{INSUFFICIENT} {reason}".strip())


def error_response(request: HttpRequest, status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse(
        {
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": timezone.now().strftime("%Y-%m-%dT%H:%M:%S"),
                    "request-id": getattr(request, "request_id", ""),
                    "client-request-id": request.headers.get("client-request-id", ""),
                },
            }
        },
        status=status,
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="groupdesk"'
    return response
