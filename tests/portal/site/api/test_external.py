"""/external/connections, its groups, members and items, and POST /search/query: shapes of v1.0 and beta,
Graph errors for bad input (400/404, never 500), authorization, tenant isolation, security trimming."""

from __future__ import annotations

import pytest

from portal.models import AuditEvent
from tests import factories
from tests.portal.site.api.conftest import error_of

pytestmark = pytest.mark.django_db
BASE = "/v1.0/external/connections"


@pytest.fixture
def admin_api(api_as, tenant):
    return api_as(factories.UserFactory(tenant=tenant, role="searchAdministrator"))


@pytest.fixture
def hr(admin_api):
    response = admin_api.post(BASE, {"id": "contosohr", "name": "Contoso HR", "description": "Tickets"})
    assert response.status_code == 201, response.content
    return "contosohr"


def test_connections_are_created_listed_read_patched_and_deleted(admin_api, hr, tenant):
    assert admin_api.get(BASE).json()["value"] == [
        {"id": "contosohr", "name": "Contoso HR", "description": "Tickets", "state": "ready"}
    ]
    assert admin_api.patch(f"{BASE}/{hr}", {"name": "HR"}).status_code == 204
    assert admin_api.get(f"{BASE}/{hr}").json()["name"] == "HR"
    assert admin_api.delete(f"{BASE}/{hr}").status_code == 204
    assert error_of(admin_api.get(f"{BASE}/{hr}")) == (404, "Request_ResourceNotFound")
    assert AuditEvent.objects.filter(tenant=tenant, category="ExternalConnections").count() == 3


def test_groups_and_members_in_both_spellings_and_versions(admin_api, hr, tenant):
    alice = factories.UserFactory(tenant=tenant)
    team = factories.GroupFactory(tenant=tenant)
    assert (
        admin_api.post(f"{BASE}/{hr}/groups", {"id": "support", "displayName": "Support"}).status_code == 201
    )
    seed = f"/beta/external/connections/{hr}/externalGroups"
    assert admin_api.post(seed, {"id": "contosoEscalations", "description": "Tier-1"}).status_code == 201
    members = f"{seed}/contosoEscalations/externalGroupMembers"
    for body in (
        {"id": "support", "type": "group", "identitySource": "external"},
        {"id": str(alice.pk), "type": "user", "identitySource": "Azure Active Directory"},
    ):
        assert admin_api.post(members, body).status_code == 201
    v1 = f"{BASE}/{hr}/groups/contosoEscalations/members"
    assert admin_api.post(v1, {"id": str(team.pk), "type": "group"}).status_code == 201
    got = sorted(admin_api.get(v1).json()["value"], key=lambda m: m["type"])
    assert [(m["id"], m["type"]) for m in got] == [
        ("support", "externalGroup"),
        (str(team.pk), "group"),
        (str(alice.pk), "user"),
    ]
    beta = {m["id"]: (m["type"], m["identitySource"]) for m in admin_api.get(members).json()["value"]}
    assert beta["support"] == ("group", "external") and beta[str(alice.pk)] == (
        "user",
        "azureActiveDirectory",
    )
    assert admin_api.delete(f"{v1}/support").status_code == 204
    assert error_of(admin_api.delete(f"{v1}/support")) == (404, "Request_ResourceNotFound")
    assert admin_api.patch(f"{BASE}/{hr}/groups/support", {"displayName": "Help"}).status_code == 204
    assert admin_api.get(f"{BASE}/{hr}/groups/support").json()["displayName"] == "Help"
    assert admin_api.delete(f"{BASE}/{hr}/groups/support").status_code == 204


def test_items_are_put_read_and_deleted_with_their_acl(admin_api, hr, tenant):
    alice = factories.UserFactory(tenant=tenant)
    body = {
        "@odata.type": "microsoft.graph.externalItem",
        "acl": [
            {
                "type": "user",
                "value": str(alice.pk),
                "accessType": "grant",
                "identitySource": "Azure Active Directory",
            },
            {
                "type": "group",
                "value": "contosEscalations",
                "accessType": "deny",
                "identitySource": "External",
            },
            {"type": "everyoneExceptGuests", "value": str(tenant.pk), "accessType": "grant"},
        ],
        "properties": {"title": "Error in the payment gateway", "priority": 1},
        "content": {"value": "<h1>Error</h1>", "type": "html"},
    }
    put = admin_api.client.put(
        f"{BASE}/{hr}/items/ticket1", body, content_type="application/json", headers=admin_api._headers(None)
    )
    assert put.status_code == 200, put.content
    item = admin_api.get(f"{BASE}/{hr}/items/ticket1").json()
    assert item["acl"][1] == {"type": "externalGroup", "value": "contosEscalations", "accessType": "deny"}
    assert item["properties"]["priority"] == 1 and item["content"] == {
        "type": "html",
        "value": "<h1>Error</h1>",
    }
    beta = admin_api.get(f"/beta/external/connections/{hr}/items/ticket1").json()
    assert beta["acl"][1]["type"] == "group" and beta["acl"][1]["identitySource"] == "external"
    assert admin_api.delete(f"{BASE}/{hr}/items/ticket1").status_code == 204
    assert error_of(admin_api.get(f"{BASE}/{hr}/items/ticket1"))[0] == 404


@pytest.mark.parametrize(
    "path,body",
    [
        ("groups", {"id": "x" * 129}),
        ("groups", {"id": "has/slash"}),
        ("groups", {"id": 12}),
        ("groups/none/members", {"id": "x", "type": "externalGroup"}),
    ],
)
def test_bad_input_is_a_graph_400_or_404(admin_api, hr, path, body):
    assert error_of(admin_api.post(f"{BASE}/{hr}/{path}", body))[0] in (400, 404)


def test_bad_items_and_members_are_400_or_404(admin_api, hr, api_as, other_tenant, tenant):
    admin_api.post(f"{BASE}/{hr}/groups", {"id": "g"})
    members = f"{BASE}/{hr}/groups/g/members"
    stranger = factories.UserFactory(tenant=other_tenant)
    assert error_of(admin_api.post(members, {"id": str(stranger.pk), "type": "user"})) == (
        404,
        "Request_ResourceNotFound",
    )
    assert error_of(admin_api.post(members, {"id": "g", "type": "robot"}))[0] == 400
    assert error_of(admin_api.post(members, {"id": "nope", "type": "externalGroup"}))[0] == 404
    put = lambda item_id, raw: admin_api.client.put(  # noqa: E731
        f"{BASE}/{hr}/items/{item_id}", raw, content_type="application/json", headers=admin_api._headers(None)
    )
    assert error_of(put("i1", "{}"))[0] == 400
    assert error_of(put("i1", '{"acl": [{"type": "robot", "value": "x", "accessType": "grant"}]}'))[0] == 400
    assert (
        error_of(put("x" * 200, '{"acl": [{"type": "everyone", "value": "x", "accessType": "grant"}]}'))[0]
        == 400
    )
    assert error_of(put("i1", "[1, 2"))[0] == 400
    assert error_of(admin_api.post(BASE, {"id": "a b", "name": "N"}))[0] == 400
    assert error_of(admin_api.post(BASE, {"id": hr, "name": "Again"}))[0] == 400
    assert error_of(admin_api.get(f"{BASE}/{'x' * 500}"))[0] == 404


def test_other_roles_and_tenants_get_403_and_404(api_as, hr, tenant, other_tenant):
    reader = api_as(factories.UserFactory(tenant=tenant, role="groupsAdministrator"))
    assert error_of(reader.get(BASE))[0] == 403
    assert error_of(reader.get(f"{BASE}/{hr}"))[0] == 403
    outsider = api_as(factories.UserFactory(tenant=other_tenant, role="searchAdministrator"))
    assert outsider.get(BASE).json()["value"] == []
    assert error_of(outsider.get(f"{BASE}/{hr}"))[0] == 404
    assert error_of(outsider.post(f"{BASE}/{hr}/groups", {"id": "x"}))[0] == 404
    app = api_as(app="Indexer", role="globalAdministrator", tenant=tenant)
    assert app.get(f"{BASE}/{hr}").status_code == 200


def _search(api, query, sources, **extra):
    body = {
        "requests": [
            {
                "entityTypes": ["externalItem"],
                "contentSources": sources,
                "query": {"queryString": query},
                **extra,
            }
        ]
    }
    return api.post("/v1.0/search/query", body)


def test_search_returns_only_what_the_user_may_see(admin_api, hr, api_as, tenant):
    alice, bob = factories.UserFactory(tenant=tenant), factories.UserFactory(tenant=tenant)
    for item_id, who in (("a1", alice), ("b1", bob)):
        body = {
            "acl": [{"type": "user", "value": str(who.pk), "accessType": "grant"}],
            "properties": {"title": f"Gateway error {item_id}"},
            "content": {"type": "text", "value": "The payment gateway failed"},
        }
        admin_api.client.put(
            f"{BASE}/{hr}/items/{item_id}",
            body,
            content_type="application/json",
            headers=admin_api._headers(None),
        )
    response = _search(api_as(alice), "gateway", [f"/external/connections/{hr}"])
    assert response.status_code == 200, response.content
    container = response.json()["value"][0]["hitsContainers"][0]
    assert container["total"] == 1 and [h["hitId"] for h in container["hits"]] == ["a1"]
    hit = container["hits"][0]
    assert hit["rank"] == 1 and "<c0>gateway</c0>" in hit["summary"].lower()
    assert hit["resource"]["properties"]["title"] == "Gateway error a1"
    app = api_as(app="Indexer", role="globalAdministrator", tenant=tenant)
    assert (
        _search(app, "gateway", [f"/external/connections/{hr}"]).json()["value"][0]["hitsContainers"][0][
            "total"
        ]
        == 0
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"requests": []},
        {"requests": [{"entityTypes": ["message"], "query": {"queryString": "x"}}]},
        {"requests": [{"entityTypes": ["externalItem"], "query": {"queryString": "x"}}]},
        {
            "requests": [
                {
                    "entityTypes": ["externalItem"],
                    "contentSources": ["/external/connections/nope"],
                    "query": {"queryString": "x"},
                }
            ]
        },
        {
            "requests": [
                {
                    "entityTypes": ["externalItem"],
                    "contentSources": ["sharepoint"],
                    "query": {"queryString": "x"},
                }
            ]
        },
        {
            "requests": [
                {
                    "entityTypes": ["externalItem"],
                    "contentSources": ["/external/connections/contosohr"],
                    "query": "x",
                }
            ]
        },
        {
            "requests": [
                {
                    "entityTypes": ["externalItem"],
                    "contentSources": ["/external/connections/contosohr"],
                    "query": {"queryString": "x"},
                    "size": 0,
                }
            ]
        },
    ],
)
def test_bad_search_requests_are_400(admin_api, hr, body):
    assert error_of(admin_api.post("/v1.0/search/query", body))[0] == 400


def test_search_spans_several_connections_and_pages(admin_api, hr, api_as, tenant):
    alice = factories.UserFactory(tenant=tenant)
    assert admin_api.post(BASE, {"id": "wiki", "name": "Wiki"}).status_code == 201
    for connection_id in (hr, "wiki"):
        for n in range(3):
            body = {
                "acl": [{"type": "everyone", "value": str(tenant.pk), "accessType": "grant"}],
                "properties": {"title": f"Holiday policy {n}"},
            }
            admin_api.client.put(
                f"{BASE}/{connection_id}/items/p{n}",
                body,
                content_type="application/json",
                headers=admin_api._headers(None),
            )
    sources = [f"/external/connections/{hr}", "/external/connections/wiki"]
    first = _search(api_as(alice), "holiday", sources, size=4).json()["value"][0]["hitsContainers"][0]
    assert first["total"] == 6 and len(first["hits"]) == 4 and first["moreResultsAvailable"] is True
    rest = _search(api_as(alice), "holiday", sources, size=4, **{"from": 4}).json()["value"][0][
        "hitsContainers"
    ][0]
    assert [h["rank"] for h in rest["hits"]] == [5, 6] and rest["moreResultsAvailable"] is False
    assert {h["contentSource"] for h in first["hits"] + rest["hits"]} == {
        f"/{s.lstrip('/')}" for s in sources
    }


def test_seed_001s_lowercase_spelling_and_reading_one_member(admin_api, hr, tenant):
    alice = factories.UserFactory(tenant=tenant)
    seed = f"/beta/external/connections/{hr}/externalgroups"
    assert admin_api.post(seed, {"id": "contosoSupport"}).status_code == 201
    members = f"{seed}/contosoSupport/externalGroupMembers"
    body = {"id": str(alice.pk).upper(), "type": "user", "identitySource": "Azure Active Directory"}
    assert admin_api.post(members, body).status_code == 201
    one = admin_api.get(f"{BASE}/{hr}/groups/contosoSupport/members/{alice.pk}").json()
    assert one["id"] == str(alice.pk) and one["type"] == "user"
    assert error_of(admin_api.post(members, body)) == (400, "Request_BadRequest")  # already a member
