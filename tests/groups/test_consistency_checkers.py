"""The checkers groups and access requests register for check_consistency: each is clean on data the
services wrote, and names the difference once the stored state is changed behind their back."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from access_requests.consistency import request_states
from access_requests.models import JoinRequest, RequestStatus
from access_requests.services import join_request_approve
from groups.consistency import dynamic_memberships, member_counts, transitive_views
from groups.models import Group, JoinPolicy, Membership
from groups.services import group_create, membership
from portal.consistency import checker_names
from tests.factories import GroupFactory, JoinRequestFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_checker_of_the_issue_is_registered():
    assert {"member_counts", "dynamic_memberships", "transitive_views", "request_states"} <= set(
        checker_names()
    )


def test_member_counts_follow_every_write_and_a_wrong_count_is_named(tenant, admin_user):
    people = [UserFactory(tenant=tenant) for _ in range(3)]
    group = GroupFactory(tenant=tenant, display_name="Counted", members=people[:2])
    membership.member_add(actor=admin_user, group=group, member=people[2])
    membership.member_remove(actor=admin_user, group=group, member=people[0])
    group.refresh_from_db()
    assert group.member_count == 2
    assert list(member_counts(tenant)) == []
    Group.objects.filter(pk=group.pk).update(member_count=7)
    assert list(member_counts(tenant)) == ["“Counted” stores 7 members, has 2"]


def test_dynamic_memberships_name_a_member_the_rule_does_not_select(tenant, admin_user):
    UserFactory(tenant=tenant, department="Sales")
    group = group_create(
        actor=admin_user,
        display_name="Sales people",
        mail_nickname="sales-people",
        membership_type="dynamic",
        membership_rule='user.department -eq "Sales"',
    )
    assert list(dynamic_memberships(tenant)) == []
    Membership.objects.create(group=group, member_user=UserFactory(tenant=tenant, department="HR"))
    assert list(dynamic_memberships(tenant)) == [
        "dynamic “Sales people”: 0 selected by its rule but not members, 1 members its rule doesn't select"
    ]


def test_transitive_views_agree_with_the_edges_and_a_cycle_is_named(tenant):
    inner = GroupFactory(tenant=tenant)
    middle = GroupFactory(tenant=tenant, members=[inner])
    outer = GroupFactory(tenant=tenant, members=[middle])
    assert list(transitive_views(tenant)) == []
    Membership.objects.create(group=inner, member_group=outer)  # behind the writer's cycle check
    assert any("nesting cycle" in line for line in transitive_views(tenant))


def test_request_states_are_clean_after_the_services_and_name_a_broken_one(tenant, admin_user):
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL)
    approved, pending = JoinRequestFactory(group=group), JoinRequestFactory(group=group)
    join_request_approve(actor=admin_user, join_request=approved)
    assert list(request_states(tenant)) == []
    JoinRequest.objects.filter(pk=pending.pk).update(decided_date_time=timezone.now())
    Membership.objects.filter(group=group, member_user=approved.requester).delete()
    found = list(request_states(tenant))
    assert f"pending request {pending.pk} carries a decision" in found
    assert any(line.startswith(f"approved request {approved.pk}") for line in found)
    assert JoinRequest.objects.get(pk=approved.pk).status == RequestStatus.APPROVED


def test_the_command_finds_nothing_on_the_seeded_demo(capsys):
    call_command("seed_demo", users=60, groups=30, stdout=None)
    call_command("check_consistency")
    assert "No differences" in capsys.readouterr().out
