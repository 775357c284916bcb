from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from access_requests.models import JoinRequest, RequestStatus
from groups.models import Group, Membership
from groups.services import ServiceError, membership_add
from portal.models import AuditEvent
from tests.factories import DeviceFactory, GroupFactory, JoinRequestFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_a_membership_that_names_two_kinds_of_member(tenant):
    group = GroupFactory(tenant=tenant)
    user = UserFactory(tenant=tenant)
    device = DeviceFactory(tenant=tenant)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(group=group, member_user=user, member_device=device)


def test_it_refuses_a_membership_without_a_member(tenant):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(group=GroupFactory(tenant=tenant))


def test_it_refuses_the_same_member_twice(tenant):
    group = GroupFactory(tenant=tenant)
    user = UserFactory(tenant=tenant)
    Membership.objects.create(group=group, member_user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(group=group, member_user=user)


def test_it_refuses_a_group_inside_itself_in_the_database(tenant):
    group = GroupFactory(tenant=tenant)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(group=group, member_group=group)


def test_it_refuses_a_nesting_cycle_and_names_the_loop(tenant, admin_user):
    a, b, c = (GroupFactory(tenant=tenant, display_name=n) for n in "ABC")
    membership_add(actor=admin_user, group=a, member=b)
    membership_add(actor=admin_user, group=b, member=c)
    with pytest.raises(ServiceError, match="C → A → B → C"):
        membership_add(actor=admin_user, group=c, member=a)
    assert not Membership.objects.filter(group=c, member_group=a).exists()


def test_it_refuses_a_second_pending_request_but_allows_one_after_a_denial(tenant):
    first = JoinRequestFactory(group=GroupFactory(tenant=tenant))
    with pytest.raises(IntegrityError), transaction.atomic():
        JoinRequest.objects.create(tenant=tenant, group=first.group, requester=first.requester)
    JoinRequest.objects.filter(pk=first.pk).update(
        status=RequestStatus.DENIED, decided_date_time=first.created_date_time
    )
    again = JoinRequest.objects.create(tenant=tenant, group=first.group, requester=first.requester)
    assert again.is_pending


def test_it_refuses_a_dynamic_role_assignable_group(tenant):
    with pytest.raises(IntegrityError), transaction.atomic():
        Group.objects.create(
            tenant=tenant,
            display_name="x",
            mail_nickname="x",
            membership_type="dynamic",
            is_assignable_to_role=True,
        )


def test_it_refuses_a_duplicate_alias_in_one_tenant_but_not_across_tenants(tenant, other_tenant):
    GroupFactory(tenant=tenant, mail_nickname="sales")
    GroupFactory(tenant=other_tenant, mail_nickname="sales")
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupFactory(tenant=tenant, mail_nickname="SALES")


def test_it_derives_graph_flags_from_kind_and_membership_type(tenant):
    m365 = GroupFactory(tenant=tenant, kind="microsoft365", membership_type="dynamic")
    assert (m365.mail_enabled, m365.security_enabled, m365.group_types) == (
        True,
        False,
        ["Unified", "DynamicMembership"],
    )
    security = GroupFactory(tenant=tenant, kind="security")
    assert (security.mail_enabled, security.security_enabled, security.group_types) == (False, True, [])
    assert GroupFactory(tenant=tenant, kind="mailEnabledSecurity").security_enabled


def test_it_keeps_audit_events_append_only(tenant, admin_user):
    group = GroupFactory(tenant=tenant)
    membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant))
    event = AuditEvent.objects.get(activity="Add member to group")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="tampered")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_it_keeps_audit_events_when_actor_and_target_are_deleted(tenant, admin_user):
    group = GroupFactory(tenant=tenant)
    member = UserFactory(tenant=tenant)
    membership_add(actor=admin_user, group=group, member=member)
    group.delete()
    event = AuditEvent.objects.get(activity="Add member to group")
    assert (event.target_name, event.actor_name) == (group.display_name, admin_user.user_principal_name)
