from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from groups.views.common import get_group_for, render_tab


@login_required
def group_detail(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "standard/read")
    return render_tab(request, group, "group_detail", "groups/overview.html")
