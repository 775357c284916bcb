from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from groups.models import Group
from portal.authz import authorize, can

# (url name, label, action needed to see the tab)
TABS = [
    ("group_detail", "Overview", "standard/read"),
    ("group_members", "Members", "members/read"),
    ("group_owners", "Owners", "owners/read"),
    ("group_requests", "Requests", "requests/decide"),
    ("group_edit", "Settings", "basic/update"),
    ("group_rule", "Dynamic rule", "members/read"),
]


def get_group_for(actor, group_id: UUID, action: str, *, include_deleted: bool = False) -> Group:
    """The one way a view reaches a group: scoped to the actor's tenant (404 for outsiders),
    then authorized (403 for insiders without the right)."""
    groups = Group.objects.for_tenant(actor.tenant).select_related("tenant")
    if not include_deleted:
        groups = groups.alive()
    group = get_object_or_404(groups, pk=group_id)
    authorize(actor, action, group)
    return group


def tabs_for(actor, group: Group) -> list[tuple[str, str]]:
    return [
        (name, label)
        for name, label, action in TABS
        if can(actor, action, group) and (name != "group_rule" or group.is_dynamic)
    ]


def render_tab(
    request: HttpRequest,
    group: Group,
    tab: str,
    template: str,
    context: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render one tab inside the group page frame (templates/groups/group_base.html)."""
    return render(
        request,
        template,
        {"group": group, "tabs": tabs_for(request.user, group), "current_tab": tab, **(context or {})},
        status=status,
    )
