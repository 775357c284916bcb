from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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
