"""Seats under concurrency on PostgreSQL: members joining a licensed group at the same moment never hold
more seats than the subscription has (the SKU row is locked while seats are handed out)."""

from __future__ import annotations

import pytest

from access_requests.services import group_join
from groups.licensing.checker import check_licenses
from groups.licensing.models import LicenseSeat
from groups.licensing.services import group_license_add, subscribed_sku_add
from groups.models import Group, JoinPolicy
from tests.access_requests.test_races import _run_together, _user, slow_audit  # noqa: F401 - a fixture
from tests.factories import GroupFactory, TenantFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_joining_at_once_never_hands_out_more_seats_than_there_are(slow_audit):  # noqa: F811
    """slow_audit holds each join inside its transaction for a moment: the threads really overlap."""
    tenant = TenantFactory()
    admin = UserFactory(tenant=tenant, role="globalAdministrator")
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OPEN)
    sku = subscribed_sku_add(actor=admin, sku_part_number="ENTERPRISEPACK", prepaid_units=2)
    group_license_add(actor=admin, group=group, sku=sku)
    people = [UserFactory(tenant=tenant) for _ in range(4)]

    def joining(person):
        return lambda: group_join(actor=_user(person.pk), group=Group.objects.get(pk=group.pk))

    outcomes = _run_together(*(joining(p) for p in people))
    assert [o[0] for o in outcomes] == ["ok"] * 4, outcomes
    states = sorted(LicenseSeat.objects.filter(sku=sku).values_list("state", flat=True))
    assert states == ["active", "active", "error", "error"]
    assert list(check_licenses(tenant)) == []
