from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from groups.filters import SORTS, GroupFilter
from groups.forms import creatable_kinds
from groups.selectors import groups_for_admin_list
from portal.authz import NAMING_POLICY_EXEMPT, can

PAGE_SIZE = 25


def sort_columns(request: HttpRequest, current: str) -> dict[str, dict]:
    """Each sortable column's link: the same filters, the other direction when it is the current sort."""
    columns = []
    for value, label, _ in SORTS:
        params = request.GET.copy()
        params.pop("page", None)
        ascending = current == value
        params["o"] = f"-{value}" if ascending else value
        columns.append(
            {
                "key": value,
                "label": label,
                "url": f"?{params.urlencode()}",
                "aria_sort": "ascending" if ascending else "descending" if current == f"-{value}" else "none",
            }
        )
    return {c["key"]: c for c in columns}


@login_required
@vary_on_headers("HX-Request")
def group_list(request: HttpRequest) -> HttpResponse:
    groups = groups_for_admin_list(request.user)
    if groups is None:
        raise PermissionDenied("Only administrators and group owners list groups here. See My groups.")
    filters = GroupFilter(
        request.GET or None,
        queryset=groups,
        classifications=request.user.tenant.group_settings.classifications,
    )
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for group in page:
        group.may_restore = filters.showing_deleted and can(request.user, "restore", group)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "filters": filters,
        "page": page,
        "deleted_view": filters.showing_deleted,
        "columns": sort_columns(request, request.GET.get("o", "")),
        "query": params.urlencode(),
        "retention_days": settings.GROUPDESK_DELETED_GROUP_RETENTION_DAYS,
        "may_create": bool(creatable_kinds(request.user)) and can(request.user, NAMING_POLICY_EXEMPT),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    return render(request, "groups/list.html#results" if partial else "groups/list.html", context)
