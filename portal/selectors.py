"""Tenant-scoped reads of the portal: users, their groups and requests, and the audit log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from portal.filters import AuditEventFilter, UserFilter
from portal.models import AuditEvent, Tenant, User

TYPEAHEAD_LIMIT = 10
USER_LIST_FIELDS = (
    "id",
    "tenant_id",
    "display_name",
    "user_principal_name",
    "department",
    "country",
    "user_type",
    "source",
    "account_enabled",
    "deleted_date_time",
)


def users_filtered(tenant: Tenant, params) -> UserFilter:
    # The list shows a handful of columns: sorting narrow rows is several times faster than whole users.
    queryset = (
        User.objects.for_tenant(tenant)
        .only(*USER_LIST_FIELDS)
        .order_by("display_name", "user_principal_name")
    )
    return UserFilter(params, queryset=queryset)


def user_facets(tenant: Tenant) -> dict[str, list[str]]:
    """The departments and countries in use, for the filter's suggestions (one query each)."""
    users = User.objects.for_tenant(tenant).filter(deleted_date_time__isnull=True)
    return {
        name: list(
            users.exclude(**{f"{name}__isnull": True})
            .exclude(**{name: ""})
            .order_by(name)
            .values_list(name, flat=True)
            .distinct()[:500]
        )
        for name in ("department", "country")
    }


def user_for(tenant: Tenant, user_id, *, include_deleted: bool = True) -> QuerySet[User]:
    queryset = User.objects.for_tenant(tenant).select_related("manager")
    if not include_deleted:
        queryset = queryset.filter(deleted_date_time__isnull=True)
    return queryset.filter(pk=user_id)


def users_search(
    tenant: Tenant, text: str, *, limit: int = TYPEAHEAD_LIMIT, include_guests: bool = True
) -> list[User]:
    """The typeahead: enabled, not deleted users whose name, UPN or mail starts with or contains ``text``."""
    text = text.strip()
    if not text:
        return []
    queryset = User.objects.for_tenant(tenant).filter(account_enabled=True, deleted_date_time__isnull=True)
    if not include_guests:
        queryset = queryset.exclude(user_type="Guest")
    return list(
        queryset.filter(
            Q(display_name__icontains=text) | Q(user_principal_name__icontains=text) | Q(mail__icontains=text)
        ).order_by("display_name")[:limit]
    )


def user_groups(user: User) -> list:
    """Groups the user is in, directly or through nesting (alive only), each marked ``direct``."""
    from django.db.models import Count

    from groups.models import Group
    from groups.selectors import transitive_group_ids

    all_ids = transitive_group_ids(user)
    groups = list(
        Group.objects.for_tenant(user.tenant)
        .alive()
        .filter(id__in=all_ids)
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("display_name")
    )
    direct = set(user.memberships.values_list("group_id", flat=True))
    for group in groups:
        group.direct = group.id in direct
    return groups


def user_owned_groups(user: User) -> QuerySet:
    from groups.models import Group

    return Group.objects.for_tenant(user.tenant).alive().owned_by(user).order_by("display_name")


def user_requests(user: User, limit: int = 50) -> QuerySet:
    from access_requests.models import JoinRequest

    return (
        JoinRequest.objects.for_tenant(user.tenant)
        .filter(requester=user)
        .select_related("group", "decided_by")
        .order_by("-created_date_time")[:limit]
    )


# --- audit --------------------------------------------------------------------------------------


def audit_events(tenant: Tenant, params) -> AuditEventFilter:
    return AuditEventFilter(params, queryset=AuditEvent.objects.for_tenant(tenant))


def audit_activities(tenant: Tenant) -> list[str]:
    return list(
        AuditEvent.objects.for_tenant(tenant)
        .order_by("activity")
        .values_list("activity", flat=True)
        .distinct()
    )


@dataclass
class DiffRow:
    key: str
    before: str
    after: str
    changed: bool


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def audit_diff(event: AuditEvent) -> list[DiffRow]:
    """Before and after side by side, one row per property, changed ones marked."""
    before = (
        event.before
        if isinstance(event.before, dict)
        else ({} if event.before is None else {"value": event.before})
    )
    after = (
        event.after
        if isinstance(event.after, dict)
        else ({} if event.after is None else {"value": event.after})
    )
    keys = list(dict.fromkeys([*before, *after]))
    return [
        DiffRow(
            key=key,
            before=_show(before.get(key)) if key in before else "",
            after=_show(after.get(key)) if key in after else "",
            changed=before.get(key) != after.get(key) and key in before and key in after,
        )
        for key in keys
    ]


# --- typeahead over directory objects ------------------------------------------------------------


@dataclass
class DirectoryHit:
    kind: str  # user, group, device, servicePrincipal
    id: Any
    name: str
    detail: str

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


KIND_LABELS = {"user": "User", "group": "Group", "device": "Device", "servicePrincipal": "Service principal"}


def directory_search(
    tenant: Tenant,
    text: str,
    kinds: tuple[str, ...] = ("user",),
    *,
    limit: int = TYPEAHEAD_LIMIT,
    exclude_group=None,
) -> list[DirectoryHit]:
    """Objects of the tenant matching ``text``, at most ``limit`` of each kind asked for."""
    from groups.models import Group
    from portal.models import Device, ServicePrincipal

    text = text.strip()[:100]
    if not text:
        return []
    hits: list[DirectoryHit] = []
    if "user" in kinds:
        hits += [
            DirectoryHit(
                "user", u.pk, u.display_name, u.user_principal_name + (" · Guest" if u.is_guest else "")
            )
            for u in users_search(tenant, text, limit=limit)
        ]
    if "group" in kinds:
        groups = (
            Group.objects.for_tenant(tenant)
            .alive()
            .filter(Q(display_name__icontains=text) | Q(mail_nickname__icontains=text))
        )
        if exclude_group is not None:
            groups = groups.exclude(pk=exclude_group.pk)
        hits += [
            DirectoryHit("group", g.pk, g.display_name, g.get_kind_display() + " group")
            for g in groups.order_by("display_name")[:limit]
        ]
    if "device" in kinds:
        devices = (
            Device.objects.for_tenant(tenant).filter(display_name__icontains=text).order_by("display_name")
        )
        hits += [
            DirectoryHit("device", d.pk, d.display_name, d.operating_system or "Device")
            for d in devices[:limit]
        ]
    if "servicePrincipal" in kinds:
        sps = (
            ServicePrincipal.objects.for_tenant(tenant)
            .filter(display_name__icontains=text)
            .order_by("display_name")
        )
        hits += [
            DirectoryHit("servicePrincipal", s.pk, s.display_name, "Service principal") for s in sps[:limit]
        ]
    return hits


def directory_object(tenant: Tenant, value: str):
    """The object named by a typeahead value ``kind:id`` (or a bare userPrincipalName), or None."""
    import uuid

    from groups.models import Group
    from portal.models import Device, ServicePrincipal

    value = (value or "").strip()
    if ":" not in value:
        if "@" in value:
            return (
                User.objects.for_tenant(tenant)
                .filter(user_principal_name__iexact=value, deleted_date_time__isnull=True)
                .first()
            )
        return None
    kind, _, raw_id = value.partition(":")
    try:
        pk = uuid.UUID(raw_id)
    except ValueError:
        return None
    model = {"user": User, "group": Group, "device": Device, "servicePrincipal": ServicePrincipal}.get(kind)
    if model is None:
        return None
    queryset = model.objects.for_tenant(tenant)
    if model is Group:
        queryset = queryset.alive()
    if model is User:
        queryset = queryset.filter(deleted_date_time__isnull=True)
    return queryset.filter(pk=pk).first()
