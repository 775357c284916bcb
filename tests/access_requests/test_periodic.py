from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from access_requests.models import RequestStatus
from access_requests.periodic import expire_requests
from portal.models import AuditEvent, TenantGroupSettings
from tests.factories import GroupFactory, JoinRequestFactory, TenantFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_it_expires_after_30_days_by_default(tenant, django_capture_on_commit_callbacks):
    group = GroupFactory(tenant=tenant)
    due = JoinRequestFactory(group=group, created_date_time=NOW - timedelta(days=30))
    young = JoinRequestFactory(group=group, created_date_time=NOW - timedelta(days=29, hours=23))
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_requests(now=NOW) == 1
    due.refresh_from_db()
    young.refresh_from_db()
    assert (due.status, young.status) == (RequestStatus.EXPIRED, RequestStatus.PENDING)
    assert due.decided_date_time == NOW and "30 days" in due.reason
    assert mail.outbox[0].to == [due.requester.mail] and "expired" in mail.outbox[0].subject
    event = AuditEvent.objects.get(activity="Expire join request")
    assert event.after["request"] == str(due.id) and event.tenant_id == tenant.id


def test_it_uses_each_tenants_own_expiry(tenant):
    strict = TenantFactory()
    TenantGroupSettings.objects.filter(tenant=strict).update(request_expiry_days=5)
    mine = JoinRequestFactory(group=GroupFactory(tenant=tenant), created_date_time=NOW - timedelta(days=6))
    theirs = JoinRequestFactory(group=GroupFactory(tenant=strict), created_date_time=NOW - timedelta(days=6))
    assert expire_requests(now=NOW) == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == ("pending", "expired")


def test_it_leaves_decided_requests_alone(tenant):
    old = NOW - timedelta(days=90)
    for status in ("approved", "denied", "cancelled"):
        JoinRequestFactory(
            group=GroupFactory(tenant=tenant), status=status, created_date_time=old, decided_date_time=old
        )
    assert expire_requests(now=NOW) == 0
    assert not AuditEvent.objects.filter(activity="Expire join request").exists()
