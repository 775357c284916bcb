"""A NUL character in any input is refused with a 400 naming where it was, before any view runs.

PostgreSQL's text columns can't hold NUL: sent to the database it was a 500 (DataError). The guard is one
middleware (portal.site.middleware.BadInputMiddleware) for the path, the query string, form fields,
cookies and JSON bodies; the CSV uploads refuse a NUL cell with its line number.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from groups.models import Membership
from portal.models import User
from portal.site import middleware
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(tenant, admin_user, member):
    return factories.GroupFactory(tenant=tenant, owners=[admin_user], members=[member])


@pytest.fixture
def admin_client(admin_user):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


def _page_refusal(response, field: str) -> str:
    body = response.content.decode()
    assert response.status_code == 400, (response.status_code, body[:300])
    assert "NUL" in body and field in body, body
    return body


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/users/search/", {"q": "a\x00b"}, "q"),
        ("/devices/", {"q": "a\x00b"}, "q"),
        ("/users/", {"q": "x", "depart\x00ment": "x"}, "depart"),
        ("/audit/", {"activity": "\x00"}, "activity"),
    ],
)
def test_it_refuses_a_nul_in_the_query_string_of_a_page(admin_client, path, params, field):
    _page_refusal(admin_client.get(path, params), field)


def test_it_refuses_a_nul_in_the_rule_check_and_rule_validation(admin_client, group):
    _page_refusal(admin_client.get(reverse("group_rule", args=[group.pk]), {"check": "a\x00b"}), "check")
    response = admin_client.post(
        reverse("group_rule_validate", args=[group.pk]), {"rule": 'user.department -eq "a\x00b"'}
    )
    _page_refusal(response, "rule")


def test_it_refuses_a_nul_in_a_form_field_and_changes_nothing(admin_client, group, tenant, member):
    response = admin_client.post(reverse("group_member_add", args=[group.pk]), {"q": "x\x00@y.test"})
    _page_refusal(response, "q")
    response = admin_client.post(reverse("login"), {"username": "a\x00b", "password": "x"})
    _page_refusal(response, "username")
    user = factories.UserFactory(tenant=tenant, department="Sales")
    response = admin_client.post(reverse("user_edit", args=[user.pk]), {"department": "Fin\x00ance"})
    _page_refusal(response, "department")
    assert User.objects.get(pk=user.pk).department == "Sales"


def test_it_refuses_a_nul_in_a_cookie():
    client = Client(raise_request_exception=False)
    cookie = 'sessionid="abcdefgh\\000ijklmnop"'  # a quoted cookie value: \000 is a NUL
    _page_refusal(client.get(reverse("login"), HTTP_COOKIE=cookie), "sessionid")


# --- CSV uploads: the line of the NUL ---------------------------------------------------------------


def test_it_refuses_a_nul_cell_in_a_member_csv_with_its_line(admin_client, group, tenant):
    newcomer = factories.UserFactory(tenant=tenant)
    text = f"userPrincipalName\n{newcomer.user_principal_name}\nbad\x00@x.test\n"
    upload = SimpleUploadedFile("members.csv", text.encode(), content_type="text/csv")
    response = admin_client.post(reverse("group_members_import", args=[group.pk]), {"file": upload})
    body = response.content.decode()
    assert response.status_code == 400 and "line 3" in body and "NUL" in body, body[:500]
    assert not Membership.objects.filter(group=group, member_user=newcomer).exists()


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("import_users", "userPrincipalName,displayName\nann@contoso.test,Ann\nbob@contoso.test,B\x00b\n"),
        ("import_devices", "displayName,deviceModel\nLaptop 1,X1\nLaptop 2,X\x002\n"),
    ],
)
def test_it_refuses_a_nul_cell_in_the_import_commands_with_its_line(tenant, tmp_path, capsys, command, text):
    path = tmp_path / "file.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command(command, "--tenant", tenant.slug, str(path))
    assert f"{path}:3: " in capsys.readouterr().err
    assert not User.objects.filter(user_principal_name="ann@contoso.test").exists()


def test_it_refuses_a_query_string_too_long_to_parse_before_parsing_it(admin_client, group, monkeypatch):
    """gunicorn refuses a request line over 4,094 bytes; runserver and the tests had no limit, and a
    100,000-character query string cost 50-100 ms of percent-decoding per request."""
    api = Client(raise_request_exception=False)
    long = {"q": "é" * 2000}  # 12,000 characters once percent-encoded
    monkeypatch.setattr(middleware, "nul_location", mock.Mock(side_effect=AssertionError("parsed")))
    page = admin_client.get("/groups/", long)
    assert page.status_code == 414 and "too long" in page.content.decode()
    graph = api.get("/v1.0/groups", long)
    assert graph.status_code == 414 and graph.json()["error"]["code"] == "Request_BadRequest"
    scim = api.get("/scim/v2/Users", long)
    assert scim.status_code == 414 and "too long" in scim.json()["detail"]
    monkeypatch.undo()
    assert admin_client.get("/groups/", {"q": "é" * 1000}).status_code == 200  # 6,000: under the limit
