from __future__ import annotations

from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models.sql.compiler import SQLCompiler
from django.test import Client

from groups.models import CreatedIn, Group, GroupKind
from portal.authz import group_settings_for
from portal.models import ApiToken, AuditEvent, ServicePrincipal
from portal.services import SYSTEM
from portal.tokens import api_token_create, api_token_find, api_token_revoke, token_digest
from tests import factories
from tests.portal.site.api.conftest import Api, error_of

pytestmark = pytest.mark.django_db

NEW_GROUP = {
    "displayName": "Made by API",
    "mailNickname": "madebyapi",
    "mailEnabled": False,
    "securityEnabled": True,
}


def test_it_refuses_a_call_without_a_token(anonymous_api):
    response = anonymous_api.get("/v1.0/groups")
    assert error_of(response) == (401, "InvalidAuthenticationToken")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer nope", "Bearer gd_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer", "gd_abc"]
)
def test_it_refuses_a_bad_token(header, member):
    api = Api(Client(), None)
    response = api.get("/v1.0/groups", headers={"Authorization": header})
    assert error_of(response) == (401, "InvalidAuthenticationToken")


def test_it_refuses_a_revoked_token_from_the_next_call_on(member, api_as):
    api = api_as(member)
    assert api.get("/v1.0/me").status_code == 200
    token = ApiToken.objects.get(token_hash=token_digest(api.secret))
    api_token_revoke(token=token, actor=SYSTEM)
    assert error_of(api.get("/v1.0/me")) == (401, "InvalidAuthenticationToken")
    assert AuditEvent.objects.filter(activity="Revoke API token").count() == 1


def test_it_refuses_the_token_of_a_disabled_user(member, api_as):
    api = api_as(member)
    member.account_enabled = False
    member.save()
    assert error_of(api.get("/v1.0/me")) == (401, "InvalidAuthenticationToken")


def test_it_never_authenticates_with_a_session_cookie(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/groups/").status_code == 200  # the session itself works in the portal
    response = client.get("/v1.0/groups")
    assert error_of(response) == (401, "InvalidAuthenticationToken")
    response = client.post("/v1.0/groups", NEW_GROUP, content_type="application/json")
    assert response.status_code == 401
    assert not Group.objects.filter(mail_nickname="madebyapi").exists()


def test_it_takes_bearer_writes_without_a_csrf_token(admin_user, api_as):
    api = api_as(admin_user)
    api.client = Client(enforce_csrf_checks=True)
    assert api.post("/v1.0/groups", NEW_GROUP).status_code == 201


def test_it_acts_as_the_user_of_a_user_token(member, api_as):
    member.tenant.group_settings.users_can_create_security_groups = False
    member.tenant.group_settings.save()
    api = api_as(member)
    assert api.get("/v1.0/me").json()["userPrincipalName"] == member.user_principal_name
    assert error_of(api.post("/v1.0/groups", NEW_GROUP)) == (403, "Authorization_RequestDenied")


def test_it_acts_as_an_app_with_its_role(tenant, api_as):
    api = api_as(app="Provisioning", role="groupsAdministrator", tenant=tenant)
    response = api.post("/v1.0/groups", NEW_GROUP)
    assert response.status_code == 201
    group = Group.objects.get(pk=response.json()["id"])
    assert group.created_in == CreatedIn.API
    assert group.created_by is None
    assert not group.ownerships.exists()  # an app doesn't become an owner
    event = AuditEvent.objects.get(activity="Add group", target_id=str(group.pk))
    assert (event.actor_type, event.actor_name) == ("appActor", "Provisioning")
    assert error_of(api.get("/v1.0/me")) == (400, "BadRequest")


def test_it_gives_an_app_nothing_its_role_does_not_grant(tenant, api_as):
    group = factories.GroupFactory(tenant=tenant, join_policy="open")
    readers = api_as(app="Reader", role="directoryReaders", tenant=tenant)
    assert readers.get(f"/v1.0/groups/{group.pk}").status_code == 200
    assert error_of(readers.post("/v1.0/groups", NEW_GROUP)) == (403, "Authorization_RequestDenied")
    auditor = api_as(app="Auditor", role="reportsReader", tenant=tenant)
    # Every user of a tenant reads its groups and users; an app only what its role grants.
    assert error_of(auditor.get(f"/v1.0/groups/{group.pk}")) == (403, "Authorization_RequestDenied")
    assert error_of(auditor.get("/v1.0/users")) == (403, "Authorization_RequestDenied")
    assert auditor.get("/v1.0/groups").json()["value"] == []


def test_it_refuses_a_disabled_app(tenant, api_as):
    api = api_as(app="Old app", role="directoryReaders", tenant=tenant)
    ServicePrincipal.objects.filter(display_name="Old app").update(account_enabled=False)
    assert error_of(api.get("/v1.0/groups")) == (401, "InvalidAuthenticationToken")


def test_it_notes_when_a_token_was_last_used(member, api_as):
    api = api_as(member)
    token = ApiToken.objects.get(token_hash=token_digest(api.secret))
    assert token.last_used_date_time is None
    api.get("/v1.0/me")
    token.refresh_from_db()
    assert token.last_used_date_time is not None


def test_it_finds_a_token_with_its_actor_tenant_and_settings_in_one_query(
    member, tenant, django_assert_num_queries
):
    _, user_secret = api_token_create(tenant=tenant, actor=SYSTEM, user=member)
    _, app_secret = api_token_create(tenant=tenant, actor=SYSTEM, app_name="Sync", role="directoryReaders")
    api_token_find(user_secret), api_token_find(app_secret)  # their first use notes the time: a write
    with django_assert_num_queries(1):
        token = api_token_find(user_secret)
        assert token.user == member and token.service_principal is None
        assert token.user.tenant == tenant and group_settings_for(token.user.tenant).pk is not None
    with django_assert_num_queries(1):
        token = api_token_find(app_secret)
        assert token.service_principal.display_name == "Sync" and token.role == "directoryReaders"
        assert group_settings_for(token.service_principal.tenant).tenant_id == tenant.pk
    assert api_token_find(user_secret[:-1] + "x") is None


def test_it_compiles_no_sql_to_find_a_token_on_every_request(member, tenant):
    """Building the joined query's SQL cost more than the rest of a small API call: it is compiled once
    per connection, and a request only runs it."""
    _, secret = api_token_create(tenant=tenant, actor=SYSTEM, user=member)
    assert api_token_find(secret).user == member
    with mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("compiled again")):
        assert api_token_find(secret).user == member
        assert api_token_find("gd_unknown") is None
    api_token_revoke(token=ApiToken.objects.get(), actor=SYSTEM)
    assert api_token_find(secret) is None


def test_it_stores_only_a_hash_of_the_token(member, api_as):
    api = api_as(member)
    token = ApiToken.objects.get()
    assert api.secret not in (token.token_hash, token.prefix)
    assert api.secret.startswith(token.prefix)


def test_the_command_prints_a_working_user_token_once(member):
    out, err = StringIO(), StringIO()
    call_command(
        "create_api_token",
        "--tenant",
        member.tenant.slug,
        "--user",
        member.user_principal_name,
        stdout=out,
        stderr=err,
    )
    secret = out.getvalue().strip()
    assert Api(Client(), secret).get("/v1.0/me").json()["id"] == str(member.pk)
    assert secret not in err.getvalue()
    assert AuditEvent.objects.filter(activity="Add API token").count() == 1


def test_the_command_makes_an_app_token_with_a_role(tenant):
    out = StringIO()
    call_command(
        "create_api_token",
        "--tenant",
        tenant.slug,
        "--app",
        "HR sync",
        "--role",
        "Groups Administrator",
        stdout=out,
        stderr=StringIO(),
    )
    token = ApiToken.objects.get()
    assert (token.role, token.service_principal.display_name) == ("groupsAdministrator", "HR sync")
    assert Api(Client(), out.getvalue().strip()).post("/v1.0/groups", NEW_GROUP).status_code == 201


@pytest.mark.parametrize(
    "args, message",
    [
        (["--tenant", "nope", "--app", "x", "--role", "directoryReaders"], "No tenant"),
        (["--app", "x"], "needs --role"),
        (["--app", "x", "--role", "Emperor"], "Unknown role"),
        (["--user", "nobody@example.test"], "No user"),
    ],
)
def test_the_command_explains_what_is_wrong(tenant, args, message):
    if "--tenant" not in args:
        args = ["--tenant", tenant.slug, *args]
    with pytest.raises(CommandError, match=message):
        call_command("create_api_token", *args, stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()


def test_the_revoke_command_revokes(member, api_as):
    api = api_as(member)
    token = ApiToken.objects.get()
    call_command("revoke_api_token", token.prefix, stdout=StringIO())
    assert api.get("/v1.0/me").status_code == 401


def test_an_app_has_no_self_service_or_tenant_setting_rights(tenant):
    from groups.authz import GroupSpec
    from portal.authz import AppActor, can

    open_group = factories.GroupFactory(tenant=tenant, join_policy="open")
    app = AppActor(
        service_principal=factories.ServicePrincipalFactory(tenant=tenant), role="directoryReaders"
    )
    assert can(app, "standard/read", open_group)
    assert not can(app, "join", open_group)  # every user may join an open group; an app may not
    assert not can(app, "create", GroupSpec(kind=GroupKind.SECURITY))  # users may, by tenant setting
    assert not can(
        AppActor(service_principal=app.service_principal, role="nonsense"), "standard/read", open_group
    )
