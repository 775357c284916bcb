"""Bearer tokens of apps, and the ``scim_view`` decorator every SCIM view wears.

Only an app token provisions (``create_api_token --app NAME --role ROLE``): its role decides what it
may change (a User Administrator app users, a Groups Administrator app groups), through the same
``authorize`` as every page. One tenant per token. Every request of an app is kept as a
``ProvisioningOperation`` (the Provisioning section lists them); the changes are audit events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError as PydanticError
from scim2_models import SCIMException

from portal.authz import AppActor
from portal.errors import Conflict, NotFound, Refused, ServiceError
from portal.models import ProvisioningOperation
from portal.site.scim.protocol import POLICY, ScimError, error_response, validation_error
from portal.tokens import api_token_find

logger = logging.getLogger(__name__)


def authenticate(request: HttpRequest) -> AppActor:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ScimError(401, "Send an app's API token as 'Authorization: Bearer <token>'.")
    token = api_token_find(secret.strip())
    if token is None:
        raise ScimError(401, "The token is unknown or revoked.")
    if token.service_principal_id is None:
        raise ScimError(403, "SCIM provisioning needs an app's token (create_api_token --app), not a user's.")
    actor = AppActor(service_principal=token.service_principal, role=token.role)
    if not actor.is_active:
        raise ScimError(401, "The app of this token is disabled.")
    return actor


def service_error(exc: ServiceError) -> ScimError:
    """A service's refusal as a SCIM error: a taken name or an object already there is ``uniqueness``
    (409), an organization's rule 403, a bad value ``invalidValue``."""
    if isinstance(exc, NotFound):
        return ScimError(404, str(exc))
    if isinstance(exc, Conflict):
        return ScimError(409, str(exc), "uniqueness")
    if isinstance(exc, Refused):
        return ScimError(403, str(exc))
    return ScimError(400, str(exc), "invalidValue")


def _answer(
    request: HttpRequest, view: Callable, args: Any, kwargs: Any
) -> tuple[HttpResponse, ScimError | None]:
    try:
        with POLICY:
            return view(request, *args, **kwargs), None
    except ScimError as exc:
        error = exc
    except SCIMException as exc:
        error = ScimError(exc.status, exc.detail, exc.scim_type or None)
    except PydanticError as exc:
        error = validation_error(exc)
    except ServiceError as exc:
        error = service_error(exc)
    except PermissionDenied as exc:
        error = ScimError(403, f"This app's role doesn't allow it. {exc}".strip())
    except Http404:
        error = ScimError(404, "Resource not found.")
    except ValidationError as exc:
        error = ScimError(400, " ".join(exc.messages), "invalidValue")
    except IntegrityError:  # a concurrent request made the same name first
        error = ScimError(409, "Another resource already has this value.", "uniqueness")
    return error_response(error.status, error.detail, error.scim_type), error


def scim_view(*methods: str) -> Callable:
    """Authenticate the app, check the method, turn every refusal into a SCIM error, keep the operation."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                request.actor = authenticate(request)
            except ScimError as exc:
                return error_response(exc.status, exc.detail, exc.scim_type)
            if request.method not in methods:
                response = error_response(
                    405, f"{request.method} isn't supported here; use {', '.join(methods)}."
                )
                response["Allow"] = ", ".join(methods)
                return response
            response, error = _answer(request, view, args, kwargs)
            _keep(request, response, error, kwargs)
            return response

        wrapper.scim_methods = methods
        return wrapper

    return decorator


def _keep(request: HttpRequest, response: HttpResponse, error: ScimError | None, kwargs: dict) -> None:
    actor: AppActor = request.actor
    resource_id = getattr(response, "scim_resource_id", "") or next(iter(kwargs.values()), "")
    ProvisioningOperation.objects.create(
        tenant_id=actor.tenant_id,
        service_principal_id=actor.service_principal.pk,
        method=request.method[:8],
        path=request.path[:256],
        status=response.status_code,
        resource_id=str(resource_id)[:64],
        scim_type=(error.scim_type or "")[:32] if error else "",
        detail=error.detail[:512] if error else "",
    )
