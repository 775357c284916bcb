"""What the Users and Groups views share: paging, attribute selection, list responses."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from pydantic import ValidationError
from scim2_models import Context, ResponseParameters

from portal.site.scim.filters import Field, compile_filter
from portal.site.scim.protocol import MAX_RESULTS, ScimError, read_body, validation_error

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def query_of(request: HttpRequest) -> dict[str, Any]:
    """A list's parameters: the query string (GET), or a SearchRequest body (POST .search)."""
    if request.method == "GET":
        return {
            k: request.GET.get(k)
            for k in ("filter", "startIndex", "count", "attributes", "excludedAttributes")
        }
    body = read_body(request)
    query = {k: body.get(k) for k in ("filter", "startIndex", "count")}
    for key in ("attributes", "excludedAttributes"):
        value = body.get(key)
        query[key] = ",".join(str(v) for v in value) if isinstance(value, list) else value
    for key, value in query.items():
        if value is not None and not isinstance(value, str | int) or isinstance(value, bool):
            raise ScimError(400, f"{key} has the wrong type.", "invalidValue")
    return query


def _number(query: dict[str, Any], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ScimError(400, f"{name} must be an integer.", "invalidValue") from None


def page_bounds(query: dict[str, Any]) -> tuple[int, int]:
    """startIndex (1-based; less than 1 is 1) and count (negative is 0; at most MAX_RESULTS)."""
    start = min(max(_number(query, "startIndex", 1), 1), 2**31)
    count = min(max(_number(query, "count", MAX_RESULTS), 0), MAX_RESULTS)
    return start, count


def filter_of(query: dict[str, Any], fields: dict[str, Field]) -> Q:
    expression = query.get("filter")
    return compile_filter(str(expression), fields) if expression else Q()


def response_parameters(query: dict[str, Any], model: type) -> ResponseParameters:
    try:
        return ResponseParameters[model].model_validate(
            {
                "attributes": query.get("attributes") or None,
                "excludedAttributes": query.get("excludedAttributes") or None,
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
