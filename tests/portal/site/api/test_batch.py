"""JSON batching: POST /$batch runs up to 20 requests, each answered with its own status, headers and
body, in dependsOn order; a request whose dependency failed is answered 424."""

from __future__ import annotations

import pytest
from django.test import Client

from groups.models import Group, Membership
from portal.models import AuditEvent
from tests import factories
from tests.portal.site.api.conftest import error_of, ref

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    return factories.TenantFactory()


@pytest.fixture
def admin(tenant):
    return factories.UserFactory(tenant=tenant, role="groupsAdministrator")


def answers(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {a["id"]: a for a in response.json()["responses"]}


def test_a_batch_answers_each_request_with_its_own_status_headers_and_body(api_as, admin, tenant):
    alex = factories.UserFactory(tenant=tenant, display_name="Alex")
    group = factories.GroupFactory(tenant=tenant, display_name="Falcon")
    body = {
        "requests": [
            {"id": "1", "method": "GET", "url": f"/users/{alex.pk}?$select=displayName"},
            {"id": "2", "method": "GET", "url": "/groups/00000000-0000-0000-0000-000000000000"},
            {
                "id": "3",
                "method": "POST",
                "url": f"/groups/{group.pk}/members/$ref",
                "headers": {"Content-Type": "application/json"},
                "body": ref(alex),
            },
            {"id": "4", "method": "GET", "url": "/v1.0/groups?$select=displayName", "dependsOn": ["3"]},
            {"id": "5", "method": "GET", "url": "/noSuchThing"},
        ]
    }
    got = answers(api_as(admin).post("/v1.0/$batch", body))
    assert got["1"]["status"] == 200 and got["1"]["body"]["displayName"] == "Alex"
    assert got["1"]["headers"]["Content-Type"].startswith("application/json")
    assert got["2"]["status"] == 404 and got["2"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert got["3"]["status"] == 204 and "body" not in got["3"]
    assert Membership.objects.filter(group=group, member_user=alex).exists()
    assert [g["displayName"] for g in got["4"]["body"]["value"]] == ["Falcon"]
    assert got["5"]["status"] == 400 and "noSuchThing" in got["5"]["body"]["error"]["message"]
    # The change inside the batch was audited as the batch's caller.
    event = AuditEvent.objects.get(tenant=tenant, activity="Add member to group")
    assert event.actor_id == str(admin.pk)


def test_a_failed_dependency_is_answered_424_and_what_depends_on_it_never_runs(api_as, admin, tenant):
    body = {
        "requests": [
            {"id": "a", "method": "GET", "url": "/groups/not-an-id"},
            {
                "id": "b",
                "method": "POST",
                "url": "/groups",
                "dependsOn": ["a"],
                "headers": {"Content-Type": "application/json"},
                "body": {
                    "displayName": "Never",
                    "mailNickname": "never",
                    "mailEnabled": False,
                    "securityEnabled": True,
                },
            },
            {"id": "c", "method": "GET", "url": "/groups", "dependsOn": ["b"]},
        ]
    }
    got = answers(api_as(admin).post("/v1.0/$batch", body))
    assert got["a"]["status"] == 400
    assert got["b"]["status"] == 424 and got["b"]["body"]["error"]["code"] == "FailedDependency"
    assert got["c"]["status"] == 424
    assert not Group.objects.filter(display_name="Never").exists()


def test_depends_on_orders_the_requests_and_a_created_object_is_there_for_the_next(api_as, admin, tenant):
    body = {
        "requests": [
            {"id": "list", "method": "GET", "url": "/groups?$select=displayName", "depends_on": ["create"]},
            {
                "id": "create",
                "method": "POST",
                "url": "/groups",
                "headers": {"Content-Type": "application/json"},
                "body": {
                    "displayName": "Made",
                    "mailNickname": "made",
                    "mailEnabled": False,
                    "securityEnabled": True,
                },
            },
        ]
    }
    response = api_as(admin).post("/beta/$batch", body)
    assert [a["id"] for a in response.json()["responses"]] == ["create", "list"]
    got = answers(response)
    assert got["create"]["status"] == 201 and got["create"]["headers"]["Location"].endswith(
        got["create"]["body"]["id"]
    )
    assert [g["displayName"] for g in got["list"]["body"]["value"]] == ["Made"]


@pytest.mark.parametrize(
    "body",
    [
        {"requests": [{"id": str(n), "method": "GET", "url": "/me"} for n in range(21)]},
        {
            "requests": [
                {"id": "1", "method": "GET", "url": "/me"},
                {"id": "1", "method": "GET", "url": "/me"},
            ]
        },
        {"requests": [{"id": "1", "method": "GET", "url": "/me", "dependsOn": ["9"]}]},
        {
            "requests": [
                {"id": "1", "method": "GET", "url": "/me", "dependsOn": ["2"]},
                {"id": "2", "method": "GET", "url": "/me", "dependsOn": ["1"]},
            ]
        },
        {"requests": []},
        {"notRequests": 1},
        {"requests": ["GET /me"]},
    ],
    ids=["21 requests", "duplicate id", "unknown dependency", "cycle", "empty", "no requests", "not objects"],
)
def test_a_malformed_batch_is_refused_as_a_whole(api_as, admin, body):
    assert error_of(api_as(admin).post("/v1.0/$batch", body)) == (400, "BadRequest")


def test_bad_requests_inside_a_batch_are_answered_alone(api_as, admin):
    body = {
        "requests": [
            {"id": "1", "method": "TRACE", "url": "/me"},
            {"id": "2", "method": "GET", "url": "https://graph.microsoft.com/me"},
            {"id": "3", "method": "POST", "url": "/$batch", "body": {"requests": []}},
            {"id": "4", "method": "GET", "url": "/me"},
        ]
    }
    got = answers(api_as(admin).post("/v1.0/$batch", body))
    assert [got[i]["status"] for i in "123"] == [400, 400, 400]
    assert got["4"]["status"] == 200 and got["4"]["body"]["id"] == str(admin.pk)
    # Absolute URLs, as the SDK sends them: the path after the version counts.
    absolute = {"requests": [{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/me"}]}
    assert answers(api_as(admin).post("/v1.0/$batch", absolute))["1"]["body"]["id"] == str(admin.pk)


def test_a_batch_runs_with_its_callers_rights_and_tenant_only(api_as, tenant):
    member = factories.UserFactory(tenant=tenant)
    away = factories.GroupFactory(display_name="Away")  # another tenant's
    mine = factories.GroupFactory(tenant=tenant)
    body = {
        "requests": [
            {"id": "1", "method": "GET", "url": f"/groups/{away.pk}"},
            {"id": "2", "method": "DELETE", "url": f"/groups/{mine.pk}"},
            {
                "id": "3",
                "method": "GET",
                "url": "/groupSettings",
                "headers": {"Authorization": "Bearer other"},
            },
        ]
    }
    got = answers(api_as(member).post("/v1.0/$batch", body))
    assert got["1"]["status"] == 404 and "Away" not in str(got["1"]["body"])
    assert got["2"]["status"] == 403 and Group.objects.get(pk=mine.pk).deleted_date_time is None
    assert got["3"]["status"] == 403  # the batch's own token, whatever the request says
    assert Client().post("/v1.0/$batch", body, content_type="application/json").status_code == 401
