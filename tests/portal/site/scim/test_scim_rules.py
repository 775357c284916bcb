"""Who may provision what, filters and their case rules, paging, and SCIM error bodies."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from groups.authz import PROVISIONED_REFUSAL
from groups.models import Group
from groups.services import membership
from portal.authz import decide
from portal.errors import Conflict
from portal.models import AuditEvent, User
from portal.services import user_restore
from portal.tokens import api_token_create, api_token_revoke
from tests import factories
from tests.portal.site.scim.conftest import Scim

pytestmark = pytest.mark.django_db

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def new_user(scim, name: str, **extra) -> dict:
    response = scim("POST", "Users", {"schemas": [CORE], "userName": name, **extra})
    assert response.status_code == 201, response.body
    return response.body


def test_a_provisioned_group_is_read_only_for_every_other_writer(scim, tenant, client):
    group = Group.objects.get(
        pk=scim("POST", "Groups", {"schemas": [GROUP], "displayName": "Pushed"}).body["id"]
    )
    admin = factories.UserFactory(tenant=tenant, role="globalAdministrator")
    other_app = Scim(tenant, app="Another IdP")
    someone = factories.UserFactory(tenant=tenant)
    refused = decide(admin, "members/update", group)
    assert not refused and refused.reason == PROVISIONED_REFUSAL
    with pytest.raises(PermissionDenied):
        membership.member_add(actor=admin, group=group, member=someone)
    # Another app doesn't even see it; the app that made it does.
    assert other_app("GET", f"Groups/{group.pk}").status_code == 404
    assert scim("GET", f"Groups/{group.pk}").status_code == 200
    client.force_login(admin)
    page = client.get(f"/groups/{group.pk}/")
    assert "provisioned by an identity provider (SCIM)" in page.content.decode()


def test_the_apps_role_decides_what_it_provisions(tenant):
    groups_app = Scim(tenant, app="Groups IdP", role="groupsAdministrator")
    readers = Scim(tenant, app="Reader", role="directoryReaders")
    assert groups_app("POST", "Users", {"schemas": [CORE], "userName": "a@contoso.test"}).status_code == 403
    assert groups_app("POST", "Groups", {"schemas": [GROUP], "displayName": "G"}).status_code == 201
    assert readers("GET", "Users").status_code == 200
    assert Scim(tenant, app="Reports", role="reportsReader")("GET", "Users").status_code == 403
    refused = readers("POST", "Users", {"schemas": [CORE], "userName": "b@contoso.test"})
    assert refused.status_code == 403 and refused.body["schemas"] == [
        "urn:ietf:params:scim:api:messages:2.0:Error"
    ]


def test_it_takes_only_live_app_tokens(scim, tenant, client):
    assert client.get("/scim/v2/Users").status_code == 401
    user = factories.UserFactory(tenant=tenant, role="globalAdministrator")
    _, secret = api_token_create(tenant=tenant, actor="tests", user=user)
    assert client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {secret}"}).status_code == 403
    api_token_revoke(token=scim.token, actor="tests")
    assert scim("GET", "Users").status_code == 401


def test_it_filters_with_the_rfc_operators_and_case_rules(scim):
    ada = new_user(scim, "ada@contoso.test", externalId="Ext-1", title="Engineer", displayName="Ada Lovelace")
    bob = new_user(scim, "bob@contoso.test", externalId="ext-2", displayName="Bob Marley", active=False)

    def ids(expression: str) -> set[str]:
        response = scim("GET", "Users", QUERY_STRING=f"filter={expression}")
        assert response.status_code == 200, response.body
        return {r["id"] for r in response.body["Resources"]}

    assert ids('userName eq "ADA@contoso.test"') == {ada["id"]}
    assert ids('externalId eq "ext-1"') == set()  # externalId is case-exact
    assert ids('externalId eq "Ext-1"') == {ada["id"]}
    assert ids('displayName co "LOVE"') == {ada["id"]}
    assert ids('userName sw "bo"') == {bob["id"]}
    assert ids('userName ew "@contoso.test" and not (title pr)') == {bob["id"]}
    assert ids('(title eq "Engineer") or (active eq false)') == {ada["id"], bob["id"]}
    assert ids('active eq "False"') == {bob["id"]}
    assert ids('userName ne "ada@contoso.test" and userName gt "b"') == {bob["id"]}
    assert ids(f'id eq "{ada["id"]}"') == {ada["id"]}
    assert ids('emails[value co "ada"]') == set()
    for bad in (
        'userName eq "x',
        "nickName pr",
        'userName zz "x"',
        "not (" * 300 + "userName pr" + ")" * 300,
    ):
        response = scim("GET", "Users", QUERY_STRING=f"filter={bad}")
        assert (response.status_code, response.body.get("scimType")) == (400, "invalidFilter"), (
            bad,
            response.body,
        )


def test_it_pages_and_selects_attributes(scim):
    for i in range(5):
        new_user(scim, f"user{i}@contoso.test")
    page = scim("GET", "Users", QUERY_STRING="startIndex=2&count=2&attributes=userName").body
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [r["userName"] for r in page["Resources"]] == ["user1@contoso.test", "user2@contoso.test"]
    assert set(page["Resources"][0]) == {"id", "userName", "schemas"}


def test_it_answers_scim_errors_with_their_scim_type(scim):
    user = new_user(scim, "err@contoso.test")
    cases = [
        ("POST", "Users", "{not json", 400, "invalidSyntax"),
        ("POST", "Users", {"schemas": [CORE], "userName": "has space@x"}, 400, "invalidValue"),
        (
            "POST",
            "Users",
            {"schemas": [CORE], "userName": "x@contoso.test", "title": "t" * 200},
            400,
            "invalidValue",
        ),
        (
            "PATCH",
            f"Users/{user['id']}",
            {"schemas": [PATCH], "Operations": [{"op": "jump", "path": "title"}]},
            400,
            None,
        ),
        (
            "PATCH",
            f"Users/{user['id']}",
            {
                "schemas": [PATCH],
                "Operations": [{"op": "replace", "path": 'emails[value co "x"].value', "value": "a@b.com"}],
            },
            400,
            "noTarget",
        ),
        (
            "PATCH",
            f"Users/{user['id']}",
            {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "id", "value": "other"}]},
            400,
            "mutability",
        ),
        ("GET", "Users/not-an-id", None, 404, None),
        ("GET", "Nowhere", None, 404, None),
    ]
    for method, path, body, status, scim_type in cases:
        response = scim(method, path, body)
        assert response.status_code == status, (method, path, response.body)
        assert response.body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        if scim_type:
            assert response.body.get("scimType") == scim_type, (method, path, response.body)


def test_lists_take_the_same_queries_whatever_their_length(scim, tenant):
    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert scim("GET", path).status_code == 200
        return len(captured)

    group = scim("POST", "Groups", {"schemas": [GROUP], "displayName": "Big"}).body["id"]
    counts = []
    for size in (2, 8):
        people = [
            factories.UserFactory(tenant=tenant, manager=factories.UserFactory(tenant=tenant))
            for _ in range(size)
        ]
        add = {"op": "add", "path": "members", "value": [{"value": str(p.pk)} for p in people]}
        scim("PATCH", f"Groups/{group}", {"schemas": [PATCH], "Operations": [add]})
        scim("POST", "Groups", {"schemas": [GROUP], "displayName": f"G{size}"})
        counts.append((queries("Users"), queries("Groups")))
    assert counts[0] == counts[1]


def test_a_deleted_users_name_is_free_for_a_new_user_and_the_old_one_restores_under_it_when_free(
    scim, tenant
):
    """RFC 7644 §3.6: a deleted resource is no conflict; Entra frees a deleted user's name the same way
    (object id + name) and restores it when it is still free."""
    first = new_user(scim, "rehire@contoso.test")
    assert scim("DELETE", f"Users/{first['id']}").status_code == 204
    deleted = User.objects.get(pk=first["id"])
    assert deleted.user_principal_name == f"{deleted.pk.hex}rehire@contoso.test"
    event = AuditEvent.objects.get(activity="Delete user", target_id=first["id"])
    assert event.before["userPrincipalName"] == "rehire@contoso.test"
    second = new_user(scim, "rehire@contoso.test")  # was a 409
    assert second["id"] != first["id"]
    listed = scim("GET", 'Users?filter=userName eq "rehire@contoso.test"').body
    assert [r["id"] for r in listed["Resources"]] == [second["id"]]
    admin = factories.UserFactory(tenant=tenant, role="globalAdministrator")
    with pytest.raises(Conflict, match="Another user has the name rehire@contoso.test"):
        user_restore(actor=admin, user=deleted)
    assert scim("DELETE", f"Users/{second['id']}").status_code == 204
    restored = user_restore(actor=admin, user=deleted)
    assert restored.user_principal_name == "rehire@contoso.test" and restored.deleted_date_time is None


def test_a_name_kept_by_a_user_deleted_earlier_is_freed_by_the_create(scim, tenant):
    kept = factories.UserFactory(tenant=tenant, user_principal_name="old@contoso.test")
    User.objects.filter(pk=kept.pk).update(
        deleted_date_time=timezone.now()
    )  # deleted before names were freed
    created = new_user(scim, "old@contoso.test")
    kept.refresh_from_db()
    assert kept.user_principal_name == f"{kept.pk.hex}old@contoso.test"
    assert AuditEvent.objects.filter(activity="Update user", target_id=str(kept.pk)).exists()
    assert created["userName"] == "old@contoso.test"
    # A live user's name, or a deleted user's of another tenant, is still taken.
    factories.UserFactory(tenant=tenant, user_principal_name="live@contoso.test")
    assert scim("POST", "Users", {"schemas": [CORE], "userName": "live@contoso.test"}).status_code == 409
    elsewhere = factories.UserFactory(user_principal_name="theirs@contoso.test")
    User.objects.filter(pk=elsewhere.pk).update(deleted_date_time=timezone.now())
    assert scim("POST", "Users", {"schemas": [CORE], "userName": "theirs@contoso.test"}).status_code == 409
