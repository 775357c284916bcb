from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from portal.authz import MY_GROUPS_ACCESS, decide
from portal.pagination import CappedPaginator, CountingPaginator

PAGE_SIZE = 25


def my_groups_closed(request: HttpRequest) -> HttpResponse | None:
    """The page saying My Groups is off (tenant setting), or None when the person may use it."""
    decision = decide(request.user, MY_GROUPS_ACCESS)
    if decision.allowed:
        return None
    return render(request, "access_requests/my_groups_off.html", {"reason": decision.reason}, status=403)


def paginate(
    request: HttpRequest,
    items,
    param: str = "page",
    *,
    count: int | None = None,
    count_with_page: bool = False,
    cap: int | None = None,
) -> Page:
    """``count``: how many ``items`` there are, when a cheaper query than ``items.count()`` knows.
    ``count_with_page``: count them in the page's own query (``items`` a queryset; see CountingPaginator),
    where the count would repeat the page's costly part; not where the page stops early along an index
    and the count reads everything anyway. ``cap``: count at most that many (see CappedPaginator)."""
    if cap is not None:
        paginator = CappedPaginator(items, PAGE_SIZE, cap=cap)
    elif count_with_page:
        paginator = CountingPaginator(items, PAGE_SIZE)
    else:
        paginator = Paginator(items, PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached property: set before any page is asked for
    return paginator.get_page(request.GET.get(param))


def next_url(request: HttpRequest, default: str) -> str:
    """Where to go back after a POST: a same-site ``next`` path or the default.

    Only a path (``/...``): ``redirect`` would take anything else for a URL name and fail to reverse it.
    """
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def query_without(request: HttpRequest, param: str) -> str:
    """The current query string minus one parameter (for pagination links that keep the filters)."""
    params = request.GET.copy()
    params.pop(param, None)
    return params.urlencode()
