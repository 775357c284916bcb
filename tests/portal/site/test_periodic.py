from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from groups.models import Group
from portal.models import AuditEvent, TenantGroupSettings
from portal.site.periodic import run_all
from tests.factories import GroupFactory, JoinRequestFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_it_expires_old_pending_requests_once_and_tells_the_requester(
    tenant, django_capture_on_commit_callbacks
):
    TenantGroupSettings.objects.filter(tenant=tenant).update(request_expiry_days=10)
    old = JoinRequestFactory(group=GroupFactory(tenant=tenant), created_date_time=NOW - timedelta(days=11))
    fresh = JoinRequestFactory(group=GroupFactory(tenant=tenant), created_date_time=NOW - timedelta(days=9))
    with django_capture_on_commit_callbacks(execute=True):
        assert run_all(now=NOW, only=["expire_requests"]) == {"expire_requests": 1}
    assert run_all(now=NOW, only=["expire_requests"]) == {"expire_requests": 0}
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == ("expired", "pending")
    assert len(mail.outbox) == 1 and "expired" in mail.outbox[0].subject
    assert mail.outbox[0].to == [old.requester.mail]
    assert AuditEvent.objects.filter(activity="Expire join request").count() == 1


def test_it_soft_deletes_expired_groups_then_purges_them_after_30_days(tenant):
    expiring = GroupFactory(tenant=tenant, expiration_date_time=NOW - timedelta(minutes=1))
    keeper = GroupFactory(tenant=tenant, expiration_date_time=NOW + timedelta(days=1))
    assert run_all(now=NOW, only=["expire_groups"])["expire_groups"] == 1
    assert run_all(now=NOW, only=["expire_groups"])["expire_groups"] == 0
    expiring.refresh_from_db()
    assert expiring.deleted_date_time == NOW and Group.objects.alive().get() == keeper
    assert run_all(now=NOW + timedelta(days=29), only=["purge_deleted_groups"])["purge_deleted_groups"] == 0
    assert run_all(now=NOW + timedelta(days=30), only=["purge_deleted_groups"])["purge_deleted_groups"] == 1
    assert not Group.objects.filter(pk=expiring.pk).exists()


def test_it_runs_every_job_from_the_command(capsys, db):
    call_command("run_periodic", "--now", "2026-06-01T12:00:00Z")
    out = capsys.readouterr().out
    assert "expire_requests: 0" in out and "purge_deleted_groups: 0" in out
    for bad in ("yesterday", "2026-13-01T12:00:00Z"):  # not a date-time; no such month: both a clear error
        with pytest.raises(CommandError, match="--now must be an ISO 8601 date-time"):
            call_command("run_periodic", "--now", bad)
