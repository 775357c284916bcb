"""The overview tab: the group page every user of the tenant sees (the end-user group page).

It lives with the requests: its "Your membership" box joins, requests and leaves, and counts the
requests waiting for the viewer's decision. Wired under /groups/ by ``access_requests.group_urls``.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from access_requests.forms import JoinRequestForm
from access_requests.selectors import group_overview
from groups.models import Group
from groups.selectors import get_group_for
from groups.views.common import render_tab


def render_overview(
    request: HttpRequest, group: Group, *, request_form=None, status: int = 200
) -> HttpResponse:
    context = {
        "overview": group_overview(request.user, group),
        "request_form": request_form or JoinRequestForm(),
        "next": request.path if request.method == "GET" else "",
    }
    return render_tab(request, group, "group_detail", "groups/overview.html", context, status=status)


@require_GET
@login_required
def group_detail(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "standard/read")
    return render_overview(request, group)
