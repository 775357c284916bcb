"""Bearer-token authentication and the ``api_view`` decorator every API view wears.

Only the ``Authorization`` header authenticates: a browser's session cookie never does, which is also
why the views are CSRF-exempt (a cross-site form can't set that header).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from portal.authz import AppActor
from portal.errors import ServiceError
from portal.models import User
from portal.site.api import errors
from portal.site.api.body import load_json
from portal.tokens import api_token_find

logger = logging.getLogger(__name__)

Actor = User | AppActor


def authenticate(request: HttpRequest) -> Actor:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if not header:
        raise errors.ApiError(401, errors.INVALID_TOKEN, "Access token is empty.")
    if scheme.lower() != "bearer" or not secret.strip():
        raise errors.ApiError(401, errors.INVALID_TOKEN, "Access token must be sent as 'Bearer <token>'.")
    token = api_token_find(secret.strip())
    if token is None:
        raise errors.ApiError(401, errors.INVALID_TOKEN, "Access token validation failure.")
    if token.user_id is not None:
        user = token.user
        if not user.is_active or user.is_pending_guest or user.tenant_id != token.tenant_id:
            raise errors.ApiError(401, errors.INVALID_TOKEN, "The user of this token can't sign in.")
        return user
    actor = AppActor(service_principal=token.service_principal, role=token.role)
    if not actor.is_active:
        raise errors.ApiError(401, errors.INVALID_TOKEN, "The app of this token is disabled.")
    return actor


def read_json(request: HttpRequest) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 that says what is wrong with it."""
    content_type = request.content_type or ""
    if content_type and content_type != "application/json":
        raise errors.bad_request(f"Content-Type must be application/json, not {content_type}.")
    body = load_json(request.body or b"{}")  # a 400 for bad or too deeply nested JSON
    if not isinstance(body, dict):
        raise errors.bad_request("The request payload must be a JSON object.")
    return body


def _client_request_id(request: HttpRequest) -> str:
    """The client's ``client-request-id`` when it is a plain short token (it goes back in a header)."""
    value = request.headers.get("client-request-id", "")
    return value if len(value) <= 128 and value.isprintable() and "\n" not in value else ""


def api_view(*methods: str) -> Callable:
    """Authenticate the bearer token, check the method, and turn every refusal into a Graph error."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = _answer(request, *args, **kwargs)
            # Graph's correlation headers: the client's own id echoed, or ours when it sent none.
            request_id = getattr(request, "request_id", "") or str(uuid.uuid4())
            response["request-id"] = request_id
            response["client-request-id"] = _client_request_id(request) or request_id
            return response

        def _answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                request.actor = authenticate(request)
                request.api_tenant = request.actor.tenant
                if request.method not in methods:
                    raise errors.ApiError(
                        405,
                        errors.METHOD_NOT_ALLOWED,
                        f"The {request.method} method isn't supported here; use {', '.join(methods)}.",
                    )
                return view(request, *args, **kwargs)
            except ServiceError as exc:  # the services' refusals and the API's own, by class
                return errors.error_response(request, *errors.graph_error(exc), str(exc))
            except PermissionDenied as exc:
                return errors.error_response(
                    request, 403, errors.DENIED, f"{errors.INSUFFICIENT} {exc}".strip()
                )
            except Http404:
                return errors.error_response(request, 404, errors.NOT_FOUND, "Resource not found.")
            except ValidationError as exc:
                return errors.error_response(request, 400, errors.REQUEST_BAD_REQUEST, " ".join(exc.messages))

        wrapper.api_methods = methods
        return wrapper

    return decorator
