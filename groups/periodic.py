"""Periodic work on groups: expiry and the purge of long-deleted groups (see portal.site.periodic)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from groups.licensing.services import licenses_after_group_change
from groups.models import Group
from groups.services import group_snapshot, membership
from portal.audit import audit_record
from portal.services import SYSTEM


def expire_groups(*, now: datetime) -> int:
    """Soft-delete groups whose expiration time has passed (restorable like any deleted group)."""
    count = 0
    expired = Group.objects.alive().filter(expiration_date_time__lte=now).select_related("tenant")
    for group in expired.iterator():
        with transaction.atomic():
            locked = Group.objects.select_for_update().filter(pk=group.pk, deleted_date_time__isnull=True)
            if not locked.update(deleted_date_time=now):
                continue
            audit_record(
                tenant=group.tenant,
                actor=SYSTEM,
                activity="Delete group",
                target=group,
                before=group_snapshot(group),
                reason="Expired under the group expiration policy",
            )
            group.deleted_date_time = now
            licenses_after_group_change(group)
            count += 1
    return count


def purge_deleted_groups(*, now: datetime) -> int:
    """Permanently delete groups soft-deleted more than the retention period ago."""
    cutoff = now - timedelta(days=settings.GROUPDESK_DELETED_GROUP_RETENTION_DAYS)
    count = 0
    for group in (
        Group.objects.deleted().filter(deleted_date_time__lte=cutoff).select_related("tenant").iterator()
    ):
        with transaction.atomic():
            audit_record(
                tenant=group.tenant,
                actor=SYSTEM,
                activity="Hard delete group",
                target=group,
                before=group_snapshot(group),
                reason="Retention period of deleted groups ended",
            )
            membership.group_leaves_all(group)
            group.delete()
            count += 1
    return count
