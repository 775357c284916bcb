from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_it_signs_in_by_user_principal_name_in_any_case(client, member):
    response = client.post(
        reverse("login"), {"username": member.user_principal_name.upper(), "password": PASSWORD}
    )
    assert response.status_code == 302 and response.url == reverse("my_groups")
    assert client.get(reverse("my_groups")).status_code == 200


def test_it_refuses_a_wrong_password_with_a_message(client, member):
    response = client.post(reverse("login"), {"username": member.user_principal_name, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()


def test_it_refuses_a_disabled_account(client, tenant):
    user = UserFactory(tenant=tenant, account_enabled=False)
    response = client.post(reverse("login"), {"username": user.user_principal_name, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_it_ends_a_disabled_accounts_session_on_the_next_request(client, member):
    client.force_login(member)
    member.account_enabled = False
    member.save()
    response = client.get(reverse("my_groups"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_it_sends_anonymous_visitors_to_the_login(client, db):
    for name in ("my_groups", "group_list", "audit_log", "group_settings", "user_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name


def test_it_signs_out(client, member):
    client.force_login(member)
    client.post(reverse("logout"))
    assert client.get(reverse("my_groups")).status_code == 302


def test_it_answers_healthz_with_a_database_check(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}
    assert AuditEvent.objects.count() == 0
