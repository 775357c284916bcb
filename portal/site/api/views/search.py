"""POST /search/query for external items, as the token's user, trimmed to what that user may see.

Graph's ``searchRequest``: ``entityTypes`` (here only ``externalItem``), ``contentSources``
(``/external/connections/{id}``, one or several), ``query.queryString``, ``from``, ``size``. The answer is
``{"value": [searchResponse]}`` with ``hitsContainers[].hits[]`` (``hitId``, ``rank``, ``summary``,
``contentSource``, ``resource``). Trimming happens before paging: ``total`` counts only what the user may
see. An app token searches nothing (Graph's search of external items needs a delegated user).
"""

from __future__ import annotations

import html
import re
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from groups.connections import selectors
from groups.connections.models import ContentType, ExternalConnection, ExternalItem
from groups.connections.validation import html_text
from portal.authz import AppActor
from portal.site.api import errors
from portal.site.api.auth import api_view, read_json
from portal.site.api.external_json import NAMESPACE
from portal.site.api.views.common import context_url

SOURCE = re.compile(r"/?external/connections/([A-Za-z0-9]{1,64})")
MAX_SIZE = 500
MAX_QUERY = 1024


def _request_of(body: dict[str, Any]) -> dict[str, Any]:
    requests = body.get("requests")
    if not isinstance(requests, list) or len(requests) != 1 or not isinstance(requests[0], dict):
        raise errors.bad_request("'requests' must hold one search request.")
    one = requests[0]
    if one.get("entityTypes") != ["externalItem"]:
        raise errors.bad_request('Only entityTypes ["externalItem"] is searched here.')
    return one


def _sources(request: HttpRequest, value: Any) -> list[ExternalConnection]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise errors.bad_request(
            "'contentSources' lists the connections to search: /external/connections/{id}."
        )
    ids = []
    for source in value:
        match = SOURCE.fullmatch(source.strip())
        if match is None:
            raise errors.bad_request(
                f"'{source[:100]}' isn't a content source: use /external/connections/{{id}}."
            )
        ids.append(match.group(1))
    found = list(ExternalConnection.objects.for_tenant(request.api_tenant).filter(connection_id__in=ids))
    missing = set(ids) - {c.connection_id for c in found}
    if missing:
        raise errors.bad_request(f"No connection '{sorted(missing)[0]}' in this organization.")
    return found


def _number(value: Any, name: str, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise errors.bad_request(f"'{name}' must be a whole number from {low} to {high}.")
    return value


def _summary(item: ExternalItem, words: list[str]) -> str:
    """A short extract of the content around the first word found, the words as Graph marks them."""
    text = html_text(item.content_value) if item.content_type == ContentType.HTML else item.content_value
    text = " ".join(text.split())
    lower = text.lower()
    at = min((lower.find(w) for w in words if w in lower), default=0)
    extract = text[max(at - 60, 0) : at + 140]
    escaped = html.escape(extract)
    for word in words:
        escaped = re.sub(f"({re.escape(html.escape(word))})", r"<c0>\1</c0>", escaped, flags=re.IGNORECASE)
    return escaped


def _hit(item: ExternalItem, rank: int, words: list[str]) -> dict[str, Any]:
    return {
        "hitId": item.item_id,
        "contentSource": f"/external/connections/{item.connection.connection_id}",
        "rank": rank,
        "summary": _summary(item, words),
        "resource": {"@odata.type": f"{NAMESPACE}.externalItem", "properties": item.properties},
    }


@api_view("POST")
def search_query(request: HttpRequest) -> HttpResponse:
    one = _request_of(read_json(request))
    query = one.get("query")
    if not isinstance(query, dict) or not isinstance(query.get("queryString"), str):
        raise errors.bad_request('\'query\' must be {"queryString": "..."}.')
    query_string = query["queryString"][:MAX_QUERY]
    connections = _sources(request, one.get("contentSources"))
    start = _number(one.get("from"), "from", 0, 0, 100_000)
    size = _number(one.get("size"), "size", 25, 1, MAX_SIZE)
    words = [w for w in query_string.lower().split() if w != "*"]
    hits: list[dict[str, Any]] = []
    total, more = 0, False
    if not isinstance(request.actor, AppActor):
        page = selectors.search_items(
            request.actor, [c.pk for c in connections], query_string, start=start, size=size
        )
        hits = [_hit(item, start + i + 1, words) for i, item in enumerate(page.hits)]
        total, more = page.total, page.more
    container = {"hits": hits, "total": total, "moreResultsAvailable": more}
    return JsonResponse(
        {
            "@odata.context": context_url(request, "Collection(microsoft.graph.searchResponse)"),
            "value": [{"searchTerms": words, "hitsContainers": [container]}],
        }
    )
