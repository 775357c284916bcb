"""The add box of the members and owners tabs: exact names with Enter, matches to choose from, no-JS search."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups.models import GroupKind, Membership, Ownership
from tests.factories import DeviceFactory, GroupFactory, ServicePrincipalFactory, UserFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def owner(tenant):
    return UserFactory(tenant=tenant)


@pytest.fixture
def group(tenant, owner):
    return GroupFactory(tenant=tenant, display_name="Falcon", owners=[owner])


def _add(client, group, data, **extra):
    return client.post(reverse("group_member_add", args=[group.id]), data, **extra)


def test_it_adds_the_one_object_named_exactly_by_name_upn_mail_or_id(client, tenant, group, owner):
    by_name = UserFactory(tenant=tenant, display_name="Megan Bowen")
    by_upn = UserFactory(tenant=tenant, user_principal_name="adele@example.test")
    by_mail = UserFactory(tenant=tenant, mail="Lee.Gu@Example.test")
    by_id = DeviceFactory(tenant=tenant)
    client.force_login(owner)
    for typed in ("megan BOWEN", "ADELE@example.test", "lee.gu@example.test", str(by_id.id).upper()):
        assert _add(client, group, {"q": f" {typed} "}).status_code == 302, typed
    added = set(Membership.objects.filter(group=group).values_list("member_user", "member_device"))
    assert added == {(by_name.id, None), (by_upn.id, None), (by_mail.id, None), (None, by_id.id)}


def test_it_lists_the_objects_sharing_a_name_and_adds_none(client, tenant, group, owner):
    first = UserFactory(tenant=tenant, display_name="Alex Wilber", user_principal_name="alex1@example.test")
    UserFactory(tenant=tenant, display_name="Alex Wilber", user_principal_name="alex2@example.test")
    client.force_login(owner)
    response = _add(client, group, {"q": "Alex Wilber"}, **HX)
    body = response.content.decode()
    assert response.status_code == 200 and "2 objects are named “Alex Wilber”: choose one." in body
    assert 'aria-label="Add Alex Wilber (alex1@example.test)"' in body and "alex2@example.test" in body
    assert 'value="Alex Wilber"' in body  # the text stays in the box
    assert not Membership.objects.filter(group=group).exists()
    assert _add(client, group, {"member": f"user:{first.id}"}).status_code == 302
    assert Membership.objects.filter(group=group, member_user=first).exists()


def test_it_offers_near_matches_and_explains_when_nothing_matches(client, tenant, group, owner):
    UserFactory(tenant=tenant, display_name="Isaiah Langer")
    client.force_login(owner)
    body = _add(client, group, {"q": "isaiah"}).content.decode()
    assert "Nothing is named exactly “isaiah”: choose one of these matches." in body
    assert "Add Isaiah Langer" in body
    response = _add(client, group, {"q": "Nobody Atall"})
    assert response.status_code == 400
    assert "No user, group, device or app of your organization matches “Nobody Atall”." in (
        response.content.decode()
    )
    assert not Membership.objects.filter(group=group).exists()


def test_without_javascript_a_search_lists_groups_devices_and_apps_to_add(client, tenant, group, owner):
    finance = GroupFactory(tenant=tenant, display_name="Finance team")
    DeviceFactory(tenant=tenant, display_name="FINANCE-PC")
    ServicePrincipalFactory(tenant=tenant, display_name="Finance app")
    client.force_login(owner)
    response = _add(client, group, {"q": "finance", "search": "1"})
    body = response.content.decode()
    assert response.status_code == 200 and "3 matches for “finance”: choose one to add." in body
    for label in (
        "Add Finance team (group)",
        "Add FINANCE-PC (device)",
        "Add Finance app (service principal)",
    ):
        assert f'aria-label="{label}"' in body
    assert f'name="member" value="group:{finance.id}"' in body
    assert _add(client, group, {"member": f"group:{finance.id}"}).status_code == 302
    assert Membership.objects.filter(group=group, member_group=finance).exists()


def test_microsoft_365_groups_resolve_users_only(client, tenant, owner):
    group = GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365, owners=[owner])
    other = GroupFactory(tenant=tenant, display_name="Nested")
    client.force_login(owner)
    response = _add(client, group, {"q": "Nested"})
    assert response.status_code == 400 and "No user of your organization matches" in response.content.decode()
    response = _add(client, group, {"member": f"group:{other.id}"})
    assert response.status_code == 400 and not Membership.objects.filter(group=group).exists()


def test_the_owners_tab_adds_an_exact_display_name(client, tenant, group, owner):
    colleague = UserFactory(tenant=tenant, display_name="Patti Fernandez")
    client.force_login(owner)
    response = client.post(reverse("group_owner_add", args=[group.id]), {"q": "Patti Fernandez"}, **HX)
    assert "Patti Fernandez is now an owner." in response.content.decode()
    assert Ownership.objects.filter(group=group, user=colleague).exists()
