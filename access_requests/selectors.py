"""Tenant-scoped reads for the My Groups pages."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from groups.models import Group
from groups.selectors import transitive_group_ids


def groups_owned_by(user) -> QuerySet[Group]:
    return (
        Group.objects.for_tenant(user.tenant)
        .alive()
        .owned_by(user)
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("display_name")
    )


def groups_member_of(user) -> list[Group]:
    """Groups the user is in, directly or through nesting; each marked ``direct`` or not."""
    all_ids = transitive_group_ids(user)
    groups = list(
        Group.objects.for_tenant(user.tenant)
        .alive()
        .filter(id__in=all_ids)
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("display_name")
    )
    direct = set(user.memberships.filter(group_id__in=all_ids).values_list("group_id", flat=True))
    for group in groups:
        group.direct = group.id in direct
    return groups
