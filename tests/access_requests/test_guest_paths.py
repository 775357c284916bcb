"""Issue 10, item 6: with "members can add guests" off, no path lets a guest into a group without an
administrator: not an owner's approval, not joining an open group, not asking to join."""

from __future__ import annotations

import pytest
from django.urls import reverse

from access_requests.models import JoinRequest, RequestStatus
from groups.models import JoinPolicy, Membership
from portal.models import AuditEvent, TenantGroupSettings
from tests.factories import GroupFactory, JoinRequestFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_guest_adds(tenant):
    TenantGroupSettings.objects.filter(tenant=tenant).update(allow_to_add_guests=False)


@pytest.fixture
def guest(tenant):
    return UserFactory(tenant=tenant, user_type="Guest", display_name="Gus Guest")


@pytest.fixture
def owner(tenant):
    return UserFactory(tenant=tenant)


def _in(group, user) -> bool:
    return Membership.objects.filter(group=group, member_user=user).exists()


def test_it_refuses_an_owner_approving_a_guests_request(client, tenant, owner, guest, no_guest_adds):
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[owner])
    join_request = JoinRequestFactory(group=group, requester=guest)
    client.force_login(owner)
    response = client.post(reverse("approval_decide", args=[join_request.pk]), {"decision": "approve"})
    assert response.status_code == 403
    assert "add guests" in response.content.decode()
    assert not _in(group, guest)
    join_request.refresh_from_db()
    assert join_request.status == RequestStatus.PENDING
    refusal = AuditEvent.objects.get(tenant=tenant, result=AuditEvent.Result.FAILURE)
    assert refusal.target_id == str(group.pk)


def test_it_refuses_a_guest_approval_in_bulk_and_says_why(client, tenant, owner, guest, no_guest_adds):
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[owner])
    colleague = UserFactory(tenant=tenant)
    guest_request = JoinRequestFactory(group=group, requester=guest)
    member_request = JoinRequestFactory(group=group, requester=colleague)
    client.force_login(owner)
    response = client.post(
        reverse("approvals_bulk"),
        {"requests": [guest_request.pk, member_request.pk], "decision": "approve"},
        follow=True,
    )
    assert "add guests" in response.content.decode()
    assert _in(group, colleague) and not _in(group, guest)


def test_it_lets_an_administrator_approve_a_guests_request(
    client, tenant, guest, groups_admin, no_guest_adds
):
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[groups_admin])
    join_request = JoinRequestFactory(group=group, requester=guest)
    client.force_login(groups_admin)
    response = client.post(reverse("approval_decide", args=[join_request.pk]), {"decision": "approve"})
    assert response.status_code == 302
    assert _in(group, guest)


def test_it_refuses_a_guest_joining_an_open_group(client, tenant, guest, no_guest_adds):
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OPEN)
    client.force_login(guest)
    response = client.post(reverse("group_join", args=[group.pk]))
    assert response.status_code == 403
    assert "guests join" in response.content.decode()
    assert not _in(group, guest)
    # With htmx the action box says why, in place.
    response = client.post(reverse("group_join", args=[group.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "ask an administrator" in response.content.decode()
    assert not _in(group, guest)


def test_it_refuses_a_guest_asking_to_join(client, tenant, guest, owner, no_guest_adds):
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[owner])
    client.force_login(guest)
    response = client.post(reverse("group_request", args=[group.pk]), {"justification": "please"})
    assert response.status_code == 403
    assert not JoinRequest.objects.filter(group=group, requester=guest).exists()


def test_it_still_lets_guests_in_when_members_may_add_guests(client, tenant, guest, owner):
    open_group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OPEN)
    approval = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[owner])
    client.force_login(guest)
    assert client.post(reverse("group_join", args=[open_group.pk])).status_code == 302
    assert (
        client.post(reverse("group_request", args=[approval.pk]), {"justification": "hi"}).status_code == 302
    )
    join_request = JoinRequest.objects.get(group=approval, requester=guest)
    client.force_login(owner)
    client.post(reverse("approval_decide", args=[join_request.pk]), {"decision": "approve"})
    assert _in(open_group, guest) and _in(approval, guest)


def test_members_still_join_and_get_approved_with_guest_adds_off(
    client, tenant, owner, member, no_guest_adds
):
    open_group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OPEN)
    approval = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[owner])
    join_request = JoinRequestFactory(group=approval, requester=member)
    client.force_login(member)
    assert client.post(reverse("group_join", args=[open_group.pk])).status_code == 302
    client.force_login(owner)
    client.post(reverse("approval_decide", args=[join_request.pk]), {"decision": "approve"})
    assert _in(open_group, member) and _in(approval, member)
