"""Recomputing a dynamic group: its whole rule evaluated in the database (one query, the Q compiler),
the difference applied in batches through the membership writer, progress reported on the group.

A run holds the group's lease (``groups.dynamic.lease``) from before it marks the group "running" until
after it marks it finished. Each batch commits with its own audit event, so a worker killed in the middle
leaves whole, audited batches and a group "running" whose lease is free; ``requeue_stalled`` (a periodic
job, and at every ``db_worker``'s start) queues it again, and the new run, diff-based, does the rest.

It runs as background work (``recompute_group_task``, through the django_tasks API): the immediate
backend (default) runs it at once, in the caller's transaction; with TASKS_BACKEND=database,
``manage.py db_worker`` processes run it. The rule services (groups.dynamic.services) schedule it.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from groups.dynamic import lease
from groups.dynamic.compiler import queryset_for
from groups.models import Group, Membership, ProcessingState, ProcessingStatus
from groups.rules import parse
from groups.rules.ast import Rule
from groups.services import membership
from portal.models import Device, User

logger = logging.getLogger(__name__)

BATCH = 5000
AUDIT_NAMES_LIMIT = 1000  # names listed in a recompute's summary event; counts are always complete


def kind_field(kind: str) -> str:
    return "member_device" if kind == "device" else "member_user"


def _rule_reason(group: Group) -> str:
    return f"Dynamic membership rule of “{group.display_name}”: {group.membership_rule}"


def schedule_recompute(group: Group) -> None:
    """Queue the recomputation (immediate backend: it runs now, inside the caller's transaction)."""
    Group.objects.filter(pk=group.pk).update(
        processing_status=ProcessingStatus.NOT_STARTED, processing_progress=0, processing_error=""
    )
    recompute_group_task.enqueue(str(group.pk))


@dataclass
class RecomputeResult:
    added: int = 0
    removed: int = 0
    skipped: str = ""


def recompute_group(group_id: uuid.UUID | str, *, settle: bool = False) -> RecomputeResult:
    """Make the group's members exactly what its rule selects, reporting progress on the group.
    ``settle``: this run takes over from a lost one (licences and reactions follow even if nothing is
    left to change)."""
    with lease.held(group_id):
        return _recompute(group_id, settle=settle)


def _recompute(group_id: uuid.UUID | str, *, settle: bool) -> RecomputeResult:
    group = Group.objects.select_related("tenant").filter(pk=group_id).first()
    if group is None or not group.is_dynamic or group.is_deleted:
        return RecomputeResult(skipped="not a live dynamic group")
    if group.membership_rule_processing_state == ProcessingState.PAUSED:
        return RecomputeResult(skipped="paused")
    started = timezone.now()
    Group.objects.filter(pk=group.pk).update(
        processing_status=ProcessingStatus.RUNNING,
        processing_progress=0,
        processing_started=started,
        processing_finished=None,
        processing_error="",
    )
    try:
        result = _apply(group, settle=settle)
    except Exception as exc:  # a failure is reported on the group, never lost
        logger.exception("recomputing group %s failed", group.pk)
        Group.objects.filter(pk=group.pk).update(
            processing_status=ProcessingStatus.FAILED,
            processing_error=str(exc)[:1000],
            processing_finished=timezone.now(),
        )
        raise
    Group.objects.filter(pk=group.pk).update(
        processing_status=ProcessingStatus.SUCCEEDED,
        processing_progress=100,
        processing_added=result.added,
        processing_removed=result.removed,
        processing_finished=timezone.now(),
    )
    return result


def _apply(group: Group, *, settle: bool) -> RecomputeResult:
    rule = parse(group.membership_rule)
    field = kind_field(rule.kind)
    target = set(queryset_for(rule, group.tenant).values_list("pk", flat=True))
    current_rows = list(Membership.objects.filter(group=group).values_list("pk", f"{field}_id"))
    current = {member for _, member in current_rows if member is not None}
    # Any member of another kind (left from an older rule) leaves too.
    stale_rows = [pk for pk, member in current_rows if member is None or member not in target]
    adds = sorted(target - current, key=str)
    added, removed = membership.rule_members_apply(
        group=group,
        kind_field=field,
        adds=adds,
        stale_membership_ids=stale_rows,
        batch=BATCH,
        progress=lambda done, total: _progress(group, done, total),
        describe=lambda added, gone, count: _summary(rule, added, gone, count),
        reason=_rule_reason(group),
        settle=settle,
    )
    return RecomputeResult(added=added, removed=removed)


def _progress(group: Group, done: int, total: int) -> None:
    Group.objects.filter(pk=group.pk).update(processing_progress=min(99, math.floor(done * 100 / total)))


def _summary(rule: Rule, adds: list, removed_ids: list, removed: int) -> dict:
    """A recompute batch's audit event: counts, and the first names of who joined and left."""
    model = Device if rule.kind == "device" else User
    names = "user_principal_name" if model is User else "display_name"

    def listed(ids) -> list[str]:
        ids = list(ids)[:AUDIT_NAMES_LIMIT]
        return sorted(model.objects.filter(pk__in=ids).values_list(names, flat=True))

    return {
        "added": len(adds),
        "removed": removed,
        "addedMembers": listed(adds),
        "removedMembers": listed(removed_ids),
        # Every id that left (the API's groups/delta reports them in members@delta).
        "removedIds": sorted(str(pk) for pk in removed_ids),
    }


@task()
def recompute_group_task(group_id: str, settle: bool = False) -> dict:
    result = recompute_group(group_id, settle=settle)
    return {"added": result.added, "removed": result.removed, "skipped": result.skipped}


def requeue_stalled(*, now: datetime) -> int:
    """Queue again every group left "running" by a lost worker (its lease is free; see
    ``groups.dynamic.lease``). A periodic job; ``db_worker`` also runs it when it starts."""
    count = 0
    running = Group.objects.filter(processing_status=ProcessingStatus.RUNNING)
    for group_id, started in running.values_list("pk", "processing_started"):
        with lease.probe(group_id, started=started, now=now) as lost:
            # Re-read inside: no run of this group can start or finish while the probe holds the lease.
            if not lost or not running.filter(pk=group_id, processing_started=started).update(
                processing_status=ProcessingStatus.NOT_STARTED,
                processing_error="Its worker stopped in the middle: queued again.",
            ):
                continue
        logger.warning("group %s: its recomputation lost its worker; queued again", group_id)
        _fail_lost_task_results(group_id)
        recompute_group_task.enqueue(str(group_id), settle=True)
        count += 1
    return count


class WorkerLost(Exception):
    """What a lost worker's task result says (django-tasks-db leaves it "running" for ever)."""


def _fail_lost_task_results(group_id) -> None:
    """Mark the database backend's results of the lost run failed, so no task stays "running"."""
    lost = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING,
        task_path__endswith=".recompute_group_task",
        args_kwargs__args__0=str(group_id),
    )
    for result in lost:
        result.set_failed(WorkerLost("Its worker stopped in the middle; the group was queued again."))
