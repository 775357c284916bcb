"""A group's own guest setting (Graph's Group.Unified.Guest settings object: AllowToAddGuests)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from groups.models import Group
from portal.audit import audit_record
from portal.authz import authorize
from portal.errors import Conflict, NotFound


def _snapshot(group: Group) -> dict[str, Any]:
    return {
        "guestSettingId": str(group.guest_setting_id) if group.guest_setting_id else None,
        "allowToAddGuests": group.allows_guests,
    }


def _locked(group: Group) -> Group:
    try:
        return Group.objects.select_for_update().select_related("tenant").get(pk=group.pk)
    except Group.DoesNotExist:
        raise NotFound("This group no longer exists: it was deleted permanently.") from None


def _activity(existed: Any, allow: bool | None) -> str:
    if allow is None:
        return "Delete group settings"
    return "Update group settings" if existed else "Add group settings"


@transaction.atomic
def group_guest_setting_set(
    *, actor: Any, group: Group, allow_to_add_guests: bool | None, create: bool = False
) -> Group:
    """Create (``create``), change or, with ``allow_to_add_guests=None``, delete the group's guest
    settings object. Whoever updates all of the group's properties may (its owners, group administrators).
    One audit event."""
    group = _locked(group)
    authorize(actor, "allProperties/update", group)
    if create and group.guest_setting_id is not None:
        raise Conflict(
            "A conflicting object with one or more of the specified property values is present in the directory."
        )
    before = _snapshot(group)
    if allow_to_add_guests is None:
        group.guest_setting_id, group.allow_to_add_guests = None, True
    else:
        group.guest_setting_id = group.guest_setting_id or uuid.uuid4()
        group.allow_to_add_guests = allow_to_add_guests
    group.save(update_fields=["guest_setting_id", "allow_to_add_guests"])
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity=_activity(before["guestSettingId"], allow_to_add_guests),
        target=group,
        before=before,
        after=_snapshot(group),
    )
    return group
