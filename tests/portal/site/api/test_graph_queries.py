"""Issue 11, items 1–3: type casts as the SDK sends them, v1.0 properties under $select, and the query
options Graph scripts use (endsWith, $search, $expand, /$count, options without $ on /beta)."""

from __future__ import annotations

import pytest

from groups.licensing.models import GroupLicense, SubscribedSku
from groups.models import GroupKind
from portal.site.api.serializers import security_identifier
from tests import factories
from tests.portal.site.api.conftest import error_of

pytestmark = pytest.mark.django_db

EVENTUAL = {"ConsistencyLevel": "eventual"}


@pytest.fixture
def world(tenant):
    alex = factories.UserFactory(
        tenant=tenant, display_name="Alex Wilber", user_principal_name="alexw@c.test"
    )
    megan = factories.UserFactory(
        tenant=tenant, display_name="Megan Bowen", user_principal_name="meganb@d.test"
    )
    inner = factories.GroupFactory(tenant=tenant, display_name="Inner")
    device = factories.DeviceFactory(tenant=tenant)
    app = factories.ServicePrincipalFactory(tenant=tenant)
    outer = factories.GroupFactory(
        tenant=tenant, display_name="Outer", members=[alex, inner, device, app], owners=[megan]
    )
    inner.memberships.create(member_user=megan)
    return {"alex": alex, "megan": megan, "inner": inner, "outer": outer, "device": device, "app": app}


@pytest.mark.parametrize(
    ("cast", "key"),
    [
        ("graph.user", "alex"),
        ("microsoft.graph.user", "alex"),
        ("graph.group", "inner"),
        ("graph.device", "device"),
        ("graph.servicePrincipal", "app"),
        ("microsoft.graph.servicePrincipal", "app"),
    ],
)
def test_member_lists_take_both_spellings_of_a_cast(world, member, api_as, cast, key):
    body = api_as(member).get(f"/v1.0/groups/{world['outer'].pk}/members/{cast}").json()
    assert [o["id"] for o in body["value"]] == [str(world[key].pk)]


def test_casts_on_every_relation(world, groups_admin, api_as):
    api = api_as(groups_admin)
    outer, megan = world["outer"], world["megan"]
    ids = lambda path: [o["id"] for o in api.get(path).json()["value"]]  # noqa: E731
    assert set(ids(f"/v1.0/groups/{outer.pk}/transitiveMembers/graph.user")) == {
        str(world["alex"].pk),
        str(megan.pk),
    }
    assert ids(f"/v1.0/groups/{outer.pk}/owners/graph.user") == [str(megan.pk)]
    assert ids(f"/v1.0/users/{megan.pk}/memberOf/graph.group") == [str(world["inner"].pk)]
    assert set(ids(f"/v1.0/users/{megan.pk}/transitiveMemberOf/graph.group")) == {
        str(world["inner"].pk),
        str(outer.pk),
    }
    assert ids(f"/v1.0/groups/{world['inner'].pk}/memberOf/graph.group") == [str(outer.pk)]
    assert ids(f"/v1.0/devices/{world['device'].pk}/memberOf/graph.group") == [str(outer.pk)]
    assert error_of(api.get(f"/v1.0/groups/{outer.pk}/owners/graph.device"))[0] == 400


def test_a_select_of_a_v1_property_without_data_answers_null_or_empty(member, api_as):
    body = api_as(member).get(
        f"/v1.0/users/{member.pk}", **{"$select": "signInActivity,onPremisesImmutableId,skills,displayName"}
    )
    assert body.status_code == 200, body.content
    data = body.json()
    assert data["signInActivity"] is None and data["onPremisesImmutableId"] is None
    assert data["skills"] == [] and data["displayName"] == member.display_name
    group = factories.GroupFactory(tenant=member.tenant)
    data = (
        api_as(member)
        .get(f"/v1.0/groups/{group.pk}", **{"$select": "isArchived,theme,assignedLabels"})
        .json()
    )
    assert data["isArchived"] is None and data["theme"] is None and data["assignedLabels"] == []
    assert error_of(api_as(member).get("/v1.0/users", **{"$select": "shoeSize"})) == (400, "BadRequest")


def test_properties_groupdesk_has_data_for_come_with_graph_names_and_types(tenant, admin_user, api_as):
    guest = factories.UserFactory(tenant=tenant, user_type="Guest")
    unified = factories.GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365)
    sku = SubscribedSku.objects.create(
        tenant=tenant, sku_part_number="E3", display_name="E3", prepaid_units=5
    )
    GroupLicense.objects.create(group=unified, sku=sku)
    api = api_as(admin_user)
    data = api.get(
        f"/v1.0/users/{guest.pk}",
        **{"$select": "securityIdentifier,creationType,externalUserState,deletedDateTime,assignedLicenses"},
    ).json()
    assert data["securityIdentifier"] == security_identifier(guest.pk)
    assert data["securityIdentifier"].startswith("S-1-12-1-")
    assert (data["creationType"], data["externalUserState"]) == ("Invitation", "PendingAcceptance")
    assert data["deletedDateTime"] is None and data["assignedLicenses"] == []
    group = api.get(f"/v1.0/groups/{unified.pk}", **{"$select": "proxyAddresses,assignedLicenses"}).json()
    assert group["proxyAddresses"] == [f"SMTP:{unified.mail}"]
    assert group["assignedLicenses"] == [{"disabledPlans": [], "skuId": str(sku.sku_id)}]
    default = api.get(f"/v1.0/groups/{unified.pk}").json()
    for prop in ("securityIdentifier", "resourceProvisioningOptions", "preferredDataLocation", "theme"):
        assert prop in default


def test_property_and_option_names_ignore_case(member, api_as):
    api = api_as(member)
    data = api.get(f"/v1.0/users/{member.pk}", **{"$SELECT": "DISPLAYNAME,userprincipalname"}).json()
    assert set(data) - {"@odata.context"} == {"displayName", "userPrincipalName"}
    body = api.get(
        "/v1.0/users", **{"$Filter": f"UserPrincipalName eq '{member.user_principal_name}'"}
    ).json()
    assert [u["id"] for u in body["value"]] == [str(member.pk)]


def test_options_without_dollar_count_on_beta_only(member, api_as):
    api = api_as(member)
    beta = api.get(f"/beta/users/{member.pk}", select="displayName").json()
    assert set(beta) - {"@odata.context"} == {"displayName"}
    v1 = api.get(f"/v1.0/users/{member.pk}", select="displayName").json()
    assert "userPrincipalName" in v1


def test_ends_with_is_an_advanced_query(world, member, api_as):
    api = api_as(member)
    params = {"$filter": "endsWith(userPrincipalName,'@c.test')"}
    assert error_of(api.get("/v1.0/users", **params)) == (400, "Request_UnsupportedQuery")
    body = api.get("/v1.0/users", headers=EVENTUAL, **params, **{"$count": "true"}).json()
    assert [u["id"] for u in body["value"]] == [str(world["alex"].pk)] and body["@odata.count"] == 1


def test_search_needs_eventual_and_matches_word_starts(world, member, api_as):
    api = api_as(member)
    params = {"$search": '"displayName:wil"'}
    assert error_of(api.get("/v1.0/users", **params)) == (400, "Request_UnsupportedQuery")
    body = api.get("/v1.0/users", headers=EVENTUAL, **params).json()
    assert [u["displayName"] for u in body["value"]] == ["Alex Wilber"]
    either = api.get(
        "/v1.0/users", headers=EVENTUAL, **{"$search": '"displayName:megan" OR "mail:alexw"'}
    ).json()
    assert {u["displayName"] for u in either["value"]} == {"Alex Wilber", "Megan Bowen"}
    groups = api.get("/v1.0/groups", headers=EVENTUAL, **{"$search": '"displayName:out"'}).json()
    assert [g["displayName"] for g in groups["value"]] == ["Outer"]
    assert error_of(api.get("/v1.0/users", headers=EVENTUAL, **{"$search": "alex"})) == (400, "BadRequest")


def test_orderby_with_filter_needs_an_advanced_query(member, api_as):
    api = api_as(member)
    params = {"$orderby": "displayName", "$filter": "department eq 'Sales'"}
    response = api.get("/v1.0/users", **params)
    assert error_of(response) == (400, "Request_UnsupportedQuery")
    assert response.json()["error"]["message"] == "Sorting not supported for current query."
    assert api.get("/v1.0/users", headers=EVENTUAL, **params, **{"$count": "true"}).status_code == 200
    assert api.get("/v1.0/users", **{"$orderby": "displayName desc"}).status_code == 200


def test_expand_with_a_nested_select(world, groups_admin, api_as):
    api = api_as(groups_admin)
    outer = world["outer"]
    data = api.get(f"/v1.0/groups/{outer.pk}", **{"$expand": "members($select=id,displayName)"}).json()
    assert len(data["members"]) == 4
    assert {m["@odata.type"] for m in data["members"]} >= {"#microsoft.graph.user", "#microsoft.graph.device"}
    assert set(data["members"][0]) <= {"@odata.type", "id", "displayName"}
    listed = api.get("/v1.0/groups", **{"$expand": "owners", "$filter": f"id eq '{outer.pk}'"}).json()
    assert [o["id"] for o in listed["value"][0]["owners"]] == [str(world["megan"].pk)]
    megan = world["megan"]
    megan.manager = world["alex"]
    megan.save()
    user = api.get(f"/v1.0/users/{megan.pk}", **{"$expand": "manager($select=displayName)"}).json()
    assert user["manager"]["displayName"] == "Alex Wilber"
    member_of = api.get(f"/v1.0/users/{megan.pk}", **{"$expand": "memberOf"}).json()
    assert [g["id"] for g in member_of["memberOf"]] == [str(world["inner"].pk)]
    assert error_of(api.get("/v1.0/users", **{"$expand": "owners"})) == (400, "Request_UnsupportedQuery")


def test_count_segments_answer_plain_text(world, groups_admin, api_as):
    api = api_as(groups_admin)
    outer = world["outer"]
    response = api.get("/v1.0/users/$count", headers=EVENTUAL)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert response.content == b"3"  # alex, megan, the admin
    assert api.get(f"/v1.0/groups/{outer.pk}/members/$count", headers=EVENTUAL).content == b"4"
    assert api.get(f"/v1.0/groups/{outer.pk}/members/graph.user/$count", headers=EVENTUAL).content == b"1"
    assert api.get(f"/v1.0/groups/{outer.pk}/transitiveMembers/$count", headers=EVENTUAL).content == b"5"
    filtered = api.get("/v1.0/groups/$count", headers=EVENTUAL, **{"$filter": "displayName eq 'Inner'"})
    assert filtered.content == b"1"
    ends = api.get("/v1.0/users/$count", headers=EVENTUAL, **{"$filter": "endsWith(mail,'@d.test')"})
    assert ends.content == b"1"
    refused = api.get("/v1.0/users/$count")
    assert error_of(refused) == (400, "Request_BadRequest")
    assert refused.json()["error"]["message"] == "$count is not currently supported."


@pytest.mark.parametrize("size", [1, 6])
def test_a_page_of_users_with_their_managers_costs_the_same_queries_whatever_its_size(
    tenant, groups_admin, api_as, django_assert_num_queries, size
):
    boss = factories.UserFactory(tenant=tenant, display_name="Boss")
    for n in range(size):
        factories.UserFactory(tenant=tenant, display_name=f"Report {n}", manager=boss)
    api = api_as(groups_admin)
    params = {"$expand": "manager($select=displayName)", "$filter": "startsWith(displayName,'Report')"}
    api.get("/v1.0/users", **params)  # the token's first use is noted (one write)
    # the token, the caller's grants (ownerships, memberships, roles), the page and its multi-valued
    # attributes, the page's managers and theirs: not one per user
    with django_assert_num_queries(8):
        listed = api.get("/v1.0/users", **params).json()["value"]
    assert len(listed) == size
    assert {u["manager"]["displayName"] for u in listed} == {"Boss"}
