"""/groups/new/ takes owners and members by name, UPN, mail or id, resolved as the members tab does."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups.models import Group
from tests.factories import DeviceFactory, GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


def _create(client, **values):
    data = {
        "kind": "security",
        "display_name": "Project X",
        "visibility": "Private",
        "membership_type": "assigned",
        "join_policy": "closed",
        **values,
    }
    return client.post(reverse("group_new"), data)


def test_it_takes_owners_and_members_by_display_name_mail_or_object_id(client, tenant, groups_admin):
    owner = UserFactory(tenant=tenant, display_name="Diego Siciliani")
    person = UserFactory(tenant=tenant, mail="Nestor@Example.test")
    inner = GroupFactory(tenant=tenant, display_name="Finance team")
    device = DeviceFactory(tenant=tenant)
    client.force_login(groups_admin)
    response = _create(
        client,
        owners="diego siciliani",
        members=f"nestor@example.test\nFinance Team\n{str(device.id).upper()}",
    )
    assert response.status_code == 302, response.context["form"].errors
    group = Group.objects.get(display_name="Project X")
    assert [o.user for o in group.ownerships.all()] == [owner]
    assert {m.member for m in group.memberships.all()} == {person, inner, device}


def test_it_names_the_objects_an_ambiguous_line_could_mean(client, tenant, groups_admin):
    UserFactory(tenant=tenant, display_name="Alex Wilber", user_principal_name="alex1@example.test")
    UserFactory(tenant=tenant, display_name="Alex Wilber", user_principal_name="alex2@example.test")
    client.force_login(groups_admin)
    errors = _create(client, members="Alex Wilber").context["form"].errors["members"]
    assert errors == [
        "Can't add: “Alex Wilber” names 2 objects (Alex Wilber (alex1@example.test); Alex Wilber "
        "(alex2@example.test)): use a userPrincipalName or id."
    ]
    assert not Group.objects.exists()


def test_it_says_what_a_microsoft_365_group_takes_in_a_sentence(client, tenant, groups_admin):
    GroupFactory(tenant=tenant, display_name="Inner")
    client.force_login(groups_admin)
    response = _create(client, kind="microsoft365", mail_nickname="x", members="Inner")
    assert response.context["form"].errors["members"] == [
        "Can't add: “Inner” isn't a user of your organization."
    ]
