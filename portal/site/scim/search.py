"""POST /scim/v2/.search (RFC 7644 §3.4.3): Users and Groups in one list, users first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from portal.site.scim.auth import scim_view
from portal.site.scim.common import listed, page_bounds, query_of
from portal.site.scim.group_views import group_list
from portal.site.scim.protocol import scim_response
from portal.site.scim.user_views import user_list


@scim_view("POST")
def search_all(request: HttpRequest) -> HttpResponse:
    query = query_of(request)
    start, count = page_bounds(query)
    users = user_list(request, query)
    user_total = users["totalResults"]
    groups = group_list(request, {**query, "count": max(count - len(users["Resources"]), 0)}, skip=user_total)
    items = users["Resources"] + groups["Resources"]
    return scim_response(listed(items, user_total + groups["totalResults"], start))
