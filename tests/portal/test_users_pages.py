from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from access_requests.models import RequestStatus
from groups.models import Membership, Ownership
from portal.models import AuditEvent, GuestUserRole, Source, User
from portal.services import OFFBOARD_ACTIVITY, UserError, user_delete, user_restore, user_update
from tests.factories import GroupFactory, JoinRequestFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("user_list")


@pytest.fixture
def user_admin(tenant):
    return UserFactory(tenant=tenant, role="userAdministrator")


def _names(response) -> str:
    return response.content.decode().split('id="user-results"')[1]


def test_it_opens_the_list_to_admins_and_members_but_not_guests(
    client, tenant, member, admin_user, groups_admin, user_admin
):
    guest = UserFactory(tenant=tenant, user_type="Guest")
    for user, status in (
        (admin_user, 200),
        (groups_admin, 200),
        (user_admin, 200),
        (member, 200),
        (guest, 403),
    ):
        client.force_login(user)
        assert client.get(URL).status_code == status


def test_it_lists_only_this_tenants_users_with_filters(client, tenant, other_tenant, groups_admin):
    UserFactory(tenant=tenant, display_name="Ada Finance", department="Finance", country="France")
    UserFactory(tenant=tenant, display_name="Ben Sales", department="Sales", user_type="Guest")
    UserFactory(tenant=tenant, display_name="Cy Synced", source=Source.SYNCED, account_enabled=False)
    UserFactory(tenant=tenant, display_name="Dee Deleted", deleted_date_time=timezone.now())
    UserFactory(tenant=other_tenant, display_name="Eve Elsewhere")
    client.force_login(groups_admin)
    page = _names(client.get(URL))
    assert "Ada Finance" in page and "Ben Sales" in page and "Eve Elsewhere" not in page
    assert "Dee Deleted" not in page
    assert "Ben Sales" not in _names(client.get(URL, {"department": "finance"}))
    assert "Ada Finance" not in _names(client.get(URL, {"user_type": "Guest"}))
    assert "Cy Synced" in _names(client.get(URL, {"source": "synced"}))
    assert "Ada Finance" not in _names(client.get(URL, {"account_enabled": "false"}))
    assert "Ada Finance" in _names(client.get(URL, {"country": "FRANCE", "q": "ada"}))
    assert "Dee Deleted" in _names(client.get(URL, {"deleted": "true"}))
    body = client.get(URL, {"q": "ada"}, HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<div id="user-results">')


def test_the_list_keeps_a_constant_number_of_queries(client, tenant, groups_admin, django_assert_num_queries):
    client.force_login(groups_admin)
    client.get(URL)
    with django_assert_num_queries(10) as ctx:
        client.get(URL)
    UserFactory.create_batch(60, tenant=tenant, department="Finance", country="France")
    with django_assert_num_queries(len(ctx.captured_queries)):
        client.get(URL, {"page": "2"})


def test_the_user_page_shows_groups_direct_and_transitive_owned_and_requests(
    client, tenant, other_tenant, groups_admin, django_assert_num_queries
):
    person = UserFactory(tenant=tenant)
    inner = GroupFactory(tenant=tenant, display_name="Inner", members=[person])
    GroupFactory(tenant=tenant, display_name="Outer", members=[inner])
    GroupFactory(tenant=tenant, display_name="Owned", owners=[person])
    JoinRequestFactory(group=GroupFactory(tenant=tenant, display_name="Asked"), requester=person)
    client.force_login(groups_admin)
    url = reverse("user_detail", args=[person.id])
    with django_assert_num_queries(14) as ctx:  # 14: +1, the Licenses section
        page = client.get(url).content.decode()
    assert "Inner" in page and "Outer" in page and "Through nesting" in page
    assert "Owned" in page and "Asked" in page
    for _i in range(5):
        g = GroupFactory(tenant=tenant, members=[person], owners=[person])
        JoinRequestFactory(group=GroupFactory(tenant=tenant, members=[g]), requester=person)
    with django_assert_num_queries(len(ctx.captured_queries)):
        client.get(url)
    stranger = UserFactory(tenant=other_tenant)
    assert client.get(reverse("user_detail", args=[stranger.id])).status_code == 404


def test_the_user_page_is_refused_to_restricted_guests_and_outsiders(client, tenant, other_tenant, member):
    tenant.group_settings.guest_user_role_id = GuestUserRole.RESTRICTED
    tenant.group_settings.save()
    client.force_login(UserFactory(tenant=tenant, user_type="Guest"))
    assert client.get(reverse("user_detail", args=[member.id])).status_code == 403
    client.force_login(UserFactory(tenant=other_tenant, role="globalAdministrator"))
    assert client.get(reverse("user_detail", args=[member.id])).status_code == 404


def test_administrators_edit_attributes_through_the_service(
    client, tenant, user_admin, groups_admin, monkeypatch
):
    person = UserFactory(tenant=tenant, department="Sales")
    boss = UserFactory(tenant=tenant)
    seen = []
    monkeypatch.setattr(
        "portal.services.users.on_user_attributes_changed", lambda **kw: seen.append(kw["users"])
    )
    client.force_login(user_admin)
    url = reverse("user_edit", args=[person.id])
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "display_name": person.display_name,
        "department": "Finance",
        "user_type": "Member",
        "account_enabled": "on",
        "mail": person.mail,
        "manager_upn": boss.user_principal_name.upper(),
    }
    response = client.post(url, data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.department == "Finance" and person.manager == boss
    assert [u.pk for u in seen[0]] == [person.pk]
    event = AuditEvent.objects.get(activity="Update user")
    assert event.before == {"department": "Sales", "manager": None}
    assert event.after == {"department": "Finance", "manager": boss.user_principal_name}
    bad = client.post(
        url, {**data, "display_name": " ", "manager_upn": "nobody@x.test", "usage_location": "U1"}
    )
    assert bad.status_code == 400 and "This field is required" in bad.content.decode()
    assert "two-letter country code" in bad.content.decode()
    assert "No user nobody@x.test" in bad.content.decode()
    client.force_login(groups_admin)  # no users/basic/update
    assert client.post(url, data).status_code == 403


def test_synced_users_keep_their_on_premises_attributes(tenant, admin_user):
    person = UserFactory(tenant=tenant, source=Source.SYNCED)
    with pytest.raises(UserError, match="synced"):
        user_update(actor=admin_user, user=person, changes={"department": "HR"})


def test_a_leaver_loses_groups_and_requests_and_gets_them_back(tenant, admin_user, member):
    admin_user.mail = "admin@example.test"
    admin_user.save()
    alone = GroupFactory(tenant=tenant, display_name="Only owner", owners=[member], members=[member])
    shared = GroupFactory(tenant=tenant, owners=[member, admin_user])
    request = JoinRequestFactory(group=GroupFactory(tenant=tenant), requester=member)
    user_update(actor=admin_user, user=member, changes={"account_enabled": False})
    assert not Membership.objects.filter(member_user=member).exists()
    assert not Ownership.objects.filter(user=member).exists()
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED
    event = AuditEvent.objects.get(activity=OFFBOARD_ACTIVITY)
    assert event.after == {"groupsWithoutOwner": ["Only owner"]}
    assert {o["group"] for o in event.before["ownerships"]} == {str(alone.id), str(shared.id)}
    assert AuditEvent.objects.filter(activity="Remove owner from group").count() == 2
    assert mail.outbox == [] or "Only owner" in mail.outbox[0].body
    user_update(actor=admin_user, user=member, changes={"account_enabled": True})
    assert Membership.objects.filter(member_user=member, group=alone).exists()
    assert Ownership.objects.filter(user=member).count() == 2


def test_a_deleted_user_is_restorable_for_30_days(tenant, admin_user, member):
    group = GroupFactory(tenant=tenant, members=[member], owners=[member])
    user_delete(actor=admin_user, user=member)
    member.refresh_from_db()
    assert member.deleted_date_time is not None and not member.is_active
    assert not group.memberships.exists() and not group.ownerships.exists()
    user_restore(actor=admin_user, user=member)
    assert group.memberships.filter(member_user=member).exists() and group.ownerships.exists()
    user_delete(actor=admin_user, user=member)
    User.objects.filter(pk=member.pk).update(deleted_date_time=timezone.now() - timedelta(days=31))
    with pytest.raises(UserError, match="30 days"):
        user_restore(actor=admin_user, user=member)


def test_leaver_rules_refuse_self_harm_and_outsiders(tenant, other_tenant, admin_user, groups_admin, member):
    with pytest.raises(UserError):
        user_update(actor=admin_user, user=admin_user, changes={"account_enabled": False})
    with pytest.raises(UserError):
        user_delete(actor=admin_user, user=admin_user)
    with pytest.raises(PermissionDenied):
        user_delete(actor=groups_admin, user=member)
    with pytest.raises(PermissionDenied):
        user_delete(actor=UserFactory(tenant=other_tenant, role="globalAdministrator"), user=member)


def test_the_delete_and_restore_buttons_work_without_javascript(client, tenant, admin_user, member):
    GroupFactory(tenant=tenant, display_name="Lonely", owners=[member])
    client.force_login(admin_user)
    response = client.post(reverse("user_delete", args=[member.id]), follow=True)
    page = response.content.decode()
    assert "was deleted" in page and "now have no owner: Lonely" in page
    response = client.post(reverse("user_restore", args=[member.id]), follow=True)
    assert "was restored" in response.content.decode()


def test_the_typeahead_finds_users_of_the_tenant_only(client, tenant, other_tenant, member):
    UserFactory(tenant=tenant, display_name="Adele Vance")
    UserFactory(tenant=tenant, display_name="Adele Gone", deleted_date_time=timezone.now())
    UserFactory(tenant=other_tenant, display_name="Adele Elsewhere")
    UserFactory.create_batch(12, tenant=tenant, display_name="Zed Adele")
    client.force_login(member)
    body = client.get(reverse("user_search"), {"q": "adele"}).content.decode()
    assert "Adele Vance" in body and "Adele Elsewhere" not in body and "Adele Gone" not in body
    assert body.count('role="option"') == 10
    assert "No match" in client.get(reverse("user_search"), {"q": "zzz"}).content.decode()
    guest = UserFactory(tenant=tenant, user_type="Guest")
    client.force_login(guest)
    assert client.get(reverse("user_search"), {"q": "adele"}).status_code == 403


def test_the_typeahead_finds_groups_devices_and_apps_when_asked(client, tenant, member):
    from tests.factories import DeviceFactory, ServicePrincipalFactory

    GroupFactory(tenant=tenant, display_name="Falcon team")
    DeviceFactory(tenant=tenant, display_name="FALCON-PC")
    ServicePrincipalFactory(tenant=tenant, display_name="Falcon app")
    client.force_login(member)
    body = client.get(reverse("user_search"), {"q": "falcon"}).content.decode()
    assert "Falcon team" not in body
    body = client.get(reverse("user_search"), {"q": "falcon", "kinds": "user,group,device,servicePrincipal"})
    body = body.content.decode()
    assert "Falcon team" in body and "FALCON-PC" in body and "Falcon app" in body


def test_a_disabled_user_stays_in_the_dynamic_groups_its_rule_selects(tenant, admin_user, member):
    from groups.models import MembershipSource, MembershipType

    dynamic = GroupFactory(tenant=tenant, membership_type=MembershipType.DYNAMIC)
    Membership.objects.create(group=dynamic, member_user=member, source=MembershipSource.RULE)
    assigned = GroupFactory(tenant=tenant, members=[member])
    user_update(actor=admin_user, user=member, changes={"account_enabled": False})
    assert dynamic.memberships.filter(member_user=member).exists()
    assert not assigned.memberships.filter(member_user=member).exists()
    user_update(actor=admin_user, user=member, changes={"account_enabled": True})
    user_delete(actor=admin_user, user=member)
    assert not Membership.objects.filter(member_user=member).exists()
