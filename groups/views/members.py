from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from groups.views.common import get_group_for, render_tab


@login_required
def group_members(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "members/read")
    return render_tab(request, group, "group_members", "groups/tab_placeholder.html")


@login_required
def group_owners(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "owners/read")
    return render_tab(request, group, "group_owners", "groups/tab_placeholder.html")
