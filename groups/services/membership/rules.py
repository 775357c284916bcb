"""The one writer's dynamic-membership writes (see ``groups.services.membership``), the rule as the
actor: a group's recomputation in committed batches, and the per-object re-evaluation after a change
of attributes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from groups.models import Group, Membership, MembershipSource
from groups.services import rule_sql
from groups.services.invariants import member_field, member_kind, name_of
from groups.services.member_counts import recount
from groups.services.membership.consequences import Change, _after
from groups.services.rule_events import ADD, REMOVE, RULE_ACTOR, RuleGroup, rule_event
from portal.audit import audit_record, current_request_id
from portal.models import AuditEvent, Tenant

RECOMPUTE = "Update dynamic group membership"


def rule_members_apply(
    *,
    group: Group,
    kind_field: str,
    adds: list,
    stale_membership_ids: list,
    batch: int,
    progress: Callable[[int, int], None],
    describe: Callable[[list, list, int], dict],
    reason: str,
    settle: bool = False,
) -> tuple[int, int]:
    """A dynamic group's recomputation: remove ``stale_membership_ids`` and add the objects ``adds`` (ids
    of users or devices) in batches. Each batch is one transaction holding its writes, the group's stored
    count and ONE audit event of what that batch changed (``describe(added ids, removed member ids,
    removed count)``, plus the batch's number): a worker killed between two batches leaves only whole,
    audited batches, and the next run (diff-based) does the rest. Only rows this run actually changed are
    counted and audited (someone else's add or remove meanwhile is theirs). Licences and reactions follow
    once at the end, also when ``settle`` (a run that takes over from a lost one) finds nothing left to
    change. Returns (added, removed)."""
    work = [(False, pk) for pk in stale_membership_ids] + [(True, pk) for pk in adds]
    number, added, removed = 0, 0, 0
    for start in range(0, len(work), batch):
        chunk = work[start : start + batch]
        with transaction.atomic():
            gone, count = _delete_rule_rows(kind_field, [pk for adding, pk in chunk if not adding])
            ids = _insert_rule_rows(group, kind_field, [pk for adding, pk in chunk if adding])
            if ids or count:
                number += 1
                recount([group.pk])
                audit_record(
                    tenant=group.tenant,
                    actor=RULE_ACTOR,
                    activity=RECOMPUTE,
                    target=group,
                    after=describe(ids, gone, count) | {"batch": number},
                    reason=reason,
                )
            added, removed = added + len(ids), removed + count
            progress(start + len(chunk), len(work))
    if added or removed or settle:
        _after(Change(group.tenant, frozenset([group.pk]), by_rule=True, counted=True))
    return added, removed


def _delete_rule_rows(kind_field: str, membership_ids: list) -> tuple[list, int]:
    """Delete these memberships (those still there, locked first): (member ids of the kind, rows deleted)."""
    if not membership_ids:
        return [], 0
    rows = list(
        Membership.objects.select_for_update()
        .filter(pk__in=membership_ids)
        .values_list("pk", f"{kind_field}_id")
    )
    Membership.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    return [member for _, member in rows if member is not None], len(rows)


def _insert_rule_rows(group: Group, kind_field: str, member_ids: list) -> list:
    """Insert rule memberships of these users or devices: the ids actually inserted (not already there)."""
    if not member_ids:
        return []
    now = timezone.now()
    if connection.vendor == "postgresql" and kind_field in rule_sql.MEMBER_COLUMNS:
        with connection.cursor() as cursor:
            cursor.execute(
                rule_sql.insert_members(kind_field), [group.pk, MembershipSource.RULE, now, list(member_ids)]
            )
            return [member for (member,) in cursor.fetchall()]
    column = f"{kind_field}_id"
    present = set(
        Membership.objects.filter(group=group, **{f"{column}__in": member_ids}).values_list(column, flat=True)
    )
    new = [pk for pk in member_ids if pk not in present]
    Membership.objects.bulk_create(
        [
            Membership(group=group, source=MembershipSource.RULE, created_date_time=now, **{column: pk})
            for pk in new
        ],
        ignore_conflicts=True,
    )
    return new


def rule_object_apply(
    *,
    tenant: Tenant,
    changes: Iterable[tuple[Any, set, set]],
    groups: Mapping[Any, RuleGroup],
    licensed: bool | None = None,
) -> int:
    """Per-object re-evaluation: for each (user or device, group ids to join, to leave), write the difference
    with one audit event per membership changed (on PostgreSQL all in one statement: ``rule_sql``).
    ``licensed``: whether the tenant has group licences, if just read. Returns the number of changes."""
    changes = [(obj, adds, removes) for obj, adds, removes in changes if adds or removes]
    by_field: dict[str, list] = {}
    for change in changes:
        by_field.setdefault(member_field(change[0]), []).append(change)
    written: list = []
    recounted: list = []  # written through the ORM: counted after (``rule_sql`` keeps its counts itself)
    for kind_field, some in by_field.items():
        if connection.vendor == "postgresql" and kind_field in rule_sql.MEMBER_COLUMNS:
            written += _rule_write_sql(tenant, kind_field, some)
        else:
            recounted += _rule_write_orm(tenant, kind_field, some, groups)
    written += recounted
    if written:
        recount(recounted)
        members = tuple(obj for obj, _, _ in changes)
        _after(Change(tenant, frozenset(written), members, by_rule=True, licensed=licensed, counted=True))
    return len(written)


def _rule_write_sql(tenant: Tenant, field: str, changes: list) -> list:
    """One statement; returns the group id of each membership changed. The groups' names and rules in
    the audit rows come from their rows (which the statement updates anyway): not sent."""
    members = {obj.pk: (name_of(obj), member_kind(obj)) for obj, _, _ in changes}
    params = rule_sql.parameters(changes, members) | {
        "tenant": tenant.pk,
        "now": timezone.now(),
        "source": MembershipSource.RULE,
        "add": ADD,
        "remove": REMOVE,
        "actor": RULE_ACTOR,
        "request_id": current_request_id.get() or "",
    }
    with connection.cursor() as cursor:
        cursor.execute(rule_sql.statement(field), params)
        return [uuid.UUID(target_id) for (target_id,) in cursor.fetchall()]


def _rule_write_orm(tenant: Tenant, field: str, changes: list, groups: Mapping[Any, RuleGroup]) -> list:
    """The same on the other databases: one DELETE and one INSERT per object, one audit INSERT."""
    events: list[AuditEvent] = []
    written = []
    for obj, adds, removes in changes:
        if removes:
            Membership.objects.filter(group_id__in=removes, **{field: obj}).delete()
        if adds:
            Membership.objects.bulk_create(
                [Membership(group_id=g, source=MembershipSource.RULE, **{field: obj}) for g in adds],
                ignore_conflicts=True,
            )
        for group_id in sorted(adds | removes, key=str):
            events.append(rule_event(tenant, groups[group_id], obj, added=group_id in adds))
            written.append(group_id)
    AuditEvent.objects.bulk_create(events)
    return written
