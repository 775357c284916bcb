from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from access_requests import selectors
from access_requests.filters import MyGroupsFilter
from access_requests.views.common import my_groups_closed, paginate, query_without


@require_GET
@login_required
@vary_on_headers("HX-Request")
def my_groups(request: HttpRequest) -> HttpResponse:
    if closed := my_groups_closed(request):
        return closed
    found = MyGroupsFilter(request.GET, queryset=selectors.groups_owned_by(request.user))
    owned = found.qs  # validates the form once; the same filters then apply to the second list
    member_of = found.filter_queryset(selectors.groups_member_of(request.user))
    context = {
        "filter": found,
        "owned": paginate(request, owned, "owned_page", count_with_page=True),
        "member_of": paginate(request, member_of, "page", count_with_page=True),
        "owned_query": query_without(request, "owned_page"),
        "member_query": query_without(request, "page"),
    }
    template = "access_requests/my_groups.html"
    return render(request, f"{template}#results" if request.htmx else template, context)


# Discover counts at most this many groups and then says "more than 1,000" (and pages on: see
# CappedPaginator): in a large tenant a member may discover ~9,000 groups, and counting them all cost more
# than the page. /users/ and /audit/ stop counting at 10,000.
DISCOVER_COUNT_CAP = 1_000

# What the action box of each row (_group_action.html) shows after an action, which a list has none of:
# named once for the page, as a name the template can't find costs each row more than the rest of the box
# (Django's templates raise and catch three exceptions per missing name).
LIST_ACTION_BOX = {"done": None, "error": None, "request_form": None, "focus": False}


@require_GET
@login_required
@vary_on_headers("HX-Request")
def discover(request: HttpRequest) -> HttpResponse:
    if closed := my_groups_closed(request):
        return closed
    found = MyGroupsFilter(request.GET, queryset=selectors.discoverable_groups(request.user))
    page = paginate(request, found.qs, cap=DISCOVER_COUNT_CAP)
    for group in page:
        group.self_service = selectors.self_service(
            request.user, group, pending_request_id=group.pending_request_id
        )
        group.members_hidden = selectors.members_hidden_from(request.user, group)
    context = {"filter": found, "page": page, "query": query_without(request, "page"), **LIST_ACTION_BOX}
    template = "access_requests/discover.html"
    return render(request, f"{template}#results" if request.htmx else template, context)
