"""The admin summary on a group's overview tab (templates/groups/_admin_summary.html)."""

from __future__ import annotations

from django import template
from django.db.models import Count, Q

from groups.licensing.selectors import group_licensing
from groups.models import Group, Membership
from portal import roles
from portal.authz import actor_context, can

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_summary(context: template.Context, group: Group) -> dict | None:
    """Counts, creator, expiration and source for the group's owners and administrators; None for
    everyone else (and then no query is made)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.tenant_id != group.tenant_id:
        return None
    may_renew = can(user, "renew", group)
    if not (may_renew or actor_context(user).is_group_admin):
        return None
    counts = Membership.objects.filter(group=group).aggregate(
        users=Count("pk", filter=Q(member_user__isnull=False)),
        groups=Count("pk", filter=Q(member_group__isnull=False)),
        devices=Count("pk", filter=Q(member_device__isnull=False)),
        apps=Count("pk", filter=Q(member_service_principal__isnull=False)),
    )
    row = (
        Group.objects.filter(pk=group.pk)
        .annotate(owner_count=Count("ownerships", distinct=True))
        .values("owner_count", "created_by__display_name", "created_by__user_principal_name")
        .first()
    )
    return {
        "members": counts,
        "member_total": sum(counts.values()),
        "owner_count": row["owner_count"] if row else 0,
        "created_by": (row or {}).get("created_by__display_name") or "",
        "created_by_upn": (row or {}).get("created_by__user_principal_name") or "",
        "may_renew": may_renew and group.expiration_date_time is not None,
        "licensing": (licensing := group_licensing(group)),
        "may_license": licensing is not None and can(user, roles.SETTINGS_UPDATE),
    }
