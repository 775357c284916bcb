from __future__ import annotations

import pytest

from groups.models import CreatedIn, Group, GroupKind, MembershipType, Visibility
from portal.models import AuditEvent
from tests import factories
from tests.portal.site.api.conftest import error_of, ref

pytestmark = pytest.mark.django_db

SECURITY = {
    "displayName": "Finance",
    "mailNickname": "finance",
    "mailEnabled": False,
    "securityEnabled": True,
}


def test_it_lists_groups_with_graph_properties(member, api_as, other_tenant):
    group = factories.GroupFactory(
        tenant=member.tenant, kind=GroupKind.MICROSOFT_365, description="", visibility=Visibility.PRIVATE
    )
    factories.GroupFactory(tenant=other_tenant)
    factories.GroupFactory(tenant=member.tenant, deleted_date_time="2026-01-01T00:00:00Z")
    body = api_as(member).get("/v1.0/groups").json()
    assert [g["id"] for g in body["value"]] == [str(group.pk)]
    data = body["value"][0]
    assert data["groupTypes"] == ["Unified"]
    assert (data["mailEnabled"], data["securityEnabled"]) == (True, False)
    assert data["mail"] == f"{group.mail_nickname}@{member.tenant.default_domain}"
    assert data["description"] is None and data["visibility"] == "Private"
    assert data["membershipRule"] is None and data["membershipRuleProcessingState"] is None
    assert data["createdDateTime"].endswith("Z") and len(data["createdDateTime"]) == 20


def test_it_shows_dynamic_groups_as_graph_does(member, api_as):
    group = factories.GroupFactory(
        tenant=member.tenant,
        membership_type=MembershipType.DYNAMIC,
        membership_rule='user.department -eq "Sales"',
    )
    data = api_as(member).get(f"/v1.0/groups/{group.pk}").json()
    assert data["groupTypes"] == ["DynamicMembership"]
    assert data["membershipRule"] == 'user.department -eq "Sales"'
    assert data["membershipRuleProcessingState"] == "On"


def test_it_creates_a_security_group_owned_by_its_creator(member, api_as):
    response = api_as(member).post("/v1.0/groups", {**SECURITY, "description": "Money"})
    assert response.status_code == 201
    data = response.json()
    assert response["Location"] == f"http://testserver/v1.0/groups/{data['id']}"
    assert (data["displayName"], data["securityEnabled"], data["groupTypes"]) == ("Finance", True, [])
    group = Group.objects.get(pk=data["id"])
    assert (group.kind, group.created_in, group.created_by) == (GroupKind.SECURITY, CreatedIn.API, member)
    assert list(group.ownerships.values_list("user", flat=True)) == [member.pk]
    assert AuditEvent.objects.filter(
        activity="Add group", target_id=str(group.pk), actor_id=str(member.pk)
    ).exists()


def test_it_creates_a_microsoft_365_group_with_bound_owners_and_members(groups_admin, api_as):
    owner = factories.UserFactory(tenant=groups_admin.tenant)
    user = factories.UserFactory(tenant=groups_admin.tenant)
    body = {
        "displayName": "Marketing",
        "mailNickname": "marketing",
        "mailEnabled": True,
        "securityEnabled": False,
        "groupTypes": ["Unified"],
        "visibility": "Private",
        "owners@odata.bind": [ref(owner)["@odata.id"]],
        "members@odata.bind": [f"https://graph.microsoft.com/v1.0/users/{user.pk}"],
    }
    response = api_as(groups_admin).post("/v1.0/groups", body)
    assert response.status_code == 201, response.content
    group = Group.objects.get(pk=response.json()["id"])
    assert (group.kind, group.visibility) == (GroupKind.MICROSOFT_365, "Private")
    # An administrator's role made the group: as on the admin pages, only the named owners own it.
    assert set(group.ownerships.values_list("user", flat=True)) == {owner.pk}
    assert list(group.memberships.values_list("member_user", flat=True)) == [user.pk]


@pytest.mark.parametrize(
    "change, words",
    [
        ({"displayName": None}, "displayName"),
        ({"mailNickname": "has space"}, "mailNickname"),
        ({"mailEnabled": "no"}, "mailEnabled"),
        ({"mailEnabled": True}, "security groups"),
        ({"securityEnabled": False}, "security groups"),
        ({"groupTypes": ["Unified"]}, "mail-enabled"),
        ({"groupTypes": ["Teams"]}, "Teams"),
        ({"groupTypes": ["DynamicMembership"]}, "membershipRule"),
        ({"membershipRule": 'user.city -eq "x"'}, "DynamicMembership"),
        ({"visibility": "Secret"}, "visibility"),
        ({"shoeSize": 42}, "shoeSize"),
        ({"members@odata.bind": ["https://x/v1.0/directoryObjects/nope"]}, "nope"),
    ],
)
def test_it_refuses_a_bad_group_and_creates_nothing(groups_admin, api_as, change, words):
    response = api_as(groups_admin).post("/v1.0/groups", {**SECURITY, **change})
    assert error_of(response)[0] == 400
    assert words in response.json()["error"]["message"]
    assert not Group.objects.exists()


def test_it_refuses_a_taken_mail_nickname(groups_admin, api_as):
    factories.GroupFactory(tenant=groups_admin.tenant, mail_nickname="finance")
    response = api_as(groups_admin).post("/v1.0/groups", {**SECURITY, "mailNickname": "FINANCE"})
    assert error_of(response) == (400, "Request_BadRequest")


def test_it_rolls_back_the_group_when_a_bound_member_is_refused(groups_admin, api_as, other_tenant):
    stranger = factories.UserFactory(tenant=other_tenant)
    response = api_as(groups_admin).post(
        "/v1.0/groups", {**SECURITY, "members@odata.bind": [ref(stranger)["@odata.id"]]}
    )
    assert error_of(response) == (404, "Request_ResourceNotFound")
    assert not Group.objects.exists()
    assert not AuditEvent.objects.filter(activity="Add group").exists()


def test_it_reads_one_group_with_select(member, api_as):
    group = factories.GroupFactory(tenant=member.tenant)
    body = api_as(member).get(f"/v1.0/groups/{group.pk}", **{"$select": "id,displayName"}).json()
    assert body == {
        "@odata.context": "http://testserver/v1.0/$metadata#groups(id,displayName)/$entity",
        "id": str(group.pk),
        "displayName": group.display_name,
    }


def test_it_answers_404_for_other_tenants_and_400_for_bad_ids(member, api_as, other_tenant):
    stranger = factories.GroupFactory(tenant=other_tenant)
    api = api_as(member)
    assert error_of(api.get(f"/v1.0/groups/{stranger.pk}")) == (404, "Request_ResourceNotFound")
    assert error_of(api.delete(f"/v1.0/groups/{stranger.pk}")) == (404, "Request_ResourceNotFound")
    assert error_of(api.get("/v1.0/groups/not-a-guid")) == (400, "Request_BadRequest")


def test_it_soft_deletes_a_group(groups_admin, api_as):
    group = factories.GroupFactory(tenant=groups_admin.tenant)
    api = api_as(groups_admin)
    assert api.delete(f"/v1.0/groups/{group.pk}").status_code == 204
    group.refresh_from_db()
    assert group.is_deleted
    assert AuditEvent.objects.filter(activity="Delete group", target_id=str(group.pk)).exists()
    assert error_of(api.get(f"/v1.0/groups/{group.pk}")) == (404, "Request_ResourceNotFound")


def test_it_lets_only_those_with_the_right_delete(member, api_as):
    group = factories.GroupFactory(tenant=member.tenant)
    assert error_of(api_as(member).delete(f"/v1.0/groups/{group.pk}")) == (403, "Authorization_RequestDenied")
    group.refresh_from_db()
    assert not group.is_deleted


def test_it_trims_groups_a_guest_may_not_see(tenant, api_as):
    tenant.group_settings.allow_guests_to_access_groups = False
    tenant.group_settings.save()
    guest = factories.UserFactory(tenant=tenant, user_type="Guest")
    mine = factories.GroupFactory(tenant=tenant, members=[guest])
    factories.GroupFactory(tenant=tenant)
    body = api_as(guest).get("/v1.0/groups").json()
    assert [g["id"] for g in body["value"]] == [str(mine.pk)]


def test_it_answers_unknown_paths_with_a_graph_error(member, api_as, anonymous_api):
    assert error_of(anonymous_api.get("/v1.0/teams")) == (401, "InvalidAuthenticationToken")
    response = api_as(member).get("/beta/teams/x")
    assert error_of(response) == (400, "BadRequest")
    assert "'teams'" in response.json()["error"]["message"]


def test_it_refuses_an_invalid_dynamic_rule(groups_admin, api_as):
    body = {**SECURITY, "groupTypes": ["DynamicMembership"], "membershipRule": "user.department -eq"}
    response = api_as(groups_admin).post("/v1.0/groups", body)
    assert error_of(response) == (400, "Request_BadRequest")
    assert "membershipRule" in response.json()["error"]["message"]


def test_it_updates_a_group_through_the_group_service(tenant, api_as):
    tenant.group_settings.classification_list = "Public,Secret"
    tenant.group_settings.save()
    owner = factories.UserFactory(tenant=tenant)
    group = factories.GroupFactory(tenant=tenant, owners=[owner], display_name="Old")
    body = {
        "@odata.type": "#microsoft.graph.group",
        "displayName": "New",
        "description": "Now described",
        "classification": "Secret",
        "visibility": "Private",
    }
    assert api_as(owner).patch(f"/v1.0/groups/{group.pk}", body).status_code == 204
    group.refresh_from_db()
    assert (group.display_name, group.description, group.classification, group.visibility) == (
        "New",
        "Now described",
        "Secret",
        "Private",
    )
    event = AuditEvent.objects.get(activity="Update group", target_id=str(group.pk))
    assert (event.before["displayName"], event.after["displayName"]) == ("Old", "New")


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({"securityEnabled": False}, 400, "after the group is created"),
        ({"isAssignableToRole": True}, 400, "after the group is created"),
        ({"shoeSize": 1}, 400, "shoeSize"),
        ({"displayName": ""}, 400, "displayName"),
        ({"visibility": "Secret"}, 400, "visibility"),
        ({"classification": "Unlisted"}, 400, "classification"),
    ],
)
def test_it_refuses_bad_group_changes(tenant, groups_admin, api_as, body, status, words):
    group = factories.GroupFactory(tenant=tenant, display_name="Same")
    response = api_as(groups_admin).patch(f"/v1.0/groups/{group.pk}", body)
    assert error_of(response)[0] == status
    assert words in response.json()["error"]["message"]
    group.refresh_from_db()
    assert group.display_name == "Same"


def test_it_refuses_group_changes_without_the_right_and_audits_the_attempt(
    tenant, member, api_as, other_tenant
):
    group = factories.GroupFactory(tenant=tenant, display_name="Same")
    response = api_as(member).patch(f"/v1.0/groups/{group.pk}", {"displayName": "Mine now"})
    assert error_of(response) == (403, "Authorization_RequestDenied")
    refused = AuditEvent.objects.get(result="failure", target_id=str(group.pk))
    assert refused.actor_id == str(member.pk)
    foreign = factories.GroupFactory(tenant=other_tenant)
    assert error_of(api_as(member).patch(f"/v1.0/groups/{foreign.pk}", {"displayName": "x"}))[0] == 404
    group.refresh_from_db()
    assert group.display_name == "Same"


def _dynamic(tenant, rule='user.department -eq "Sales"'):
    return factories.GroupFactory(
        tenant=tenant, membership_type=MembershipType.DYNAMIC, membership_rule=rule, kind=GroupKind.SECURITY
    )


def test_it_changes_a_dynamic_rule_and_the_members_follow(tenant, groups_admin, api_as):
    legal = factories.UserFactory(tenant=tenant, department="Legal")
    group = _dynamic(tenant)
    api = api_as(groups_admin)
    assert (
        api.patch(f"/v1.0/groups/{group.pk}", {"membershipRule": 'user.department -eq "Legal"'}).status_code
        == 204
    )
    group.refresh_from_db()
    assert group.membership_rule == 'user.department -eq "Legal"'
    assert list(group.memberships.values_list("member_user", flat=True)) == [legal.pk]
    body = api.get(f"/v1.0/groups/{group.pk}/members").json()
    assert [m["id"] for m in body["value"]] == [str(legal.pk)]


def test_it_refuses_a_bad_rule_with_its_position_and_changes_nothing(tenant, groups_admin, api_as):
    group = _dynamic(tenant)
    response = api_as(groups_admin).patch(
        f"/v1.0/groups/{group.pk}", {"description": "changed", "membershipRule": "user.department -eq"}
    )
    assert error_of(response) == (400, "Request_BadRequest")
    group.refresh_from_db()
    assert (group.membership_rule, group.description) == ('user.department -eq "Sales"', "")


def test_it_pauses_and_resumes_rule_processing(tenant, groups_admin, api_as):
    group = _dynamic(tenant)
    api = api_as(groups_admin)
    assert (
        api.patch(f"/v1.0/groups/{group.pk}", {"membershipRuleProcessingState": "Paused"}).status_code == 204
    )
    assert api.get(f"/v1.0/groups/{group.pk}").json()["membershipRuleProcessingState"] == "Paused"
    assert api.patch(f"/v1.0/groups/{group.pk}", {"membershipRuleProcessingState": "On"}).status_code == 204
    group.refresh_from_db()
    assert group.membership_rule_processing_state == "On"
