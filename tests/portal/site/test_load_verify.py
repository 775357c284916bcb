"""The load test's checks (``portal.site.load.verify``) on hand-made outcomes: they find a write without
its audit event, and don't cry wolf when a pair came in by another audited path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from groups.models import Membership, MembershipSource
from portal.audit import audit_record
from portal.models import AuditEvent
from portal.site.load.verify import _aborted_adds
from tests import factories

pytestmark = pytest.mark.django_db


def _maybe(group, user) -> dict:
    return {"kind": "maybe", "group": str(group.pk), "user": str(user.pk)}


def test_an_aborted_add_met_by_an_approved_request_is_not_a_problem(tenant, admin_user):
    """Seen in a 5-minute run: the API client gave up on adding Yara, whose request to join the same
    group the owner approved: one row, one "Approve join request" event, no "Add member to group"."""
    since = timezone.now() - timedelta(seconds=1)
    group, yara = factories.GroupFactory(tenant=tenant), factories.UserFactory(tenant=tenant)
    Membership.objects.create(group=group, member_user=yara, source=MembershipSource.REQUEST)
    audit_record(
        tenant=tenant,
        actor=admin_user,
        activity="Approve join request",
        target=group,
        after={"member": yara.user_principal_name, "memberAdded": True},
    )
    events = AuditEvent.objects.filter(tenant=tenant, activity_date_time__gte=since)
    assert _aborted_adds([_maybe(group, yara)], events) == []


def test_an_aborted_add_present_without_any_event_is_a_problem(tenant, admin_user):
    since = timezone.now() - timedelta(seconds=1)
    group, yara = factories.GroupFactory(tenant=tenant), factories.UserFactory(tenant=tenant)
    Membership.objects.create(group=group, member_user=yara)
    audit_record(
        tenant=tenant,
        actor=admin_user,
        activity="Approve join request",
        target=group,
        after={"member": yara.user_principal_name, "memberAdded": False},  # it didn't add her
    )
    events = AuditEvent.objects.filter(tenant=tenant, activity_date_time__gte=since)
    assert _aborted_adds([_maybe(group, yara)], events) == [
        f"aborted add of {yara.user_principal_name} to {group.pk}: 1 rows, 0 events"
    ]
