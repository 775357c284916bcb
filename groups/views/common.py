from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from groups.models import Group
from portal.authz import can

# (url name, label, action needed to see the tab)
TABS = [
    ("group_detail", "Overview", "standard/read"),
    ("group_members", "Members", "members/read"),
    ("group_owners", "Owners", "owners/read"),
    ("group_requests", "Requests", "requests/decide"),
    ("group_edit", "Settings", "basic/update"),
    ("group_rule", "Dynamic rule", "members/read"),
]


def tabs_for(actor, group: Group) -> list[tuple[str, str]]:
    # The rule tab for dynamic groups only; no join requests for them (their rule decides who is in).
    only = {"group_rule": group.is_dynamic, "group_requests": not group.is_dynamic}
    return [
        (name, label) for name, label, action in TABS if only.get(name, True) and can(actor, action, group)
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
