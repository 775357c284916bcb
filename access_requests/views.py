from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access_requests import selectors
from portal.authz import MY_GROUPS_ACCESS, decide


def _my_groups_closed(request: HttpRequest) -> HttpResponse | None:
    decision = decide(request.user, MY_GROUPS_ACCESS)
    if decision.allowed:
        return None
    return render(request, "access_requests/my_groups_off.html", {"reason": decision.reason}, status=403)


@login_required
def my_groups(request: HttpRequest) -> HttpResponse:
    if closed := _my_groups_closed(request):
        return closed
    return render(
        request,
        "access_requests/my_groups.html",
        {
            "owned": selectors.groups_owned_by(request.user),
            "member_of": selectors.groups_member_of(request.user),
        },
    )


@login_required
def discover(request: HttpRequest) -> HttpResponse:
    if closed := _my_groups_closed(request):
        return closed
    return render(
        request,
        "portal/empty_state.html",
        {"title": "Discover groups", "text": "Groups you can join will be listed here."},
    )


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    if closed := _my_groups_closed(request):
        return closed
    return render(
        request,
        "portal/empty_state.html",
        {"title": "My requests", "text": "Your requests to join groups will be listed here."},
    )


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/empty_state.html",
        {"title": "Approvals", "text": "Requests to join the groups you own will be listed here."},
    )


@login_required
def group_requests(request: HttpRequest, group_id) -> HttpResponse:
    from groups.views.common import get_group_for, render_tab

    group = get_group_for(request.user, group_id, "requests/decide")
    return render_tab(request, group, "group_requests", "groups/tab_placeholder.html")
