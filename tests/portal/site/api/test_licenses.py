"""Licensing through Graph's shapes: subscribedSkus, assignLicense on groups and users, assignedLicenses,
assignedPlans and licenseAssignmentStates, licenseDetails, membersWithLicenseErrors, and $filter."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from groups.licensing.checker import check_licenses
from groups.licensing.services import PlanSpec, subscribed_sku_add
from groups.services import membership_add
from tests.factories import GroupFactory, UserFactory
from tests.portal.site.api.conftest import error_of

pytestmark = pytest.mark.django_db

SKU_ID = "6fd2c87f-b296-42f0-b197-1e91e994b900"
EXCHANGE = "efb87545-963c-4e0d-99df-69c6916d9eb0"
TEAMS = "57ff2da0-773e-42df-b2af-ffb7a2317929"


@pytest.fixture
def sku(tenant, admin_user):
    return subscribed_sku_add(
        actor=admin_user,
        sku_part_number="ENTERPRISEPACK",
        prepaid_units=1,
        sku_id=uuid.UUID(SKU_ID),
        service_plans=[
            PlanSpec(uuid.UUID(EXCHANGE), "EXCHANGE_S_ENTERPRISE", "exchange"),
            PlanSpec(uuid.UUID(TEAMS), "TEAMS1", "TeamspaceAPI"),
        ],
    )


def test_subscribed_skus_have_graphs_shape(api_as, admin_user, sku):
    body = api_as(admin_user).get("/v1.0/subscribedSkus").json()
    [item] = body["value"]
    assert item["skuId"] == SKU_ID and item["skuPartNumber"] == "ENTERPRISEPACK"
    assert item["prepaidUnits"]["enabled"] == 1 and item["consumedUnits"] == 0
    assert {p["servicePlanName"] for p in item["servicePlans"]} == {"EXCHANGE_S_ENTERPRISE", "TEAMS1"}


def test_a_member_cant_read_or_assign_licenses(api_as, member, sku):
    api = api_as(member)
    assert api.get("/v1.0/subscribedSkus").status_code == 403
    group = GroupFactory(tenant=member.tenant)
    response = api.post(
        f"/v1.0/groups/{group.pk}/assignLicense", {"addLicenses": [{"skuId": SKU_ID}], "removeLicenses": []}
    )
    assert response.status_code == 403 and not group.licenses.exists()


def test_group_assign_license_reaches_members_states_and_filters(api_as, tenant, admin_user, sku):
    api = api_as(admin_user)
    group = GroupFactory(tenant=tenant)
    ann, bob = UserFactory(tenant=tenant), UserFactory(tenant=tenant)
    for user in (ann, bob):
        membership_add(actor=admin_user, group=group, member=user)
    body = {"addLicenses": [{"skuId": SKU_ID, "disabledPlans": [TEAMS]}], "removeLicenses": []}
    response = api.post(f"/v1.0/groups/{group.pk}/assignLicense", body)
    assert response.status_code == 202 and response.json()["id"] == str(group.pk)

    got = api.get(
        f"/v1.0/groups/{group.pk}", **{"$select": "id,assignedLicenses,hasMembersWithLicenseErrors"}
    ).json()
    assert got["assignedLicenses"] == [{"skuId": SKU_ID, "disabledPlans": [TEAMS]}]
    assert got["hasMembersWithLicenseErrors"] is True  # one seat, two members

    select = {"$select": "id,assignedLicenses,assignedPlans,licenseAssignmentStates"}
    first = api.get(f"/v1.0/users/{ann.pk}", **select).json()
    assert first["assignedLicenses"] == [{"skuId": SKU_ID, "disabledPlans": [TEAMS]}]
    assert [(p["servicePlanId"], p["capabilityStatus"]) for p in first["assignedPlans"]] == [
        (EXCHANGE, "Enabled")
    ]
    [state] = first["licenseAssignmentStates"]
    assert state | {"lastUpdatedDateTime": None} == {
        "skuId": SKU_ID,
        "assignedByGroup": str(group.pk),
        "disabledPlans": [TEAMS],
        "state": "Active",
        "error": "None",
        "lastUpdatedDateTime": None,
    }
    second = api.get(f"/v1.0/users/{bob.pk}", **select).json()
    assert (
        second["assignedLicenses"] == [] and second["licenseAssignmentStates"][0]["error"] == "CountViolation"
    )

    errors = api.get(f"/v1.0/groups/{group.pk}/membersWithLicenseErrors").json()["value"]
    assert [u["id"] for u in errors] == [str(bob.pk)] and errors[0]["@odata.type"] == "#microsoft.graph.user"
    licensed = api.get("/v1.0/users", **{"$filter": f"assignedLicenses/any(x:x/skuId eq {SKU_ID})"}).json()
    assert [u["id"] for u in licensed["value"]] == [str(ann.pk)]
    carrying = api.get("/v1.0/groups", **{"$filter": f"assignedLicenses/any(x:x/skuId eq {SKU_ID})"}).json()
    assert [g["id"] for g in carrying["value"]] == [str(group.pk)]

    details = api.get(f"/v1.0/users/{ann.pk}/licenseDetails").json()["value"]
    assert [
        (d["skuPartNumber"], {p["servicePlanName"]: p["provisioningStatus"] for p in d["servicePlans"]})
        for d in details
    ] == [("ENTERPRISEPACK", {"EXCHANGE_S_ENTERPRISE": "Success", "TEAMS1": "Disabled"})]
    removed = api.post(
        f"/v1.0/groups/{group.pk}/assignLicense", {"addLicenses": [], "removeLicenses": [SKU_ID]}
    )
    assert removed.status_code == 202
    assert api.get(f"/v1.0/users/{ann.pk}", **select).json()["licenseAssignmentStates"] == []
    assert list(check_licenses(tenant)) == []


def test_user_assign_license_direct_and_refused_past_the_seats(api_as, tenant, admin_user, sku):
    api = api_as(admin_user)
    ann, bob = UserFactory(tenant=tenant), UserFactory(tenant=tenant)
    ok = api.post(
        f"/v1.0/users/{ann.pk}/assignLicense",
        {"addLicenses": [{"skuId": SKU_ID, "disabledPlans": []}], "removeLicenses": []},
    )
    assert ok.status_code == 200 and ok.json()["id"] == str(ann.pk)
    states = api.get(f"/v1.0/users/{ann.pk}", **{"$select": "licenseAssignmentStates"}).json()[
        "licenseAssignmentStates"
    ]
    assert [(s["assignedByGroup"], s["state"]) for s in states] == [(None, "Active")]
    full = api.post(
        f"/v1.0/users/{bob.pk}/assignLicense", {"addLicenses": [{"skuId": SKU_ID}], "removeLicenses": []}
    )
    assert error_of(full)[0] == 400
    assert (
        error_of(
            api.post(
                f"/v1.0/users/{bob.pk}/assignLicense",
                {"addLicenses": [{"skuId": "nope"}], "removeLicenses": []},
            )
        )[0]
        == 400
    )
    assert (
        error_of(
            api.post(
                f"/v1.0/users/{bob.pk}/assignLicense",
                {"addLicenses": [{"skuId": str(uuid.uuid4())}], "removeLicenses": []},
            )
        )[0]
        == 400
    )
    assert error_of(api.post(f"/v1.0/users/{bob.pk}/assignLicense", {"addLicenses": "x"}))[0] == 400
    gone = api.post(f"/v1.0/users/{ann.pk}/assignLicense", {"addLicenses": [], "removeLicenses": [SKU_ID]})
    assert gone.status_code == 200
    assert api.get(f"/v1.0/users/{ann.pk}/licenseDetails").json()["value"] == []


def test_licenses_of_another_tenant_are_out_of_reach(api_as, tenant, other_tenant, admin_user, sku):
    theirs_admin = UserFactory(tenant=other_tenant, role="globalAdministrator")
    api = api_as(theirs_admin)
    assert api.get("/v1.0/subscribedSkus").json()["value"] == []
    group = GroupFactory(tenant=other_tenant)
    response = api.post(
        f"/v1.0/groups/{group.pk}/assignLicense", {"addLicenses": [{"skuId": SKU_ID}], "removeLicenses": []}
    )
    assert response.status_code == 400 and not group.licenses.exists()
    ours = GroupFactory(tenant=tenant)
    assert api.get(f"/v1.0/groups/{ours.pk}/membersWithLicenseErrors").status_code == 404


def test_a_member_cant_read_other_users_licenses(api_as, tenant, admin_user, member, sku):
    other = UserFactory(tenant=tenant)
    api = api_as(member)
    assert api.get(f"/v1.0/users/{other.pk}/licenseDetails").status_code == 403
    got = api.get(f"/v1.0/users/{other.pk}", **{"$select": "id,assignedLicenses"}).json()
    assert got["assignedLicenses"] is None
    assert (
        api.get("/v1.0/users", **{"$filter": f"assignedLicenses/any(x:x/skuId eq {SKU_ID})"}).status_code
        == 403
    )


def test_a_list_selecting_licence_properties_reads_them_in_a_constant_number_of_queries(
    api_as, tenant, admin_user, sku
):
    api = api_as(admin_user)
    body = {"addLicenses": [{"skuId": SKU_ID, "disabledPlans": [TEAMS]}], "removeLicenses": []}
    users_select = {"$select": "id,assignedLicenses,assignedPlans,licenseAssignmentStates"}
    groups_select = {"$select": "id,assignedLicenses,hasMembersWithLicenseErrors"}

    def add_licensed_group():
        group = GroupFactory(tenant=tenant)
        membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant))
        assert api.post(f"/v1.0/groups/{group.pk}/assignLicense", body).status_code == 202

    def queries_of(path: str, params: dict) -> tuple[int, list[dict]]:
        with CaptureQueriesContext(connection) as captured:
            response = api.get(path, **params)
        assert response.status_code == 200
        return len(captured), response.json()["value"]

    add_licensed_group()
    few_users, _ = queries_of("/v1.0/users", users_select)
    few_groups, _ = queries_of("/v1.0/groups", groups_select)
    for _ in range(4):
        add_licensed_group()
    many_users, users = queries_of("/v1.0/users", users_select)
    many_groups, groups = queries_of("/v1.0/groups", groups_select)
    assert (many_users, many_groups) == (few_users, few_groups)  # was 4 queries more per user, 2 per group

    # The same answers as each object's own read.
    licensed = [u for u in users if u["assignedLicenses"] or u["licenseAssignmentStates"]]
    assert len(licensed) == 5
    for listed in users:
        alone = api.get(f"/v1.0/users/{listed['id']}", **users_select).json()
        alone.pop("@odata.context")
        assert listed == alone
    for listed in groups:
        alone = api.get(f"/v1.0/groups/{listed['id']}", **groups_select).json()
        alone.pop("@odata.context")
        assert listed == alone
    assert sum(g["hasMembersWithLicenseErrors"] for g in groups) == 4  # one seat for five groups
