"""The SCIM 2.0 wire (RFC 7644): media type, error bodies, request bodies, and what we tolerate.

The payloads themselves are ``scim2-models`` models. ``POLICY`` is what Microsoft Entra and Okta
actually send: unknown attributes are ignored (Entra adds its own, Okta sends ``password`` and
``locale``), a PATCH ``remove`` of members may carry a ``value`` array (Entra), and a filtered PATCH
path that matches nothing creates the entry it describes (Entra's ``emails[type eq "work"].value``).
Booleans as strings (``"False"``) and ``op`` in any case (``"Replace"``) are read by the models.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from pydantic import ValidationError
from scim2_models import EnterpriseUser, Error, ScimPolicy, User

from portal.errors import ServiceError
from portal.site.api.body import MAX_JSON_DEPTH, may_hold_nul, nul_path, too_deep

SCIM_JSON = "application/scim+json"
PREFIX = "/scim/v2/"
ScimUser = User[EnterpriseUser]
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)
MAX_BODY_BYTES = 1_000_000  # announced in ServiceProviderConfig (bulk.maxPayloadSize)
MAX_RESULTS = 200  # filter.maxResults: the largest page


class ScimError(ServiceError):
    """The SCIM protocol's own refusal, answered with a SCIM error body (RFC 7644 §3.12), as ``ApiError``
    is the Graph API's."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def scim_response(payload: dict[str, Any] | None, status: int = 200, location: str = "") -> HttpResponse:
    if payload is None:
        return HttpResponse(status=status)
    response = HttpResponse(json.dumps(payload), status=status, content_type=SCIM_JSON)
    if location:
        response["Location"] = location
    return response


def error_response(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    body = Error(status=status, scim_type=scim_type, detail=detail[:1000]).model_dump()
    return scim_response(body, status)


def validation_error(exc: ValidationError) -> ScimError:
    """A payload the models refuse: the first problem, with its scimType (invalidValue, invalidSyntax...)."""
    try:
        first = Error.from_validation_error(exc.errors()[0])
    except (IndexError, KeyError, TypeError, ValueError):
        return ScimError(400, "The request body is not a valid SCIM payload.", "invalidSyntax")
    return ScimError(
        first.status or 400, first.detail or "Invalid payload.", first.scim_type or "invalidValue"
    )


def read_body(request: HttpRequest) -> dict[str, Any]:
    """The request body as a JSON object, or a SCIM 400 saying what is wrong with it."""
    content_type = request.content_type or ""
    if content_type not in ("", SCIM_JSON, "application/json"):
        raise ScimError(400, f"Content-Type must be {SCIM_JSON}, not {content_type[:80]}.", "invalidSyntax")
    raw = request.body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise ScimError(413, f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScimError(400, "The request body is not UTF-8.", "invalidSyntax") from None
    if too_deep(text):
        raise ScimError(400, f"The request body nests deeper than {MAX_JSON_DEPTH} levels.", "invalidSyntax")
    try:
        body = json.loads(text or "null")
    except ValueError as exc:
        raise ScimError(400, f"The request body is not JSON: {exc}.", "invalidSyntax") from None
    if not isinstance(body, dict):
        raise ScimError(400, "The request body must be a JSON object.", "invalidSyntax")
    if may_hold_nul(raw) and (where := nul_path(body)):
        raise invalid_value(f"A NUL character isn't allowed: {where} contains one.")
    return body


def refuse_nul(location: str) -> HttpResponse:
    """The NUL guard's answer under /scim/v2/ (portal.site.middleware)."""
    return error_response(
        400, f"A NUL character isn't allowed in input: {location} contains one.", "invalidValue"
    )
