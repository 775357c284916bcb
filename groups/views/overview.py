from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from groups.views.common import get_group_for, render_tab
from portal.authz import actor_context


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    ctx = actor_context(request.user)
    if not (ctx.is_group_admin or ctx.is_privileged):
        raise PermissionDenied("Only administrators see every group of the organization.")
    return render(
        request,
        "portal/empty_state.html",
        {"title": "Groups", "text": "Every group of your organization will be listed here."},
    )


@login_required
def group_new(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/empty_state.html", {"title": "New group", "text": "Create a group here."})


@login_required
def group_detail(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "standard/read")
    return render_tab(request, group, "group_detail", "groups/overview.html")
