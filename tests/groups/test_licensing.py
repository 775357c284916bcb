from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from groups.licensing.models import AssignmentState, LicenseAssignment, SubscribedSku
from groups.licensing.services import group_license_add, process_license_queue, subscribed_sku_add
from groups.services import membership_add, membership_remove
from portal.models import AuditEvent
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _states(sku) -> dict[str, str]:
    return {
        a.user.user_principal_name: a.state
        for a in LicenseAssignment.objects.filter(sku=sku).select_related("user")
    }


@pytest.fixture
def sku(admin_user):
    return subscribed_sku_add(
        actor=admin_user, sku_part_number="ENTERPRISEPACK", display_name="Office 365 E3", prepaid_units=2
    )


def test_it_gives_members_the_groups_license_and_takes_it_when_they_leave(tenant, admin_user, sku):
    group = GroupFactory(tenant=tenant)
    ann = UserFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    membership_add(actor=admin_user, group=group, member=ann)
    assert _states(sku) == {ann.user_principal_name: AssignmentState.ACTIVE}
    membership_remove(actor=admin_user, group=group, member=ann)
    assert _states(sku) == {}
    assert AuditEvent.objects.filter(activity="Update license assignments").exists()


def test_it_licenses_members_of_nested_groups(tenant, admin_user, sku):
    parent, child = GroupFactory(tenant=tenant), GroupFactory(tenant=tenant)
    ann = UserFactory(tenant=tenant)
    membership_add(actor=admin_user, group=child, member=ann)
    group_license_add(actor=admin_user, group=parent, sku=sku)
    assert _states(sku) == {}
    membership_add(actor=admin_user, group=parent, member=child)
    assert _states(sku) == {ann.user_principal_name: AssignmentState.ACTIVE}


def test_it_queues_members_beyond_the_units_and_licenses_them_when_units_free_up(tenant, admin_user, sku):
    group = GroupFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    a, b, c = (UserFactory(tenant=tenant, user_principal_name=f"{n}@x.test") for n in "abc")
    for user in (a, b, c):
        membership_add(actor=admin_user, group=group, member=user)
    assert _states(sku) == {"a@x.test": "active", "b@x.test": "active", "c@x.test": "error"}
    membership_remove(actor=admin_user, group=group, member=a)
    assert _states(sku) == {"b@x.test": "active", "c@x.test": "active"}


def test_it_counts_one_unit_for_a_user_licensed_through_two_groups(tenant, admin_user, sku):
    g1, g2 = GroupFactory(tenant=tenant), GroupFactory(tenant=tenant)
    for group in (g1, g2):
        group_license_add(actor=admin_user, group=group, sku=sku)
    ann, bob = UserFactory(tenant=tenant), UserFactory(tenant=tenant)
    for group in (g1, g2):
        membership_add(actor=admin_user, group=group, member=ann)
    membership_add(actor=admin_user, group=g2, member=bob)
    assert LicenseAssignment.objects.filter(sku=sku, state="active").count() == 3
    assert not LicenseAssignment.objects.filter(state="error").exists()


def test_it_processes_the_queue_periodically_and_idempotently(tenant, admin_user, sku):
    group = GroupFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    for _ in range(3):
        membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant))
    assert LicenseAssignment.objects.filter(state="error").count() == 1
    SubscribedSku.objects.filter(pk=sku.pk).update(prepaid_units=3)  # a purchase outside the portal
    assert process_license_queue(now=NOW) == 1
    assert process_license_queue(now=NOW) == 0
    assert not LicenseAssignment.objects.filter(state="error").exists()


def test_it_drops_licenses_of_disabled_users_on_the_next_pass(tenant, admin_user, sku):
    group = GroupFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    ann = UserFactory(tenant=tenant)
    membership_add(actor=admin_user, group=group, member=ann)
    ann.account_enabled = False
    ann.save()
    process_license_queue(now=NOW)
    assert _states(sku) == {}


def test_it_shows_the_license_page_to_admins_only(
    client, tenant, admin_user, member, sku, django_assert_max_num_queries
):
    client.force_login(member)
    assert client.get(reverse("license_list")).status_code == 403
    client.force_login(admin_user)
    page = client.get(reverse("license_list"))
    assert page.status_code == 200 and "Office 365 E3" in page.content.decode()


def test_it_keeps_a_constant_number_of_queries_on_the_license_page(
    client, tenant, admin_user, sku, django_assert_num_queries
):
    client.force_login(admin_user)
    group = GroupFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    for _ in range(3):  # one more than the units: the waiting list has a row
        membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant))
    client.get(reverse("license_list"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("license_list"))
    for _ in range(6):
        membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant))
    group_license_add(
        actor=admin_user,
        group=GroupFactory(tenant=tenant),
        sku=subscribed_sku_add(
            actor=admin_user, sku_part_number="EMS", display_name="EMS E3", prepaid_units=1
        ),
    )
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(reverse("license_list"))


def test_it_explains_bad_subscription_input_without_losing_it(client, admin_user, sku):
    client.force_login(admin_user)
    response = client.post(
        reverse("subscription_add"),
        {"sku_part_number": "EMS PREMIUM", "display_name": "EMS", "prepaid_units": "-3"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "letters, digits and underscores" in page and "greater than or equal to 0" in page
    assert 'value="EMS"' in page
    response = client.post(
        reverse("subscription_add"),
        {"sku_part_number": "enterprisepack", "display_name": "Dup", "prepaid_units": "1"},
    )
    assert response.status_code == 400 and "already exists" in response.content.decode()


def test_it_refuses_assigning_to_another_tenants_group(client, tenant, other_tenant, admin_user, sku):
    client.force_login(admin_user)
    theirs = GroupFactory(tenant=other_tenant)
    response = client.post(reverse("group_license_add"), {"group": theirs.pk, "sku": sku.pk})
    assert response.status_code == 400
    assert not theirs.licenses.exists()
