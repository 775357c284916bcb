"""Issue 4's table of who opens which admin page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGES = ("group_list", "group_settings", "user_list", "audit_log")
EXPECTED = {
    "globalAdministrator": {"group_list": 200, "group_settings": 200, "user_list": 200, "audit_log": 200},
    "groupsAdministrator": {"group_list": 200, "group_settings": 200, "user_list": 200, "audit_log": 403},
    # Members list the users' basic profiles (the directory read policy, portal.directory_policy).
    "reportsReader": {"group_settings": 403, "user_list": 200, "audit_log": 200},
    None: {"group_settings": 403, "user_list": 200, "audit_log": 403},
}


@pytest.mark.parametrize("role", list(EXPECTED), ids=lambda r: r or "ordinary user")
def test_it_opens_each_admin_page_only_for_the_roles_that_may(client, tenant, role):
    client.force_login(UserFactory(tenant=tenant, role=role))
    for name, status in EXPECTED[role].items():
        assert client.get(reverse(name)).status_code == status, name


def test_it_sends_anonymous_visitors_to_the_login_from_every_admin_page(client, db):
    for name in (*PAGES, "audit_export", "user_search", "settings_naming_preview"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name


def test_a_role_held_in_another_tenant_opens_nothing_here(client, tenant, other_tenant):
    stranger = UserFactory(tenant=other_tenant, role="globalAdministrator")
    client.force_login(stranger)
    mine = UserFactory(tenant=tenant)
    assert client.get(reverse("user_detail", args=[mine.id])).status_code == 404
    assert mine.display_name not in client.get(reverse("user_list")).content.decode()
    hits = client.get(reverse("user_search"), {"q": mine.display_name}).content.decode()
    assert mine.user_principal_name not in hits and 'role="option"' not in hits


def test_a_disabled_administrator_is_sent_to_the_login(client, tenant):
    admin = UserFactory(tenant=tenant, role="globalAdministrator")
    client.force_login(admin)
    admin.account_enabled = False
    admin.save()
    response = client.get(reverse("group_settings"))
    assert response.status_code == 302 and reverse("login") in response.url
