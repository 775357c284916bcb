from __future__ import annotations

import pytest
from django.urls import reverse

from groups.models import Group
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_scopes_querysets_to_one_tenant(tenant, other_tenant):
    mine = GroupFactory(tenant=tenant)
    GroupFactory(tenant=other_tenant)
    assert list(Group.objects.for_tenant(tenant)) == [mine]
    assert list(Group.objects.for_tenant(None)) == []


def test_it_answers_404_for_another_tenants_group_even_to_its_global_admin(client, tenant, other_tenant):
    theirs = GroupFactory(tenant=other_tenant)
    client.force_login(UserFactory(tenant=tenant, role="globalAdministrator"))
    assert client.get(reverse("group_detail", args=[theirs.id])).status_code == 404
    mine = GroupFactory(tenant=tenant)
    assert client.get(reverse("group_detail", args=[mine.id])).status_code == 200


def test_it_hides_admin_navigation_from_ordinary_users(client, member, admin_user):
    client.force_login(member)
    page = client.get(reverse("my_groups")).content.decode()
    assert ">My groups<" in page and ">Audit<" not in page and ">Settings<" not in page
    assert client.get(reverse("audit_log")).status_code == 403
    client.force_login(admin_user)
    page = client.get(reverse("my_groups")).content.decode()
    assert ">Audit<" in page and ">Settings<" in page and ">Groups<" in page


def test_it_marks_only_the_most_specific_navigation_item_current(client, member):
    client.force_login(member)
    page = client.get(reverse("discover")).content.decode()
    assert page.count('aria-current="page"') == 1
    assert 'href="/my/groups/discover/" aria-current="page"' in page
