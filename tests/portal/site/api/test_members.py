from __future__ import annotations

import pytest

from groups.models import GroupKind, Membership, MembershipType, Ownership, Visibility
from portal.models import AuditEvent
from tests import factories
from tests.portal.site.api.conftest import error_of, ref

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(tenant):
    return factories.UserFactory(tenant=tenant)


@pytest.fixture
def group(tenant, owner):
    return factories.GroupFactory(tenant=tenant, owners=[owner])


def test_it_lists_members_of_every_type_with_their_odata_type(tenant, group, member, api_as):
    inner = factories.GroupFactory(tenant=tenant)
    device = factories.DeviceFactory(tenant=tenant)
    app = factories.ServicePrincipalFactory(tenant=tenant)
    group.memberships.create(member_user=member)
    group.memberships.create(member_group=inner)
    group.memberships.create(member_device=device)
    group.memberships.create(member_service_principal=app)
    body = api_as(member).get(f"/v1.0/groups/{group.pk}/members").json()
    assert body["@odata.context"].endswith("#directoryObjects")
    assert [(o["@odata.type"], o["id"]) for o in body["value"]] == [
        ("#microsoft.graph.user", str(member.pk)),
        ("#microsoft.graph.group", str(inner.pk)),
        ("#microsoft.graph.device", str(device.pk)),
        ("#microsoft.graph.servicePrincipal", str(app.pk)),
    ]
    users = api_as(member).get(f"/v1.0/groups/{group.pk}/members/microsoft.graph.user").json()
    assert [u["id"] for u in users["value"]] == [str(member.pk)]
    assert "@odata.type" not in users["value"][0]


def test_it_lists_owners(group, owner, member, api_as):
    body = api_as(member).get(f"/v1.0/groups/{group.pk}/owners", **{"$select": "userPrincipalName"}).json()
    assert body["value"] == [
        {"@odata.type": "#microsoft.graph.user", "userPrincipalName": owner.user_principal_name}
    ]


def test_it_hides_the_members_of_a_hidden_membership_group(tenant, member, owner, api_as):
    hidden = factories.GroupFactory(tenant=tenant, visibility=Visibility.HIDDEN_MEMBERSHIP, owners=[owner])
    someone = factories.UserFactory(tenant=tenant)
    hidden.memberships.create(member_user=someone)
    assert error_of(api_as(member).get(f"/v1.0/groups/{hidden.pk}/members")) == (
        403,
        "Authorization_RequestDenied",
    )
    assert api_as(owner).get(f"/v1.0/groups/{hidden.pk}/members").status_code == 200
    # Nor does the group show in someone's memberOf for an outsider.
    assert api_as(member).get(f"/v1.0/users/{someone.pk}/memberOf").json()["value"] == []
    assert len(api_as(someone).get("/v1.0/me/memberOf").json()["value"]) == 1


def test_an_owner_adds_and_removes_members_by_reference(group, owner, member, api_as):
    api = api_as(owner)
    assert api.post(f"/v1.0/groups/{group.pk}/members/$ref", ref(member)).status_code == 204
    assert Membership.objects.filter(group=group, member_user=member).exists()
    assert AuditEvent.objects.filter(activity="Add member to group", target_id=str(group.pk)).count() == 1
    response = api.post(f"/v1.0/groups/{group.pk}/members/$ref", ref(member))
    assert error_of(response) == (400, "Request_BadRequest")
    assert api.delete(f"/v1.0/groups/{group.pk}/members/{member.pk}/$ref").status_code == 204
    assert not Membership.objects.filter(group=group, member_user=member).exists()
    assert AuditEvent.objects.filter(activity="Remove member from group").count() == 1
    # Removing a link that isn't there: Graph's 404.
    assert error_of(api.delete(f"/v1.0/groups/{group.pk}/members/{member.pk}/$ref"))[0] == 404
    assert error_of(api.delete(f"/v1.0/groups/{group.pk}/owners/{member.pk}/$ref"))[0] == 404
    # Someone who can't change members is refused.
    other = factories.UserFactory(tenant=group.tenant)
    group.memberships.create(member_user=other)
    assert error_of(api_as(member).delete(f"/v1.0/groups/{group.pk}/members/{other.pk}/$ref"))[0] == 403
    assert group.memberships.filter(member_user=other).exists()


def test_it_adds_groups_devices_and_apps_by_reference(tenant, group, owner, api_as):
    api = api_as(owner)
    for obj in (
        factories.GroupFactory(tenant=tenant),
        factories.DeviceFactory(tenant=tenant),
        factories.ServicePrincipalFactory(tenant=tenant),
    ):
        assert api.post(f"/v1.0/groups/{group.pk}/members/$ref", ref(obj)).status_code == 204
    assert group.memberships.count() == 3


def test_it_refuses_a_cycle_with_the_services_message(tenant, group, owner, api_as):
    child = factories.GroupFactory(tenant=tenant, owners=[owner])
    api = api_as(owner)
    assert api.post(f"/v1.0/groups/{group.pk}/members/$ref", ref(child)).status_code == 204
    response = api.post(f"/v1.0/groups/{child.pk}/members/$ref", ref(group))
    assert error_of(response) == (400, "Request_BadRequest")
    assert "cycle" in response.json()["error"]["message"]


def test_it_refuses_members_of_a_dynamic_group(tenant, groups_admin, member, api_as):
    dynamic = factories.GroupFactory(
        tenant=tenant, membership_type=MembershipType.DYNAMIC, membership_rule='user.city -eq "x"'
    )
    response = api_as(groups_admin).post(f"/v1.0/groups/{dynamic.pk}/members/$ref", ref(member))
    assert error_of(response) == (400, "Request_BadRequest")


def test_a_member_who_is_not_an_owner_cannot_add_members(group, member, api_as, tenant):
    other = factories.UserFactory(tenant=tenant)
    response = api_as(member).post(f"/v1.0/groups/{group.pk}/members/$ref", ref(other))
    assert error_of(response) == (403, "Authorization_RequestDenied")
    assert not Membership.objects.exists()


def test_nobody_adds_themselves_to_a_role_assignable_group_through_the_api(tenant, groups_admin, api_as):
    privileged = factories.GroupFactory(tenant=tenant, is_assignable_to_role=True)
    response = api_as(groups_admin).post(f"/v1.0/groups/{privileged.pk}/members/$ref", ref(groups_admin))
    assert error_of(response) == (403, "Authorization_RequestDenied")
    app = api_as(app="Provisioning", role="groupsAdministrator", tenant=tenant)
    assert error_of(app.post(f"/v1.0/groups/{privileged.pk}/members/$ref", ref(groups_admin)))[0] == 403
    assert not Membership.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"@odata.id": 5},
        {"@odata.id": "https://graph.microsoft.com/v1.0/teams/abc"},
        {"@odata.id": "https://x/v1.0/directoryObjects/not-a-guid"},
    ],
)
def test_it_refuses_a_bad_reference(group, owner, api_as, body):
    assert error_of(api_as(owner).post(f"/v1.0/groups/{group.pk}/members/$ref", body))[0] == 400


def test_it_answers_404_for_another_tenants_objects(group, owner, api_as, other_tenant):
    stranger = factories.UserFactory(tenant=other_tenant)
    foreign_group = factories.GroupFactory(tenant=other_tenant, members=[stranger])
    api = api_as(owner)
    for path, body in [
        (f"/v1.0/groups/{group.pk}/members/$ref", ref(stranger)),
        (f"/v1.0/groups/{foreign_group.pk}/members/$ref", ref(owner)),
        (f"/v1.0/groups/{group.pk}/owners/$ref", ref(stranger)),
        (f"/v1.0/groups/{foreign_group.pk}/checkMemberGroups", {"groupIds": []}),
        (f"/v1.0/users/{stranger.pk}/checkMemberGroups", {"groupIds": []}),
    ]:
        assert error_of(api.post(path, body)) == (404, "Request_ResourceNotFound"), path
    for path in [
        f"/v1.0/groups/{foreign_group.pk}/members",
        f"/v1.0/groups/{foreign_group.pk}/owners",
        f"/v1.0/groups/{foreign_group.pk}/transitiveMembers",
        f"/v1.0/groups/{foreign_group.pk}/memberOf",
        f"/v1.0/users/{stranger.pk}/transitiveMemberOf",
        f"/v1.0/directoryObjects/{stranger.pk}",
    ]:
        assert error_of(api.get(path)) == (404, "Request_ResourceNotFound"), path
    assert error_of(api.delete(f"/v1.0/groups/{foreign_group.pk}/members/{stranger.pk}/$ref"))[0] == 404
    assert error_of(api.delete(f"/v1.0/groups/{group.pk}/members/{stranger.pk}/$ref"))[0] == 404
    assert Membership.objects.filter(group=foreign_group).count() == 1


def test_an_owner_adds_and_removes_owners(group, owner, member, api_as):
    api = api_as(owner)
    assert api.post(f"/v1.0/groups/{group.pk}/owners/$ref", ref(member)).status_code == 204
    assert Ownership.objects.filter(group=group, user=member).exists()
    assert api.delete(f"/v1.0/groups/{group.pk}/owners/{member.pk}/$ref").status_code == 204
    assert not Ownership.objects.filter(group=group, user=member).exists()
    device = factories.DeviceFactory(tenant=group.tenant)
    assert error_of(api.post(f"/v1.0/groups/{group.pk}/owners/$ref", ref(device)))[0] == 400
    assert (
        AuditEvent.objects.filter(activity__in=["Add owner to group", "Remove owner from group"]).count() == 2
    )


def test_it_walks_nesting_for_transitive_members_and_memberships(tenant, member, api_as):
    top = factories.GroupFactory(tenant=tenant)
    middle = factories.GroupFactory(tenant=tenant)
    bottom = factories.GroupFactory(tenant=tenant, members=[member])
    top.memberships.create(member_group=middle)
    middle.memberships.create(member_group=bottom)
    middle.memberships.create(member_user=member)  # reached twice: listed once
    api = api_as(member)
    body = api.get(f"/v1.0/groups/{top.pk}/transitiveMembers").json()
    assert sorted(o["id"] for o in body["value"]) == sorted(str(x.pk) for x in (member, middle, bottom))
    direct = api.get(f"/v1.0/groups/{top.pk}/members").json()
    assert [o["id"] for o in direct["value"]] == [str(middle.pk)]
    member_of = api.get(f"/v1.0/users/{member.pk}/memberOf").json()
    assert sorted(g["id"] for g in member_of["value"]) == sorted([str(middle.pk), str(bottom.pk)])
    transitive = api.get("/v1.0/me/transitiveMemberOf").json()
    assert sorted(g["id"] for g in transitive["value"]) == sorted(str(g.pk) for g in (top, middle, bottom))
    assert {g["@odata.type"] for g in transitive["value"]} == {"#microsoft.graph.group"}
    group_parents = api.get(f"/v1.0/groups/{bottom.pk}/transitiveMemberOf").json()
    assert sorted(g["id"] for g in group_parents["value"]) == sorted([str(top.pk), str(middle.pk)])


def test_it_checks_member_groups_through_nesting(tenant, member, api_as):
    top = factories.GroupFactory(tenant=tenant)
    bottom = factories.GroupFactory(tenant=tenant, members=[member])
    top.memberships.create(member_group=bottom)
    unrelated = factories.GroupFactory(tenant=tenant)
    api = api_as(member)
    ids = [str(top.pk), str(bottom.pk), str(unrelated.pk)]
    body = api.post(f"/v1.0/users/{member.pk}/checkMemberGroups", {"groupIds": ids}).json()
    assert sorted(body["value"]) == sorted([str(top.pk), str(bottom.pk)])
    assert api.post("/v1.0/me/checkMemberGroups", {"groupIds": ids}).json()["value"] == body["value"]
    assert api.post(f"/v1.0/groups/{bottom.pk}/checkMemberGroups", {"groupIds": ids}).json()["value"] == [
        str(top.pk)
    ]


@pytest.mark.parametrize(
    "body", [{}, {"groupIds": "x"}, {"groupIds": ["not-a-guid"]}, {"groupIds": [str(i) for i in range(21)]}]
)
def test_it_refuses_a_bad_check_member_groups_body(member, api_as, body):
    assert error_of(api_as(member).post("/v1.0/me/checkMemberGroups", body))[0] == 400


def test_it_reads_any_directory_object(tenant, member, api_as):
    device = factories.DeviceFactory(tenant=tenant)
    body = api_as(member).get(f"/v1.0/directoryObjects/{device.pk}").json()
    assert (body["@odata.type"], body["displayName"]) == ("#microsoft.graph.device", device.display_name)


def test_it_refuses_devices_in_a_microsoft_365_group(tenant, groups_admin, api_as):
    m365 = factories.GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365)
    device = factories.DeviceFactory(tenant=tenant)
    response = api_as(groups_admin).post(f"/v1.0/groups/{m365.pk}/members/$ref", ref(device))
    assert error_of(response) == (400, "Request_BadRequest")
