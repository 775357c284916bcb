"""``$expand``: members, owners and memberOf of a group; manager and memberOf of a user.

As in Graph, an expanded collection holds at most 20 objects (``EXPAND_LIMIT``), each typed
(``@odata.type``), with the nested ``$select`` if one was given. Nothing the caller may not read is
expanded: a group's members only when the caller may list them, memberOf only the groups whose
members the caller may read, a manager only as far as the directory read policy lets the caller
read them (their properties otherwise null, as everywhere).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from groups.models import Group
from portal.authz import can, user_read_access
from portal.models import Device, ServicePrincipal, User
from portal.site.api.options import EXPAND_LIMIT, Expand
from portal.site.api.serializers import restrict_user, select, to_json


def _typed(request: HttpRequest, obj: Any, selected: list[str] | None) -> dict[str, Any]:
    data = to_json(obj, typed=True, selected=selected)
    if isinstance(obj, User):
        data = restrict_user(data, user_read_access(request.actor, obj))
    return select(data, selected)


def _members(group: Group) -> list[Any]:
    tenant = group.tenant_id
    found: list[Any] = []
    for model, related in (
        (User, "memberships__group"),
        (Group, "member_of__group"),
        (Device, "memberships__group"),
        (ServicePrincipal, "memberships__group"),
    ):
        objects = model.objects.filter(tenant_id=tenant, **{related: group})
        if model in (User, Group):
            objects = objects.filter(deleted_date_time__isnull=True)
        found.extend(objects.order_by("id")[: EXPAND_LIMIT - len(found)])
        if len(found) >= EXPAND_LIMIT:
            break
    return found


def _member_of(request: HttpRequest, obj: Any) -> list[Group]:
    column = "member_user" if isinstance(obj, User) else "member_group"
    groups = (
        Group.objects.filter(tenant_id=obj.tenant_id, **{f"memberships__{column}": obj})
        .alive()
        .select_related("tenant")
        .order_by("id")
    )
    return [g for g in groups if can(request.actor, "members/read", g)][:EXPAND_LIMIT]


def _related(request: HttpRequest, obj: Any, name: str) -> Any:
    """The expanded value, or ``None`` when the caller may not see it (the key is then left out)."""
    if name == "memberOf":
        return _member_of(request, obj)
    if name == "members":
        return _members(obj) if can(request.actor, "members/read", obj) else None
    if name == "owners":
        if not can(request.actor, "owners/read", obj):
            return None
        owners = User.objects.filter(ownerships__group=obj, deleted_date_time__isnull=True)
        return list(owners.order_by("id")[:EXPAND_LIMIT])
    manager = obj.manager
    if (
        manager is None
        or manager.deleted_date_time is not None
        or not user_read_access(request.actor, manager)
    ):
        return None
    return manager


def expanded(request: HttpRequest, obj: Any, expands: list[Expand]) -> dict[str, Any]:
    """The expanded navigation properties of ``obj``, to add to its JSON."""
    data: dict[str, Any] = {}
    for expand in expands:
        value = _related(request, obj, expand.name)
        if value is None:
            continue
        if isinstance(value, list):
            data[expand.name] = [_typed(request, item, expand.select) for item in value]
        else:
            data[expand.name] = _typed(request, value, expand.select)
    return data
