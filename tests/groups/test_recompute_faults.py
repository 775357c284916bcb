"""A worker killed in the middle of a dynamic group's recomputation (README, "Faults"): the batches it
committed are whole and audited, the group is queued again by itself (at a ``db_worker``'s start, and by
the periodic job), and the next run completes it: every change audited exactly once, nothing left for
``check_consistency`` to find."""

from __future__ import annotations

import io
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from groups import dynamic
from groups.dynamic import recompute
from groups.models import Group, Membership, ProcessingStatus
from groups.services import group_create
from portal.consistency import run_checks
from portal.models import AuditEvent
from portal.site.periodic import run_all
from tests import factories

pytestmark = pytest.mark.django_db

RECOMPUTE = "Update dynamic group membership"


class WorkerKilled(BaseException):
    """Stands for kill -9: no ``except Exception`` sees it, so nothing marks the group failed (and, as
    when the process dies, its connection's lease is gone: the ``finally`` gives it back)."""


def _upns(group: Group) -> set:
    return set(
        Membership.objects.filter(group=group).values_list("member_user__user_principal_name", flat=True)
    )


def _mentions(group: Group, since: int) -> tuple[Counter, Counter, int]:
    events = AuditEvent.objects.filter(activity=RECOMPUTE, target_id=str(group.pk), id__gt=since)
    added, removed = Counter(), Counter()
    for event in events:
        added.update(event.after["addedMembers"])
        removed.update(event.after["removedMembers"])
    return added, removed, events.count()


def _killed_midway(tenant, admin_user, monkeypatch) -> tuple[Group, set, set, int]:
    """A group of the 6 Sales users whose rule becomes HR (7 users): 6 leave, 7 join, in batches of 2;
    the worker dies during the 4th batch. Returns the group, who should leave, who should join, and the
    last audit id before the change."""
    sales = {factories.UserFactory(tenant=tenant, department="Sales").user_principal_name for _ in range(5)}
    hr = {factories.UserFactory(tenant=tenant, department="HR").user_principal_name for _ in range(7)}
    group = group_create(
        actor=admin_user,
        display_name="Sales people",
        mail_nickname="sales-people",
        membership_type="dynamic",
        membership_rule='user.department -eq "Sales"',
    )
    sales.add(admin_user.user_principal_name)  # the admin user is in Sales too
    assert _upns(group) == sales
    Group.objects.filter(pk=group.pk).update(membership_rule='user.department -eq "HR"')
    since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    monkeypatch.setattr(recompute, "BATCH", 2)
    calls = []

    def progress(group, done, total):
        calls.append(done)
        if len(calls) == 4:
            raise WorkerKilled

    monkeypatch.setattr(recompute, "_progress", progress)
    with pytest.raises(WorkerKilled):
        dynamic.recompute_group(group.pk)
    monkeypatch.undo()
    return Group.objects.get(pk=group.pk), sales, hr, since


def test_a_killed_recompute_leaves_whole_audited_batches_and_a_running_group(tenant, admin_user, monkeypatch):
    group, sales, hr, since = _killed_midway(tenant, admin_user, monkeypatch)
    assert group.processing_status == ProcessingStatus.RUNNING
    added, removed, events = _mentions(group, since)
    # Three batches committed (2 + 2 + 2 removals), the fourth rolled back with the kill.
    assert events == 3 and not added and sum(removed.values()) == 6 and set(removed) == sales
    assert _upns(group) == set()
    assert group.member_count == 0  # the stored count moved with each batch


def test_the_next_db_worker_queues_it_again_and_completes_it_audited_once(
    tenant, admin_user, monkeypatch, settings
):
    group, sales, hr, since = _killed_midway(tenant, admin_user, monkeypatch)
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # The killed worker's claimed task result ("running" for ever in django-tasks-db).
    lost = recompute.recompute_group_task.enqueue(str(group.pk))
    DBTaskResult.objects.filter(pk=lost.id).update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
    # Lost: on PostgreSQL its lease is free now; elsewhere the lease runs out with time.
    Group.objects.filter(pk=group.pk).update(processing_started=timezone.now() - timedelta(hours=2))
    err = io.StringIO()
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=err)
    assert "Queued again 1 group recomputation" in err.getvalue()
    group.refresh_from_db()
    assert group.processing_status == ProcessingStatus.SUCCEEDED
    assert _upns(group) == hr
    added, removed, _ = _mentions(group, since)
    assert added == Counter(hr) and removed == Counter(sales)  # each change exactly once
    assert run_checks(tenants=[tenant]) == []
    results = {str(pk): status for pk, status in DBTaskResult.objects.values_list("pk", "status")}
    assert results.pop(str(lost.id)) == TaskResultStatus.FAILED  # not left "running"
    assert list(results.values()) == [TaskResultStatus.SUCCESSFUL]


def test_the_periodic_job_requeues_only_groups_whose_worker_is_lost(tenant, admin_user, monkeypatch):
    group, _, hr, _ = _killed_midway(tenant, admin_user, monkeypatch)
    now = timezone.now()
    if group.processing_started and not _postgresql():
        # SQLite has no lease that dies with a connection: a group running for less than the lease is
        # taken as alive.
        assert run_all(now=now, only=["requeue_stalled_recomputes"]) == {"requeue_stalled_recomputes": 0}
        now += recompute.lease.SQLITE_LEASE + timedelta(minutes=1)
    assert run_all(now=now, only=["requeue_stalled_recomputes"]) == {"requeue_stalled_recomputes": 1}
    group.refresh_from_db()
    assert group.processing_status == ProcessingStatus.SUCCEEDED and _upns(group) == hr
    assert run_all(now=now, only=["requeue_stalled_recomputes"]) == {"requeue_stalled_recomputes": 0}
    assert run_checks(tenants=[tenant]) == []


def test_a_group_whose_worker_is_alive_is_left_alone(tenant, admin_user, monkeypatch):
    """On PostgreSQL the lease is the worker's connection: held, the group is not queued a second time,
    however long it has been running."""
    if not _postgresql():
        pytest.skip("the lease that dies with its connection is PostgreSQL's (SQLite: a time lease)")
    group, _, hr, _ = _killed_midway(tenant, admin_user, monkeypatch)
    worker = connections.create_connection(DEFAULT_DB_ALIAS)  # stands for the live worker's session
    try:
        with worker.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [recompute.lease._key(group.pk)])
        assert recompute.requeue_stalled(now=timezone.now() + timedelta(days=1)) == 0
    finally:
        worker.close()
    assert Group.objects.get(pk=group.pk).processing_status == ProcessingStatus.RUNNING
    assert recompute.requeue_stalled(now=timezone.now()) == 1 and _upns(group) == hr


def _postgresql() -> bool:
    return connection.vendor == "postgresql"
