"""Issue 10, items 2 and 3 through the pages: a hidden group's members leak through no nesting or rule,
and writing, previewing and checking a membership rule needs an administrator's role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups.models import Group, GroupKind, Membership, MembershipType, Visibility
from portal.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

MY_URL = reverse("my_group_new")
HX = {"HTTP_HX_REQUEST": "true"}
RULE_RIGHT = "microsoft.directory/groups/dynamicMembershipRule/update"


def _url(name, group):
    return reverse(name, args=[group.id])


def _member_of(group) -> str:
    return f'user.memberOf -any (group.objectId -in ["{group.pk}"])'


@pytest.fixture
def insider(tenant):
    return factories.UserFactory(
        tenant=tenant, display_name="Insider Person", user_principal_name="in@x.test"
    )


@pytest.fixture
def executives(tenant, insider):
    return factories.GroupFactory(
        tenant=tenant,
        display_name="Executives",
        mail_nickname="executives",
        visibility=Visibility.HIDDEN_MEMBERSHIP,
        members=[insider],
    )


@pytest.fixture
def own(tenant, member):
    return factories.GroupFactory(tenant=tenant, display_name="My team", owners=[member])


# --- item 2: nesting --------------------------------------------------------------------------------


def test_it_shows_no_one_reached_only_through_a_hidden_group_on_the_transitive_tab(
    client, tenant, member, own, executives
):
    visible = factories.UserFactory(tenant=tenant, display_name="Visible Person")
    club = factories.GroupFactory(tenant=tenant, members=[visible])
    own.memberships.create(member_group=executives)  # nested earlier, by someone who could
    own.memberships.create(member_group=club)
    client.force_login(member)
    html = client.get(_url("group_members", own), {"view": "transitive"}).content.decode()
    assert "Visible Person" in html and "Insider Person" not in html
    client.force_login(factories.UserFactory(tenant=tenant, role="groupsAdministrator"))
    assert "Insider Person" in client.get(_url("group_members", own), {"view": "transitive"}).content.decode()


def test_it_refuses_the_owner_nesting_a_hidden_group_on_the_members_tab(client, member, own, executives):
    client.force_login(member)
    response = client.post(_url("group_member_add", own), {"member": f"group:{executives.pk}"})
    assert response.status_code == 403 and "Executives" in response.content.decode()
    assert not Membership.objects.filter(group=own, member_group=executives).exists()
    assert AuditEvent.objects.filter(target_id=str(own.pk), result="failure").exists()


def test_it_refuses_a_hidden_group_as_a_first_member_on_my_groups(client, member, executives):
    client.force_login(member)
    response = client.post(
        MY_URL,
        {
            "kind": "security",
            "display_name": "Nest",
            "mail_nickname": "nest",
            "visibility": "Public",
            "join_policy": "open",
            "membership_type": "assigned",
            "members": "executives",
        },
    )
    assert response.status_code == 200
    assert "Executives" in " ".join(response.context["form"].non_field_errors())
    assert not Group.objects.filter(mail_nickname="nest").exists()


# --- item 2: rules naming a hidden group ------------------------------------------------------------


@pytest.fixture
def rule_writer(tenant):
    """May write rules (a role), but holds no right to read every group's members."""
    role = factories.CustomRoleFactory(tenant=tenant, permissions=[RULE_RIGHT])
    user = factories.UserFactory(tenant=tenant)
    factories.assign_role(user, role)
    return user


@pytest.fixture
def dynamic_group(tenant):
    return factories.GroupFactory(
        tenant=tenant,
        kind=GroupKind.SECURITY,
        membership_type=MembershipType.DYNAMIC,
        membership_rule='user.department -eq "HR"',
    )


def test_it_previews_no_rule_naming_a_group_whose_members_the_writer_cant_read(
    client, tenant, rule_writer, dynamic_group, executives, insider
):
    client.force_login(rule_writer)
    url = _url("group_rule_validate", dynamic_group)
    html = client.post(url, {"rule": _member_of(executives)}, **HX).content.decode()
    assert "Insider Person" not in html and "match" not in html
    assert "Executives" in html and "can&#x27;t read" in html
    # Saving it is refused as a form error; the rule stays.
    saved = client.post(_url("group_rule", dynamic_group), {"rule": _member_of(executives)})
    assert saved.status_code == 400 and "Executives" in saved.content.decode()
    dynamic_group.refresh_from_db()
    assert dynamic_group.membership_rule == 'user.department -eq "HR"'
    # A rule naming a group whose members they may read previews as usual.
    club = factories.GroupFactory(tenant=tenant, members=[insider])
    html = client.post(url, {"rule": _member_of(club)}, **HX).content.decode()
    assert "Valid rule. 1 user match." in html and "Insider Person" in html


def test_it_checks_no_one_against_a_saved_rule_naming_a_hidden_group(
    client, tenant, rule_writer, executives, insider
):
    shadow = factories.GroupFactory(
        tenant=tenant,
        kind=GroupKind.SECURITY,
        membership_type=MembershipType.DYNAMIC,
        membership_rule=_member_of(executives),  # written by someone who could read Executives
    )
    client.force_login(rule_writer)
    html = client.get(_url("group_rule", shadow), {"check": "in@x.test"}).content.decode()
    assert 'tag-ok">Member' not in html and "Not a member" not in html
    assert "Valid rule" not in html and "Executives" in html


# --- item 3: rules need a role ----------------------------------------------------------------------


@pytest.fixture
def owned_dynamic(tenant, member):
    factories.UserFactory(tenant=tenant, display_name="Probed Person", user_principal_name="probed@x.test")
    return factories.GroupFactory(
        tenant=tenant,
        kind=GroupKind.SECURITY,
        membership_type=MembershipType.DYNAMIC,
        membership_rule='user.department -eq "Sales"',
        owners=[member],
    )


def test_it_refuses_the_owner_writing_or_previewing_a_rule(client, member, owned_dynamic):
    client.force_login(member)
    probe = {"rule": 'user.employeeId -startsWith "1"'}
    assert client.post(_url("group_rule", owned_dynamic), probe).status_code == 403
    assert client.post(_url("group_rule_validate", owned_dynamic), probe, **HX).status_code == 403
    owned_dynamic.refresh_from_db()
    assert owned_dynamic.membership_rule == 'user.department -eq "Sales"'
    html = client.get(_url("group_rule", owned_dynamic)).content.decode()
    assert 'name="rule"' not in html and "Validate rules" not in html


def test_it_checks_other_users_only_for_those_with_the_right(client, tenant, member, owned_dynamic):
    client.force_login(member)
    html = client.get(_url("group_rule", owned_dynamic), {"check": "probed@x.test"}).content.decode()
    assert "Probed Person" not in html
    assert "Why am I not in this group?" in html  # their own values, as before
    client.force_login(factories.UserFactory(tenant=tenant, role="groupsAdministrator"))
    html = client.get(_url("group_rule", owned_dynamic), {"check": "probed@x.test"}).content.decode()
    assert "Probed Person" in html


def test_my_groups_offers_no_dynamic_membership_to_ordinary_users(client, member, groups_admin):
    client.force_login(member)
    assert "membership_type" not in client.get(MY_URL).context["form"].fields
    client.force_login(groups_admin)
    assert "membership_type" in client.get(MY_URL).context["form"].fields


def test_it_refuses_a_crafted_dynamic_group_on_my_groups(client, member):
    client.force_login(member)
    response = client.post(
        MY_URL,
        {
            "kind": "security",
            "display_name": "Probe",
            "mail_nickname": "probe",
            "visibility": "Public",
            "join_policy": "open",
            "membership_type": "dynamic",
            "membership_rule": 'user.employeeId -startsWith "1"',
        },
    )
    assert response.status_code == 200
    assert "Groups Administrators" in " ".join(response.context["form"].non_field_errors())
    assert not Group.objects.filter(mail_nickname="probe").exists()
    assert AuditEvent.objects.filter(activity="Add group", result="failure", actor_id=str(member.pk)).exists()
