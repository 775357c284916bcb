"""Group-based licensing as Entra does it: direct members only, one seat per user per SKU, the
CountViolation queue in join order, seats up and down, service plans and disabledPlans reaching
user.assignedPlans (and rules), guests, and the consistency checker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from groups.dynamic import recompute_group
from groups.licensing.checker import check_licenses
from groups.licensing.models import AssignmentState, LicenseAssignment, LicenseSeat, SubscribedSku
from groups.licensing.services import (
    PlanSpec,
    group_license_add,
    group_licenses_assign,
    group_licenses_exclude_guests,
    licensed_guests,
    process_license_queue,
    subscribed_sku_add,
    subscribed_sku_set_units,
    user_licenses_assign,
)
from groups.models import GroupKind, Membership, MembershipType
from groups.services import group_restore, group_soft_delete, membership_add, membership_remove
from portal.errors import Invalid
from portal.models import AssignedPlan, AuditEvent
from portal.services import user_update
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, tzinfo=UTC)
EXCHANGE = uuid.UUID("efb87545-963c-4e0d-99df-69c6916d9eb0")
TEAMS = uuid.UUID("57ff2da0-773e-42df-b2af-ffb7a2317929")


def _states(sku) -> dict[str, str]:
    return {
        s.user.user_principal_name: s.state
        for s in LicenseSeat.objects.filter(sku=sku).select_related("user")
    }


def _plans(user) -> set[uuid.UUID]:
    return set(AssignedPlan.objects.filter(user=user).values_list("service_plan_id", flat=True))


@pytest.fixture
def sku(admin_user):
    return subscribed_sku_add(
        actor=admin_user,
        sku_part_number="ENTERPRISEPACK",
        display_name="Office 365 E3",
        prepaid_units=2,
        service_plans=[
            PlanSpec(EXCHANGE, "EXCHANGE_S_ENTERPRISE", "exchange"),
            PlanSpec(TEAMS, "TEAMS1", "TeamspaceAPI"),
        ],
    )


@pytest.fixture(autouse=True)
def _consistent(tenant):
    """Every test ends with the incremental state equal to the recomputed one."""
    yield
    assert list(check_licenses(tenant)) == []


def test_it_gives_members_the_groups_license_and_takes_it_when_they_leave(tenant, admin_user, sku):
    group = GroupFactory(tenant=tenant)
    ann = UserFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    membership_add(actor=admin_user, group=group, member=ann)
    assert _states(sku) == {ann.user_principal_name: AssignmentState.ACTIVE}
    assert _plans(ann) == {EXCHANGE, TEAMS}
    membership_remove(actor=admin_user, group=group, member=ann)
    assert _states(sku) == {} and _plans(ann) == set()
    audited = AuditEvent.objects.filter(target_id=str(ann.pk), category="Licensing")
    assert list(audited.order_by("id").values_list("activity", flat=True)) == [
        "Assign license to user",
        "Remove license from user",
    ]


def test_members_of_nested_groups_get_nothing(tenant, admin_user, sku):
    parent, child = GroupFactory(tenant=tenant), GroupFactory(tenant=tenant)
    ann = UserFactory(tenant=tenant)
    membership_add(actor=admin_user, group=child, member=ann)
    group_license_add(actor=admin_user, group=parent, sku=sku)
    membership_add(actor=admin_user, group=parent, member=child)
    assert _states(sku) == {}
    assert not LicenseAssignment.objects.exists()


def test_it_queues_members_beyond_the_seats_and_licenses_them_in_join_order(tenant, admin_user, sku):
    group = GroupFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    a, b, c, d = (UserFactory(tenant=tenant, user_principal_name=f"{n}@x.test") for n in "abcd")
    for user in (a, b, c, d):
        membership_add(actor=admin_user, group=group, member=user)
    assert _states(sku) == {
        "a@x.test": "active",
        "b@x.test": "active",
        "c@x.test": "error",
        "d@x.test": "error",
    }
    assert LicenseSeat.objects.get(user=c).error == "CountViolation"
    assert AuditEvent.objects.filter(
        activity="License assignment error", target_id=str(c.pk), result="failure"
    ).exists()
    membership_remove(actor=admin_user, group=group, member=b)  # the oldest waiting (c) goes first
    assert _states(sku) == {"a@x.test": "active", "c@x.test": "active", "d@x.test": "error"}
    assert AuditEvent.objects.filter(
        activity="License assigned after waiting for a seat", target_id=str(c.pk)
    ).exists()
    assert _plans(c) == {EXCHANGE, TEAMS} and _plans(d) == set()


def test_a_user_with_two_sources_uses_one_seat(tenant, admin_user, sku):
    g1, g2 = GroupFactory(tenant=tenant), GroupFactory(tenant=tenant)
    for group in (g1, g2):
        group_license_add(actor=admin_user, group=group, sku=sku)
    ann, bob = UserFactory(tenant=tenant), UserFactory(tenant=tenant)
    for group in (g1, g2):
        membership_add(actor=admin_user, group=group, member=ann)
    user_licenses_assign(actor=admin_user, user=ann, add=[(sku, [])])  # and a direct assignment
    membership_add(actor=admin_user, group=g2, member=bob)
    assert LicenseAssignment.objects.filter(user=ann).count() == 3
    assert _states(sku) == {ann.user_principal_name: "active", bob.user_principal_name: "active"}
    membership_remove(actor=admin_user, group=g1, member=ann)  # still two sources: keeps the seat
    assert _states(sku)[ann.user_principal_name] == "active"


def test_more_seats_license_the_waiting_and_fewer_put_the_newest_into_error(tenant, admin_user, sku):
    group = GroupFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    a, b, c = (UserFactory(tenant=tenant, user_principal_name=f"{n}@x.test") for n in "abc")
    for user in (a, b, c):
        membership_add(actor=admin_user, group=group, member=user)
    subscribed_sku_set_units(actor=admin_user, sku=sku, prepaid_units=3)
    assert set(_states(sku).values()) == {"active"}
    subscribed_sku_set_units(actor=admin_user, sku=SubscribedSku.objects.get(pk=sku.pk), prepaid_units=1)
    assert _states(sku) == {"a@x.test": "active", "b@x.test": "error", "c@x.test": "error"}
    assert _plans(b) == set()


def test_disabled_plans_reach_assigned_plans_and_rules_in_the_same_request(tenant, admin_user, sku):
    follower = GroupFactory(
        tenant=tenant,
        membership_type=MembershipType.DYNAMIC,
        membership_rule=(
            f'user.assignedPlans -any (assignedPlan.servicePlanId -eq "{TEAMS}" '
            '-and assignedPlan.capabilityStatus -eq "Enabled")'
        ),
    )
    recompute_group(follower.pk)
    group = GroupFactory(tenant=tenant)
    ann = UserFactory(tenant=tenant)
    group_licenses_assign(actor=admin_user, group=group, add=[(sku, [str(TEAMS)])])
    membership_add(actor=admin_user, group=group, member=ann)
    assert _plans(ann) == {EXCHANGE}
    assert not Membership.objects.filter(group=follower, member_user=ann).exists()
    group_licenses_assign(actor=admin_user, group=group, add=[(sku, [])])  # Teams back on
    assert _plans(ann) == {EXCHANGE, TEAMS}
    assert Membership.objects.filter(group=follower, member_user=ann).exists()
    membership_remove(actor=admin_user, group=group, member=ann)
    assert not Membership.objects.filter(group=follower, member_user=ann).exists()


def test_a_plan_is_on_when_any_source_leaves_it_on(tenant, admin_user, sku):
    g1, g2 = GroupFactory(tenant=tenant), GroupFactory(tenant=tenant)
    group_licenses_assign(actor=admin_user, group=g1, add=[(sku, [str(TEAMS)])])
    group_licenses_assign(actor=admin_user, group=g2, add=[(sku, [str(EXCHANGE)])])
    ann = UserFactory(tenant=tenant)
    membership_add(actor=admin_user, group=g1, member=ann)
    assert _plans(ann) == {EXCHANGE}
    membership_add(actor=admin_user, group=g2, member=ann)
    assert _plans(ann) == {EXCHANGE, TEAMS}


def test_it_refuses_unknown_disabled_plans_and_direct_assignment_past_the_seats(tenant, admin_user, sku):
    with pytest.raises(Invalid, match="no service plan"):
        group_licenses_assign(
            actor=admin_user, group=GroupFactory(tenant=tenant), add=[(sku, [str(uuid.uuid4())])]
        )
    for _ in range(2):
        user_licenses_assign(actor=admin_user, user=UserFactory(tenant=tenant), add=[(sku, [])])
    with pytest.raises(Invalid, match="no more available licenses"):
        user_licenses_assign(actor=admin_user, user=UserFactory(tenant=tenant), add=[(sku, [])])


def test_guests_are_listed_and_can_be_excluded(tenant, admin_user, sku):
    group = GroupFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    guest = UserFactory(tenant=tenant, user_type="Guest")
    ann = UserFactory(tenant=tenant)
    for user in (guest, ann):
        membership_add(actor=admin_user, group=group, member=user)
    assert licensed_guests(group) == [guest]
    assert _states(sku) == {guest.user_principal_name: "active", ann.user_principal_name: "active"}
    group_licenses_exclude_guests(actor=admin_user, group=group, exclude=True)
    assert _states(sku) == {ann.user_principal_name: "active"}
    assert AuditEvent.objects.filter(activity="Exclude guests from group licenses").exists()


def test_deleting_a_group_takes_its_licenses_and_restoring_gives_them_back(tenant, admin_user, sku):
    group = GroupFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    ann = UserFactory(tenant=tenant)
    membership_add(actor=admin_user, group=group, member=ann)
    group_soft_delete(actor=admin_user, group=group)
    assert _states(sku) == {}
    group_restore(actor=admin_user, group=group)
    assert _states(sku) == {ann.user_principal_name: "active"}


def test_the_periodic_pass_repairs_what_went_around_the_services(tenant, admin_user, sku):
    group = GroupFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    for _ in range(3):
        membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant))
    assert LicenseSeat.objects.filter(state="error").count() == 1
    SubscribedSku.objects.filter(pk=sku.pk).update(prepaid_units=3)  # changed in the database
    assert ["SKU" in d or "seat" in d for d in check_licenses(tenant)] == [True]
    assert process_license_queue(now=NOW) == 1
    assert process_license_queue(now=NOW) == 0


def test_the_checker_reports_a_tampered_state(tenant, admin_user, sku):
    group = GroupFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    ann = UserFactory(tenant=tenant)
    membership_add(actor=admin_user, group=group, member=ann)
    LicenseAssignment.objects.filter(user=ann).delete()
    found = list(check_licenses(tenant))
    assert any("should hold" in d for d in found) and any("no source" in d for d in found)
    process_license_queue(now=NOW)


def test_add_subscription_creates_then_resizes_by_sku_id(tenant, admin_user):
    sku_id = str(uuid.uuid4())
    args = ["--tenant", tenant.slug, "--sku-part-number", "EMS", "--sku-id", sku_id]
    call_command(
        "add_subscription", *args, "--seats", "5", "--service-plan", f"{EXCHANGE}:EXCHANGE_S:exchange"
    )
    call_command("add_subscription", *args, "--seats", "7", "--service-plan", f"{TEAMS}:TEAMS1")
    sku = SubscribedSku.objects.get(tenant=tenant, sku_id=sku_id)
    assert sku.prepaid_units == 7 and sku.service_plans.count() == 2
    with pytest.raises(CommandError, match="GUID"):
        call_command(
            "add_subscription",
            "--tenant",
            tenant.slug,
            "--sku-part-number",
            "X",
            "--sku-id",
            "nope",
            "--seats",
            "1",
        )


def test_check_consistency_runs_the_licence_checker(tenant, admin_user, sku, capsys):
    group = GroupFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant))
    call_command("check_consistency", "--tenant", tenant.slug, "--only", "licenses")
    SubscribedSku.objects.filter(pk=sku.pk).update(prepaid_units=0)
    with pytest.raises(SystemExit):
        call_command("check_consistency", "--tenant", tenant.slug, "--only", "licenses")
    assert "[licenses]" in capsys.readouterr().out
    process_license_queue(now=NOW)


def test_a_member_who_becomes_a_guest_loses_licences_that_exclude_guests(tenant, admin_user, sku):
    group = GroupFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    group_licenses_exclude_guests(actor=admin_user, group=group, exclude=True)
    ann = UserFactory(tenant=tenant)
    membership_add(actor=admin_user, group=group, member=ann)
    assert _states(sku) == {ann.user_principal_name: "active"}
    user_update(actor=admin_user, user=ann, changes={"user_type": "Guest"})
    assert _states(sku) == {}


def test_distribution_groups_carry_no_licences(tenant, admin_user, sku):
    unified = GroupFactory(tenant=tenant, kind=GroupKind.DISTRIBUTION)
    with pytest.raises(Invalid, match="distribution group"):
        group_license_add(actor=admin_user, group=unified, sku=sku)
