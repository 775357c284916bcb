from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from access_requests.selectors import BADGE_CAP, approvals_count, approvals_scope
from groups.connections.authz import READ as CONNECTIONS_READ
from groups.connections.authz import ConnectionScope
from groups.forms import creatable_kinds
from portal import roles
from portal.authz import MY_GROUPS_ACCESS, actor_context, can


def _decides_requests(user, ctx) -> bool:
    """Approvals is for those who may decide something: administrators of requests, or owners of a
    group where the tenant lets owners manage requests."""
    scope = approvals_scope(user)
    return scope == "admin" or (scope == "owner" and bool(ctx.owned_group_ids))


def _manages_groups(ctx) -> bool:
    """Owners, and holders of a role scoped to a group, manage some groups on /groups/."""
    return bool(ctx.owned_group_ids) or any(g.scope_group_id is not None for g in ctx.grants)


def _admin_items(user, ctx) -> tuple[list, bool, bool]:
    """The administration part of the navigation, and whether guests may be invited and connections
    seen (the pages ask both again)."""
    items: list = []
    if ctx.is_group_admin or ctx.is_privileged:
        items.append(("Groups", reverse("group_list")))
    elif _manages_groups(ctx):
        items.append(("Groups I manage", reverse("group_list")))
    if can(user, roles.SETTINGS_READ):
        items.append(("Settings", reverse("group_settings")))
        items.append(("Licenses", reverse("license_list")))
    shows_users = can(user, roles.USERS_UPDATE) or ctx.is_group_admin
    may_invite_guests = can(user, roles.USERS_INVITE_GUEST)
    if shows_users:
        items.append(("Users", reverse("user_list")))
    elif may_invite_guests:
        # Those who see Users invite from there (the header keeps one row on a laptop screen).
        items.append(("Invite guests", reverse("invite_guest")))
    if ctx.has_tenant_permission(roles.USERS_READ):
        items.append(("Devices", reverse("device_list")))
    if can(user, roles.ROLES_READ):
        items.append(("Roles", reverse("role_list")))
    may_see_connections = can(user, CONNECTIONS_READ, ConnectionScope(user.tenant_id))
    if may_see_connections:
        items.append(("Connections", reverse("connection_list")))
    if can(user, roles.AUDIT_READ):
        items.append(("Audit", reverse("audit_log")))
    return items, may_invite_guests, may_see_connections


def navigation(request: HttpRequest) -> dict:
    """The navigation each person sees: only what their rights open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.tenant_id is None:
        return {
            "nav_items": [],
            "may_create_group": False,
            "may_see_connections": False,
            "may_invite_guests": False,
        }
    ctx = actor_context(user)
    items = []
    if can(user, MY_GROUPS_ACCESS):
        items += [
            ("My groups", reverse("my_groups")),
            ("Discover", reverse("discover")),
            ("My requests", reverse("my_requests")),
        ]
    approvals_url = reverse("approvals")
    if _decides_requests(user, ctx):
        items.append(("Approvals", approvals_url))
    admin_items, may_invite_guests, may_see_connections = _admin_items(user, ctx)
    items += admin_items
    # The current item is the longest URL the path starts with (/my/groups/discover/ is "Discover").
    matches = [url for _, url in items if request.path.startswith(url)]
    current = max(matches, key=len, default=None)
    return {
        "nav_items": [
            {
                "label": label,
                "url": url,
                "current": url == current,
                # The approvals count updates in place (htmx) after each decision.
                "badge_template": "access_requests/_approvals_badge.html" if url == approvals_url else "",
            }
            for label, url in items
        ],
        "approvals_count": lambda: approvals_count(user, cap=BADGE_CAP),
        # "New group" is offered only to those who may create some kind of group (asked when shown).
        "may_create_group": lambda: bool(creatable_kinds(user)),
        # The user page shows the external items a person reaches to those who manage connections.
        "may_see_connections": may_see_connections,
        "may_invite_guests": may_invite_guests,
    }
