"""What the Users and Groups views share: paging, attribute selection, list responses."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from pydantic import ValidationError
from scim2_models import Context, ResponseParameters

from portal.site.scim.filters import Field, compile_filter
from portal.site.scim.protocol import MAX_RESULTS, ScimError, validation_error

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def _number(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ScimError(400, f"{name} must be an integer.", "invalidValue") from None


def page_bounds(request: HttpRequest) -> tuple[int, int]:
    """startIndex (1-based; less than 1 is 1) and count (negative is 0; at most MAX_RESULTS)."""
    start = max(_number(request, "startIndex", 1), 1)
    count = min(max(_number(request, "count", MAX_RESULTS), 0), MAX_RESULTS)
    return start, count


def filter_of(request: HttpRequest, fields: dict[str, Field]) -> Q:
    expression = request.GET.get("filter")
    return compile_filter(expression, fields) if expression else Q()


def response_parameters(request: HttpRequest, model: type) -> ResponseParameters:
    try:
        return ResponseParameters[model].model_validate(
            {
                "attributes": request.GET.get("attributes") or None,
                "excludedAttributes": request.GET.get("excludedAttributes") or None,
            }
        )
    except ValidationError as exc:
        raise validation_error(exc) from None


def dump(resource: Any, context: Context, parameters: ResponseParameters | None = None) -> dict[str, Any]:
    return resource.model_dump(scim_ctx=context, response_parameters=parameters)


def listed(items: list[dict], total: int, start: int) -> dict[str, Any]:
    return {
        "schemas": [LIST],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(items),
        "Resources": items,
    }


def wants(parameters: ResponseParameters, attribute: str) -> bool:
    """Whether a response with these parameters shows ``attribute`` (a costly one: members)."""
    if parameters.excluded_attributes and any(
        str(a).lower() == attribute for a in parameters.excluded_attributes
    ):
        return False
    if parameters.attributes:
        return any(str(a).lower().split(".")[0] == attribute for a in parameters.attributes)
    return True
