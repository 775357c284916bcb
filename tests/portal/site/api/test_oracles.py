"""Issue 10, items 2 and 3 through the API: a hidden group's members leak through no nesting, rule or
count, and a membership rule (an attribute oracle) is an administrator's to write."""

from __future__ import annotations

import pytest

from groups.models import Group, GroupKind, Membership, MembershipType, Visibility
from portal.models import AuditEvent, UserType
from tests import factories
from tests.portal.site.api.conftest import error_of, ref

pytestmark = pytest.mark.django_db

EVENTUAL = {"ConsistencyLevel": "eventual"}
DENIED = (403, "Authorization_RequestDenied")
RULE_RIGHT = "microsoft.directory/groups/dynamicMembershipRule/update"


def member_of_rule(group) -> str:
    return f'user.memberOf -any (group.objectId -in ["{group.pk}"])'


@pytest.fixture
def insider(tenant):
    return factories.UserFactory(tenant=tenant, display_name="Insider Person")


@pytest.fixture
def executives(tenant, insider):
    """The demo's Executives: hidden membership, and the ordinary user isn't in it."""
    return factories.GroupFactory(
        tenant=tenant, display_name="Executives", visibility=Visibility.HIDDEN_MEMBERSHIP, members=[insider]
    )


@pytest.fixture
def own(tenant, member):
    """A group the ordinary user made on My Groups (they own it)."""
    return factories.GroupFactory(tenant=tenant, display_name="My team", owners=[member], members=[member])


def ids(body) -> list[str]:
    return [o["id"] for o in body["value"]]


# --- item 2: nesting --------------------------------------------------------------------------------


def test_it_refuses_to_nest_a_group_whose_members_the_owner_cant_read(member, own, executives, api_as):
    response = api_as(member).post(f"/v1.0/groups/{own.pk}/members/$ref", ref(executives))
    assert error_of(response) == DENIED
    assert "Executives" in response.json()["error"]["message"]
    assert not Membership.objects.filter(group=own, member_group=executives).exists()
    assert AuditEvent.objects.filter(target_id=str(own.pk), result="failure").exists()


def test_it_lets_someone_who_reads_the_members_nest_the_group(tenant, insider, executives, api_as):
    team = factories.GroupFactory(tenant=tenant, owners=[insider])
    assert api_as(insider).post(f"/v1.0/groups/{team.pk}/members/$ref", ref(executives)).status_code == 204


def test_it_shows_no_one_reached_only_through_a_hidden_group_in_transitive_members(
    tenant, member, own, executives, insider, api_as
):
    own.memberships.create(member_group=executives)  # nested earlier, by someone who could
    body = (
        api_as(member)
        .get(f"/v1.0/groups/{own.pk}/transitiveMembers", headers=EVENTUAL, **{"$count": "true"})
        .json()
    )
    assert str(insider.pk) not in ids(body)
    assert set(ids(body)) == {str(member.pk), str(executives.pk)}  # the nested group itself is a member
    assert body["@odata.count"] == 2
    # Whoever reads Executives' members sees them through the nesting too.
    admin = factories.UserFactory(tenant=tenant, role="groupsAdministrator")
    assert str(insider.pk) in ids(api_as(admin).get(f"/v1.0/groups/{own.pk}/transitiveMembers").json())


def test_it_shows_no_group_reached_only_through_a_hidden_group_in_transitive_member_of(
    tenant, member, executives, insider, api_as
):
    board = factories.GroupFactory(tenant=tenant, display_name="Board", members=[executives])
    api = api_as(member)
    body = api.get(f"/v1.0/users/{insider.pk}/transitiveMemberOf").json()
    assert str(board.pk) not in ids(body) and str(executives.pk) not in ids(body)
    checked = api.post(f"/v1.0/users/{insider.pk}/checkMemberGroups", {"groupIds": [str(board.pk)]}).json()
    assert checked["value"] == []


# --- item 2: counts ---------------------------------------------------------------------------------


def test_it_counts_member_of_after_trimming(member, executives, insider, api_as):
    response = api_as(member).get(
        f"/v1.0/users/{insider.pk}/memberOf",
        headers=EVENTUAL,
        **{"$count": "true", "$filter": f"id eq '{executives.pk}'"},
    )
    assert response.status_code == 200
    assert response.json()["value"] == [] and response.json()["@odata.count"] == 0


def test_it_counts_the_group_list_after_trimming(tenant, api_as):
    tenant.group_settings.allow_guests_to_access_groups = False
    tenant.group_settings.save()
    guest = factories.UserFactory(tenant=tenant, user_type=UserType.GUEST)
    mine = factories.GroupFactory(tenant=tenant, members=[guest])
    factories.GroupFactory(tenant=tenant)
    body = api_as(guest).get("/v1.0/groups", headers=EVENTUAL, **{"$count": "true"}).json()
    assert ids(body) == [str(mine.pk)] and body["@odata.count"] == 1


# --- item 2: rules naming a hidden group ------------------------------------------------------------


@pytest.fixture
def rule_writer(tenant):
    """An administrator who may write rules but holds no right to read every group's members."""
    role = factories.CustomRoleFactory(
        tenant=tenant, permissions=[RULE_RIGHT, "microsoft.directory/groups/create"]
    )
    user = factories.UserFactory(tenant=tenant)
    factories.assign_role(user, role)
    return user


def test_it_refuses_a_rule_naming_a_group_whose_members_the_writer_cant_read(
    tenant, rule_writer, executives, api_as
):
    group = factories.GroupFactory(
        tenant=tenant, membership_type=MembershipType.DYNAMIC, membership_rule='user.department -eq "HR"'
    )
    response = api_as(rule_writer).patch(
        f"/v1.0/groups/{group.pk}", {"membershipRule": member_of_rule(executives)}
    )
    assert error_of(response) == DENIED
    assert "Executives" in response.json()["error"]["message"]
    group.refresh_from_db()
    assert group.membership_rule == 'user.department -eq "HR"'
    body = {
        "displayName": "Shadow",
        "mailNickname": "shadow",
        "mailEnabled": False,
        "securityEnabled": True,
        "groupTypes": ["DynamicMembership"],
        "membershipRule": member_of_rule(executives),
    }
    assert error_of(api_as(rule_writer).post("/v1.0/groups", body)) == DENIED
    assert not Group.objects.filter(mail_nickname="shadow").exists()
    # The same rule naming a group whose members they may read is fine.
    body["membershipRule"] = member_of_rule(factories.GroupFactory(tenant=tenant))
    assert api_as(rule_writer).post("/v1.0/groups", body).status_code == 201


# --- item 3: rules need a role ----------------------------------------------------------------------


def test_it_refuses_an_ordinary_user_a_dynamic_group(member, api_as):
    body = {
        "displayName": "Probe",
        "mailNickname": "probe",
        "mailEnabled": False,
        "securityEnabled": True,
        "groupTypes": ["DynamicMembership"],
        "membershipRule": 'user.employeeId -startsWith "1"',
    }
    response = api_as(member).post("/v1.0/groups", body)
    assert error_of(response) == DENIED
    assert not Group.objects.filter(mail_nickname="probe").exists()
    # An assigned group, as before, is theirs to create.
    del body["groupTypes"], body["membershipRule"]
    assert api_as(member).post("/v1.0/groups", body).status_code == 201


def test_it_refuses_the_owner_of_a_dynamic_group_a_new_rule(tenant, member, groups_admin, api_as):
    group = factories.GroupFactory(
        tenant=tenant,
        kind=GroupKind.SECURITY,
        membership_type=MembershipType.DYNAMIC,
        membership_rule='user.department -eq "Sales"',
        owners=[member],
    )
    probe = {"membershipRule": 'user.employeeId -startsWith "1"'}
    assert error_of(api_as(member).patch(f"/v1.0/groups/{group.pk}", probe)) == DENIED
    group.refresh_from_db()
    assert group.membership_rule == 'user.department -eq "Sales"'
    assert api_as(groups_admin).patch(f"/v1.0/groups/{group.pk}", probe).status_code == 204
