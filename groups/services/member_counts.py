"""Stored member counts (``Group.member_count``), kept by the one membership writer in the transaction of
every write (``groups/services/membership/``) and checked by ``check_consistency``."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from groups.models import Group, Membership


def recount(group_ids: Iterable) -> None:
    """Store the groups' direct member counts. The rows are locked first (in one order: no deadlock)
    and counted by a later statement, whose snapshot sees every write committed before the lock was
    granted: two writers adding to one group at once both count."""
    ids = sorted(group_ids, key=str)
    if not ids:
        return
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            recount(ids)
        return
    counted = Membership.objects.filter(group=OuterRef("pk")).order_by().values("group")
    counted = counted.annotate(n=Count("*")).values("n")
    if connection.vendor != "sqlite":  # SQLite writes one transaction at a time: nothing to wait for
        list(Group.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    Group.objects.filter(pk__in=ids).update(member_count=Coalesce(Subquery(counted), 0))
