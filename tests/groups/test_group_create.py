from __future__ import annotations

import pytest
from django.urls import reverse

from groups.models import Group, GroupKind, ProcessingStatus
from portal.models import AuditEvent, Device, TenantGroupSettings
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_URL = reverse("group_new")
MY_URL = reverse("my_group_new")


def _settings(tenant, **values):
    TenantGroupSettings.objects.filter(tenant=tenant).update(**values)


def _kinds(response) -> list[str]:
    return [value for value, _ in response.context["form"].fields["kind"].choices]


def test_it_offers_users_only_the_kinds_they_may_create(client, tenant, member):
    client.force_login(member)
    assert _kinds(client.get(MY_URL)) == [GroupKind.SECURITY, GroupKind.MICROSOFT_365]
    _settings(tenant, users_can_create_security_groups=False)
    assert _kinds(client.get(MY_URL)) == [GroupKind.MICROSOFT_365]
    allowed = GroupFactory(tenant=tenant)
    _settings(tenant, group_creation_allowed_group=allowed)  # GroupCreationAllowedGroupId
    assert client.get(MY_URL).status_code == 403


def test_it_offers_administrators_every_kind_and_sends_users_to_my_groups(
    client, member, groups_admin, admin_user
):
    client.force_login(groups_admin)
    response = client.get(ADMIN_URL)
    assert set(_kinds(response)) == set(GroupKind.values)
    assert "is_assignable_to_role" not in response.context["form"].fields  # Groups Administrators can't
    client.force_login(admin_user)
    kinds_form = client.get(ADMIN_URL).context["form"]
    assert "is_assignable_to_role" in kinds_form.fields
    client.force_login(member)
    assert client.get(ADMIN_URL)["Location"] == MY_URL


def test_it_refuses_a_kind_the_user_may_not_create_on_the_server(client, tenant, member):
    _settings(tenant, users_can_create_security_groups=False)
    client.force_login(member)
    response = client.post(
        MY_URL, {"kind": "security", "display_name": "Sneaky", "visibility": "Public", "join_policy": "open"}
    )
    assert response.status_code == 200 and not Group.objects.exists()
    refusal = AuditEvent.objects.get(activity="Add group")
    assert refusal.result == "failure" and refusal.actor_id == str(member.pk)
    response = client.post(
        MY_URL,
        {
            "kind": "mailEnabledSecurity",
            "display_name": "Sneaky",
            "mail_nickname": "s",
            "visibility": "Public",
        },
    )
    assert not Group.objects.exists()


def test_it_creates_a_security_group_from_my_groups_with_the_creator_as_owner(client, tenant, member):
    colleague = UserFactory(tenant=tenant)
    client.force_login(member)
    response = client.post(
        MY_URL,
        {
            "kind": "security",
            "display_name": "Hiking",
            "visibility": "Public",
            "join_policy": "approval",
            "members": colleague.user_principal_name.upper(),
        },
    )
    group = Group.objects.get()
    assert response["Location"] == reverse("group_detail", args=[group.pk])
    assert (group.created_in, group.join_policy, group.created_by) == ("myGroups", "approval", member)
    assert list(group.ownerships.values_list("user", flat=True)) == [member.pk]
    assert list(group.memberships.values_list("member_user", flat=True)) == [colleague.pk]


def test_it_creates_a_microsoft_365_group_with_alias_privacy_and_team(client, tenant, groups_admin):
    owner = UserFactory(tenant=tenant)
    client.force_login(groups_admin)
    response = client.post(
        ADMIN_URL,
        {
            "kind": "microsoft365",
            "display_name": "Project Falcon",
            "mail_nickname": "falcon",
            "visibility": "Private",
            "has_team": "on",
            "membership_type": "assigned",
            "join_policy": "closed",
            "owners": owner.user_principal_name,
        },
    )
    assert response.status_code == 302
    group = Group.objects.get()
    assert (group.kind, group.mail_nickname, group.visibility, group.has_team) == (
        "microsoft365",
        "falcon",
        "Private",
        True,
    )
    assert list(group.ownerships.values_list("user", flat=True)) == [
        owner.pk
    ]  # no automatic owner for admins


def test_it_keeps_microsoft_365_groups_to_users_and_requires_an_alias(client, tenant, groups_admin):
    device = Device.objects.create(tenant=tenant, display_name="LAPTOP-1")
    client.force_login(groups_admin)
    response = client.post(
        ADMIN_URL,
        {
            "kind": "microsoft365",
            "display_name": "X",
            "visibility": "Public",
            "membership_type": "assigned",
            "join_policy": "open",
            "members": device.display_name,
        },
    )
    form = response.context["form"]
    assert "mail_nickname" in form.errors and "members" in form.errors
    assert not Group.objects.exists()


def test_it_creates_security_groups_with_devices_and_nested_groups(client, tenant, groups_admin):
    device = Device.objects.create(tenant=tenant, display_name="LAPTOP-1")
    inner = GroupFactory(tenant=tenant, mail_nickname="inner")
    client.force_login(groups_admin)
    client.post(
        ADMIN_URL,
        {
            "kind": "security",
            "display_name": "Devices",
            "visibility": "Public",
            "membership_type": "assigned",
            "join_policy": "closed",
            "members": "LAPTOP-1\ninner",
        },
    )
    group = Group.objects.get(display_name="Devices")
    assert {m.member for m in group.memberships.all()} == {device, inner}


def test_it_saves_a_dynamic_group_with_its_rule_and_processes_it(client, tenant, groups_admin):
    client.force_login(groups_admin)
    response = client.post(
        ADMIN_URL,
        {
            "kind": "security",
            "display_name": "Marketing",
            "visibility": "Public",
            "membership_type": "dynamic",
            "membership_rule": 'user.department -eq "Marketing"',
            "join_policy": "closed",
        },
    )
    assert response.status_code == 302
    group = Group.objects.get()
    assert group.is_dynamic and group.membership_rule == 'user.department -eq "Marketing"'
    # The immediate task backend computes the members at once (groups.dynamic).
    assert group.processing_status == ProcessingStatus.SUCCEEDED


def test_it_asks_for_a_rule_and_refuses_dynamic_groups_on_the_free_plan(client, tenant, groups_admin):
    client.force_login(groups_admin)
    response = client.post(
        ADMIN_URL,
        {
            "kind": "security",
            "display_name": "D",
            "visibility": "Public",
            "membership_type": "dynamic",
            "join_policy": "closed",
        },
    )
    assert "membership_rule" in response.context["form"].errors
    tenant.plan = "free"
    tenant.save()
    assert "membership_type" not in client.get(ADMIN_URL).context["form"].fields


def test_it_creates_mail_enabled_security_groups_without_self_service(client, tenant, groups_admin):
    client.force_login(groups_admin)
    form = client.get(f"{ADMIN_URL}?kind=mailEnabledSecurity").context["form"]
    assert "join_policy" not in form.fields and "membership_type" not in form.fields
    client.post(
        ADMIN_URL,
        {
            "kind": "mailEnabledSecurity",
            "display_name": "Alerts",
            "mail_nickname": "alerts",
            "visibility": "Public",
        },
    )
    assert Group.objects.get().kind == GroupKind.MAIL_ENABLED_SECURITY


def test_it_swaps_the_kinds_fields_in_place_with_htmx_and_keeps_what_was_typed(client, groups_admin):
    client.force_login(groups_admin)
    response = client.get(f"{ADMIN_URL}?kind=microsoft365&display_name=Falcon", HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="kind-fields">') and "<html" not in content
    assert "Create a team" in content and 'value="Falcon"' in content and "Privacy" in content


def test_it_changes_kind_without_javascript_and_saves_nothing(client, groups_admin):
    client.force_login(groups_admin)
    response = client.post(ADMIN_URL, {"kind": "microsoft365", "display_name": "Falcon", "refresh": "1"})
    assert response.status_code == 200 and b"Create a team" in response.content
    assert not response.context["form"].errors and not Group.objects.exists()


def test_it_applies_the_naming_policy_and_previews_the_final_name(client, tenant):
    _settings(
        tenant, prefix_suffix_naming_requirement="GRP_[Department]_[GroupName]", custom_blocked_words="secret"
    )
    user = UserFactory(tenant=tenant, department="Marketing")
    client.force_login(user)
    preview = client.get(
        reverse("group_name_preview"), {"display_name": "Book Lovers", "mail_nickname": "books"}
    )
    assert b"GRP_Marketing_Book Lovers" in preview.content and b"GRP_Marketing_books" in preview.content
    blocked = client.get(reverse("group_name_preview"), {"display_name": "Secret Club"})
    assert "blocks “secret”" in blocked.content.decode()
    response = client.post(
        MY_URL,
        {"kind": "security", "display_name": "Secret Club", "visibility": "Public", "join_policy": "open"},
    )
    assert "blocks" in str(response.context["form"].errors["display_name"]) and not Group.objects.exists()
    client.post(
        MY_URL,
        {"kind": "security", "display_name": "Book Lovers", "visibility": "Public", "join_policy": "open"},
    )
    assert Group.objects.get().display_name == "GRP_Marketing_Book Lovers"


def test_it_shows_the_usage_guidelines_and_refuses_a_taken_alias(client, tenant, groups_admin):
    _settings(tenant, usage_guidelines_url="https://example.test/guidelines")
    GroupFactory(tenant=tenant, mail_nickname="Taken")
    client.force_login(groups_admin)
    assert b"https://example.test/guidelines" in client.get(ADMIN_URL).content
    response = client.post(
        ADMIN_URL,
        {
            "kind": "microsoft365",
            "display_name": "T",
            "mail_nickname": "taken",
            "visibility": "Public",
            "membership_type": "assigned",
            "join_policy": "open",
        },
    )
    assert "already used" in str(response.context["form"].errors["mail_nickname"])


def test_it_reports_unknown_owners_and_members_by_name(client, tenant, groups_admin, other_tenant):
    stranger = UserFactory(tenant=other_tenant)
    client.force_login(groups_admin)
    response = client.post(
        ADMIN_URL,
        {
            "kind": "security",
            "display_name": "X",
            "visibility": "Public",
            "membership_type": "assigned",
            "join_policy": "closed",
            "owners": stranger.user_principal_name,
            "members": "nobody@nowhere.test",
        },
    )
    errors = response.context["form"].errors
    assert stranger.user_principal_name in str(errors["owners"]) and "nobody@nowhere.test" in str(
        errors["members"]
    )
    assert not Group.objects.exists()


def test_it_rolls_back_everything_when_owners_may_not_add_owners(client, tenant, member):
    _settings(tenant, owners_who_can_assign_owners="none")
    colleague = UserFactory(tenant=tenant)
    client.force_login(member)
    response = client.post(
        MY_URL,
        {
            "kind": "security",
            "display_name": "X",
            "visibility": "Public",
            "join_policy": "open",
            "owners": colleague.user_principal_name,
        },
    )
    assert response.status_code == 200 and "owners" in response.content.decode().lower()
    assert not Group.objects.exists() and not AuditEvent.objects.filter(activity="Add group").exists()


def test_it_refuses_guests_and_anonymous_visitors(client, tenant):
    guest = UserFactory(tenant=tenant, user_type="Guest")
    client.force_login(guest)
    assert client.get(MY_URL).status_code == 403
    client.logout()
    assert client.get(MY_URL).status_code == 302


def test_it_keeps_a_constant_number_of_queries_on_the_form(
    client, tenant, groups_admin, django_assert_num_queries
):
    client.force_login(groups_admin)
    with django_assert_num_queries(6):
        client.get(ADMIN_URL)
    GroupFactory.create_batch(20, tenant=tenant)
    with django_assert_num_queries(6):
        client.get(ADMIN_URL)


def test_it_shows_the_rule_box_for_dynamic_groups_and_the_members_box_otherwise(client, groups_admin):
    client.force_login(groups_admin)
    assigned = client.get(ADMIN_URL).context["form"].fields
    assert "members" in assigned and "membership_rule" not in assigned
    swapped = client.get(f"{ADMIN_URL}?kind=security&membership_type=dynamic", HTTP_HX_REQUEST="true")
    assert b"Dynamic membership rule" in swapped.content and b'name="members"' not in swapped.content


def test_it_shows_the_rule_engines_error_with_its_position(client, groups_admin):
    client.force_login(groups_admin)
    response = client.post(
        ADMIN_URL,
        {
            "kind": "security",
            "display_name": "Broken",
            "visibility": "Public",
            "membership_type": "dynamic",
            "membership_rule": 'user.department -eq "Marketing',
            "join_policy": "closed",
        },
    )
    assert "position" in str(response.context["form"].errors["membership_rule"])
    assert not Group.objects.exists()
