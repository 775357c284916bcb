"""A group's guest count: along its members when small, one probe per tenant guest when large; the same
answer either way."""

from __future__ import annotations

import pytest

from groups import selectors
from portal.models import UserType
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("probe_above", [1_000, 0])  # 0: every group counts as large
def test_it_counts_the_guests_among_the_direct_members(tenant, monkeypatch, probe_above):
    monkeypatch.setattr(selectors, "GUEST_PROBE_ABOVE", probe_above)
    guests = UserFactory.create_batch(2, tenant=tenant, user_type=UserType.GUEST)
    elsewhere = UserFactory(tenant=tenant, user_type=UserType.GUEST)  # a guest of the tenant, not a member
    nested = GroupFactory(tenant=tenant, members=[elsewhere])
    group = GroupFactory(tenant=tenant, members=[*guests, UserFactory(tenant=tenant), nested])
    GroupFactory(tenant=tenant, members=[guests[0]])
    group.refresh_from_db()
    assert group.member_count == 4
    assert selectors.guest_member_count(group) == 2
    assert selectors.guest_member_count(nested) == 1


@pytest.mark.parametrize("probe_above", [1_000, 0])
def test_it_stops_counting_past_the_cap(tenant, monkeypatch, probe_above):
    monkeypatch.setattr(selectors, "GUEST_PROBE_ABOVE", probe_above)
    guests = UserFactory.create_batch(4, tenant=tenant, user_type=UserType.GUEST)
    group = GroupFactory(tenant=tenant, members=[*guests, UserFactory(tenant=tenant)])
    group.refresh_from_db()
    assert selectors.guest_member_count(group, cap=2) == 3  # cap + 1: "more than 2"
    assert selectors.guest_member_count(group, cap=4) == 4
    assert selectors.guest_member_count(group) == 4


@pytest.mark.parametrize("probe_above", [1_000, 0])
def test_it_counts_in_one_query(tenant, monkeypatch, probe_above, django_assert_num_queries):
    monkeypatch.setattr(selectors, "GUEST_PROBE_ABOVE", probe_above)
    group = GroupFactory(
        tenant=tenant, members=UserFactory.create_batch(3, tenant=tenant, user_type=UserType.GUEST)
    )
    group.refresh_from_db()
    with django_assert_num_queries(1):
        assert selectors.guest_member_count(group, cap=1) == 2
