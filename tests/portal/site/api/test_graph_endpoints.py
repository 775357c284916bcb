"""Issue 11, item 4: users created and deleted, manager and direct reports, the member functions,
getByIds, deleted items (list, get, restore, delete for good), devices and service principals."""

from __future__ import annotations

import pytest

from groups.models import Group, GroupKind, Membership
from portal.models import AuditEvent, User
from tests import factories
from tests.portal.site.api.conftest import error_of

pytestmark = pytest.mark.django_db

NEW_USER = {
    "accountEnabled": True,
    "displayName": "Adele Vance",
    "mailNickname": "adelev",
    "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": "xWwvJ]6NMw+bWH-d"},
    "department": "Retail",
}


@pytest.fixture
def user_admin(tenant):
    return factories.UserFactory(tenant=tenant, role="userAdministrator")


def test_it_creates_a_user_as_graph_does(tenant, user_admin, api_as):
    upn = f"adelev@{tenant.default_domain}"
    response = api_as(user_admin).post("/v1.0/users", {**NEW_USER, "userPrincipalName": upn})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["userPrincipalName"] == upn and data["department"] == "Retail"
    assert response["Location"].endswith(f"/v1.0/users/{data['id']}")
    user = User.objects.get(pk=data["id"])
    assert user.check_password("xWwvJ]6NMw+bWH-d") and user.tenant == tenant


def test_a_create_without_password_profile_is_refused_in_graphs_words(tenant, user_admin, api_as):
    body = {k: v for k, v in NEW_USER.items() if k != "passwordProfile"}
    response = api_as(user_admin).post(
        "/v1.0/users", {**body, "userPrincipalName": f"x@{tenant.default_domain}"}
    )
    assert error_of(response) == (400, "Request_BadRequest")
    assert response.json()["error"]["message"] == "A password must be specified to create a new user."
    missing = {k: v for k, v in NEW_USER.items() if k != "mailNickname"}
    response = api_as(user_admin).post(
        "/v1.0/users", {**missing, "userPrincipalName": f"y@{tenant.default_domain}"}
    )
    assert (
        response.json()["error"]["message"]
        == "Property mailNickname value is required but is empty or missing."
    )
    assert not User.objects.filter(display_name="Adele Vance").exists()


def test_a_member_may_not_create_users(tenant, member, api_as):
    body = {**NEW_USER, "userPrincipalName": f"z@{tenant.default_domain}"}
    assert error_of(api_as(member).post("/v1.0/users", body))[0] == 403


def test_delete_restore_and_purge_a_user(tenant, user_admin, api_as):
    leaver = factories.UserFactory(tenant=tenant)
    group = factories.GroupFactory(tenant=tenant, members=[leaver])
    api = api_as(user_admin)
    assert api.delete(f"/v1.0/users/{leaver.pk}").status_code == 204
    assert error_of(api.get(f"/v1.0/users/{leaver.pk}"))[0] == 404
    listed = api.get("/v1.0/directory/deletedItems/graph.user").json()
    assert [u["id"] for u in listed["value"]] == [str(leaver.pk)]
    assert listed["value"][0]["deletedDateTime"].endswith("Z")
    item = api.get(f"/v1.0/directory/deletedItems/{leaver.pk}").json()
    assert item["@odata.type"] == "#microsoft.graph.user"
    restored = api.post(f"/v1.0/directory/deletedItems/{leaver.pk}/restore")
    assert restored.status_code == 200 and restored.json()["id"] == str(leaver.pk)
    assert Membership.objects.filter(group=group, member_user=leaver).exists()
    api.delete(f"/v1.0/users/{leaver.pk}")
    assert api.delete(f"/v1.0/directory/deletedItems/{leaver.pk}").status_code == 204
    assert not User.objects.filter(pk=leaver.pk).exists()
    assert AuditEvent.objects.filter(activity="Hard delete user", target_id=str(leaver.pk)).exists()


def test_an_app_restores_a_deleted_group_and_a_user(tenant, api_as):
    group = factories.GroupFactory(tenant=tenant, deleted_date_time="2026-11-01T00:00:00Z")
    app = api_as(app="audit", role="globalAdministrator", tenant=tenant)
    listed = app.get("/v1.0/directory/deletedItems/microsoft.graph.group").json()
    assert [g["id"] for g in listed["value"]] == [str(group.pk)]
    assert app.get(f"/v1.0/directory/deletedItems/{group.pk}/graph.group").json()["id"] == str(group.pk)
    restored = app.post(f"/v1.0/directory/deletedItems/{group.pk}/restore")
    assert restored.status_code == 200, restored.content
    group.refresh_from_db()
    assert group.deleted_date_time is None
    leaver = factories.UserFactory(tenant=tenant)
    assert app.delete(f"/v1.0/users/{leaver.pk}").status_code == 204
    assert app.post(f"/v1.0/directory/deletedItems/{leaver.pk}/restore").status_code == 200
    assert (
        app.get(
            "/v1.0/directory/deletedItems/graph.group/$count", headers={"ConsistencyLevel": "eventual"}
        ).content
        == b"0"
    )


def test_a_group_deleted_for_good(tenant, groups_admin, api_as):
    group = factories.GroupFactory(tenant=tenant, deleted_date_time="2026-11-01T00:00:00Z")
    api = api_as(groups_admin)
    assert api.delete(f"/v1.0/directory/deletedItems/{group.pk}").status_code == 204
    assert not Group.objects.filter(pk=group.pk).exists()
    assert error_of(api.get(f"/v1.0/directory/deletedItems/{group.pk}"))[0] == 404


def test_manager_and_direct_reports(tenant, user_admin, member, api_as):
    boss = factories.UserFactory(tenant=tenant, display_name="The Boss")
    api = api_as(user_admin)
    assert error_of(api.get(f"/v1.0/users/{member.pk}/manager")) == (404, "Request_ResourceNotFound")
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{boss.pk}"}
    assert (
        api.client.put(
            f"/v1.0/users/{member.pk}/manager/$ref",
            data=__import__("json").dumps(ref),
            content_type="application/json",
            headers={"Authorization": f"Bearer {api.secret}"},
        ).status_code
        == 204
    )
    manager = api.get(f"/v1.0/users/{member.pk}/manager").json()
    assert manager["id"] == str(boss.pk) and manager["@odata.type"] == "#microsoft.graph.user"
    reports = api.get(f"/v1.0/users/{boss.pk}/directReports").json()
    assert [r["id"] for r in reports["value"]] == [str(member.pk)]
    mine = api_as(member).get("/v1.0/me/manager").json()
    assert mine["displayName"] == "The Boss"
    assert api.delete(f"/v1.0/users/{member.pk}/manager/$ref").status_code == 204
    member.refresh_from_db()
    assert member.manager is None


def test_member_functions_on_users_groups_and_me(tenant, member, api_as):
    outer = factories.GroupFactory(tenant=tenant)
    inner = factories.GroupFactory(tenant=tenant, members=[member])
    unified = factories.GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365, members=[member])
    outer.memberships.create(member_group=inner)
    api = api_as(member)
    every = api.post("/v1.0/me/getMemberGroups", {"securityEnabledOnly": False}).json()["value"]
    assert set(every) == {str(outer.pk), str(inner.pk), str(unified.pk)}
    security = api.post(f"/v1.0/users/{member.pk}/getMemberGroups", {"securityEnabledOnly": True}).json()
    assert set(security["value"]) == {str(outer.pk), str(inner.pk)}
    objects = api.post(f"/v1.0/groups/{inner.pk}/getMemberObjects", {"securityEnabledOnly": False}).json()
    assert objects["value"] == [str(outer.pk)]
    checked = api.post(
        f"/v1.0/users/{member.pk}/checkMemberObjects", {"ids": [str(outer.pk), str(member.pk)]}
    )
    assert checked.json()["value"] == [str(outer.pk)]
    assert error_of(api.post("/v1.0/me/checkMemberObjects", {"ids": ["nope"]})) == (400, "Request_BadRequest")


def test_get_by_ids_in_the_order_asked_leaving_out_the_unknown(tenant, member, other_tenant, api_as):
    group = factories.GroupFactory(tenant=tenant)
    device = factories.DeviceFactory(tenant=tenant)
    foreign = factories.GroupFactory(tenant=other_tenant)
    api = api_as(member)
    body = {"ids": [str(group.pk), str(foreign.pk), str(member.pk)]}
    value = api.post("/v1.0/directoryObjects/getByIds", body).json()["value"]
    assert [(o["@odata.type"], o["id"]) for o in value] == [
        ("#microsoft.graph.group", str(group.pk)),
        ("#microsoft.graph.user", str(member.pk)),
    ]
    only_groups = api.post("/v1.0/directoryObjects/getByIds", {**body, "types": ["group"]}).json()["value"]
    assert [o["id"] for o in only_groups] == [str(group.pk)]
    devices = api.post("/v1.0/directoryObjects/getByIds", {"ids": [str(device.pk)], "types": ["device"]})
    assert [o["id"] for o in devices.json()["value"]] == [str(device.pk)]


def test_devices_and_service_principals(tenant, admin_user, other_tenant, api_as):
    device = factories.DeviceFactory(tenant=tenant, display_name="LAPTOP-1")
    app = factories.ServicePrincipalFactory(tenant=tenant, display_name="Payroll")
    api = api_as(admin_user)
    assert [d["displayName"] for d in api.get("/v1.0/devices").json()["value"]] == ["LAPTOP-1"]
    assert api.get(f"/v1.0/devices/{device.pk}").json()["operatingSystem"] == "Windows"
    assert [s["displayName"] for s in api.get("/v1.0/servicePrincipals").json()["value"]] == ["Payroll"]
    assert api.get(f"/v1.0/servicePrincipals/{app.pk}").json()["appId"] == str(app.app_id)
    assert api.get("/v1.0/devices/$count", headers={"ConsistencyLevel": "eventual"}).content == b"1"
    foreign = factories.DeviceFactory(tenant=other_tenant)
    assert error_of(api.get(f"/v1.0/devices/{foreign.pk}"))[0] == 404
