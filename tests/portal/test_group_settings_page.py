from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from groups.authz import GroupSpec
from groups.models import GroupKind
from groups.services.settings import SettingsError, tenant_settings_update
from portal.authz import can
from portal.models import AuditEvent, OwnerAssigners, TenantGroupSettings
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("group_settings")


def _post(client, section: str, htmx: bool = False, **data):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(URL, {"section": section, **data}, **extra)


CREATION = {
    "users_can_create_security_groups": "False",
    "users_can_create_m365_groups": "True",
    "group_creation_allowed_group": "",
}


def test_it_shows_every_section_with_the_effect_of_each_value(client, groups_admin):
    client.force_login(groups_admin)
    page = client.get(URL).content.decode()
    for title in (
        "Self-service group management",
        "Group creation",
        "Owners and guests",
        "Naming policy",
        "Expiration",
        "Requests and dynamic groups",
        "Usage guidelines and classification",
    ):
        assert title in page
    assert "Every member user can create security groups" in page


def test_it_opens_for_admins_and_readers_and_refuses_ordinary_users(client, tenant, member, admin_user):
    reader = UserFactory(tenant=tenant, role="directoryReaders")
    for user, status in ((admin_user, 200), (reader, 200), (member, 403)):
        client.force_login(user)
        assert client.get(URL).status_code == status
    client.force_login(reader)
    page = client.get(URL).content.decode()
    assert "disabled" in page and ">Save</button>" not in page
    assert _post(client, "creation", **CREATION).status_code == 403
    assert TenantGroupSettings.objects.get(tenant=tenant).users_can_create_security_groups is True


def test_it_saves_one_section_in_place_and_applies_it_on_the_next_request(
    client, tenant, groups_admin, member
):
    spec = GroupSpec(kind=GroupKind.SECURITY)
    assert can(member, "create", spec)
    client.force_login(groups_admin)
    response = _post(client, "creation", htmx=True, **CREATION)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card settings-section" id="settings-creation"')
    assert "Saved." in body and "can&#x27;t create security groups" in body
    fresh = type(member).objects.select_related("tenant__group_settings").get(pk=member.pk)
    assert not can(fresh, "create", spec)
    event = AuditEvent.objects.get(activity="Update group settings")
    assert event.before == {"users_can_create_security_groups": True}
    assert event.after == {"users_can_create_security_groups": False}


def test_it_redirects_after_a_save_without_javascript(client, groups_admin):
    client.force_login(groups_admin)
    response = _post(client, "creation", **CREATION)
    assert response.status_code == 302 and response.url == URL


def test_it_renders_errors_in_place_and_saves_nothing(client, tenant, groups_admin):
    client.force_login(groups_admin)
    data = {"group_lifetime_days": "10", "expiration_scope": "all"}
    response = _post(client, "expiration", htmx=True, **data)
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 30" in response.content.decode()
    assert _post(client, "expiration", **data).status_code == 400
    settings = TenantGroupSettings.objects.get(tenant=tenant)
    assert settings.group_lifetime_days is None and settings.expiration_scope == "none"
    assert not AuditEvent.objects.filter(activity="Update group settings").exists()


def test_it_finds_the_allowed_group_by_name_only_in_the_tenant(client, tenant, other_tenant, groups_admin):
    GroupFactory(tenant=other_tenant, display_name="Creators")
    client.force_login(groups_admin)
    response = _post(
        client, "creation", htmx=True, **{**CREATION, "group_creation_allowed_group": "Creators"}
    )
    assert "No group named" in response.content.decode()
    mine = GroupFactory(tenant=tenant, display_name="Creators")
    _post(client, "creation", htmx=True, **{**CREATION, "group_creation_allowed_group": "creators"})
    assert TenantGroupSettings.objects.get(tenant=tenant).group_creation_allowed_group == mine


def test_it_requires_the_default_classification_to_be_in_the_list(client, tenant, groups_admin):
    client.force_login(groups_admin)
    data = {
        "classification_list": "Low, Medium",
        "default_classification": "High",
        "usage_guidelines_url": "",
    }
    assert "Choose one of" in _post(client, "guidance", htmx=True, **data).content.decode()
    _post(client, "guidance", **{**data, "default_classification": "Low"})
    settings = TenantGroupSettings.objects.get(tenant=tenant)
    assert settings.classifications == ["Low", "Medium"] and settings.default_classification == "Low"


def test_it_refuses_an_unknown_section(client, groups_admin):
    client.force_login(groups_admin)
    assert _post(client, "nope").status_code == 400


def test_it_previews_the_naming_policy(client, groups_admin, member):
    client.force_login(groups_admin)
    url = reverse("settings_naming_preview")
    response = client.get(url, {"prefix_suffix_naming_requirement": "GRP_[GroupName]", "sample": "Falcon"})
    assert "GRP_Falcon" in response.content.decode()
    client.force_login(member)
    assert client.get(url).status_code == 403


def test_it_requires_a_group_name_token_in_the_naming_policy(client, groups_admin):
    client.force_login(groups_admin)
    data = {"prefix_suffix_naming_requirement": "GRP_", "custom_blocked_words": ""}
    assert "[GroupName]" in _post(client, "naming", htmx=True, **data).content.decode()


def test_the_service_checks_rights_and_invariants(tenant, other_tenant, groups_admin, member):
    with pytest.raises(PermissionDenied):
        tenant_settings_update(actor=member, tenant=tenant, changes={"restrict_my_groups": True})
    with pytest.raises(PermissionDenied):
        tenant_settings_update(actor=groups_admin, tenant=other_tenant, changes={"restrict_my_groups": True})
    with pytest.raises(SettingsError):
        tenant_settings_update(
            actor=groups_admin,
            tenant=tenant,
            changes={"owners_who_can_assign_owners": OwnerAssigners.SELECTED},
        )
    theirs = GroupFactory(tenant=other_tenant)
    with pytest.raises(SettingsError):
        tenant_settings_update(actor=groups_admin, tenant=tenant, changes={"owner_assigners_group": theirs})
    tenant_settings_update(actor=groups_admin, tenant=tenant, changes={"restrict_my_groups": False})
    assert not AuditEvent.objects.filter(activity="Update group settings").exists()  # nothing changed


def test_it_keeps_a_constant_number_of_queries(client, tenant, groups_admin, django_assert_num_queries):
    client.force_login(groups_admin)
    client.get(URL)
    with django_assert_num_queries(6) as ctx:
        client.get(URL)
    GroupFactory.create_batch(5, tenant=tenant)
    with django_assert_num_queries(len(ctx.captured_queries)):
        client.get(URL)


def test_it_edits_the_settings_graph_also_names_and_creates_the_group_unified_object(
    client, tenant, admin_user
):
    client.force_login(admin_user)
    page = client.get(URL).content.decode()
    assert "Guest usage guidelines URL" in page and "Guest invite restrictions" in page
    _post(
        client,
        "guidance",
        usage_guidelines_url="",
        guest_usage_guidelines_url="https://contoso.example/guests",
        classification_list="Low",
        default_classification="",
        classification_descriptions="Low:Anyone may read",
        enable_mip_labels="True",
    )
    settings = TenantGroupSettings.objects.get(tenant=tenant)
    assert settings.guest_usage_guidelines_url == "https://contoso.example/guests"
    assert (
        settings.classification_descriptions == "Low:Anyone may read" and settings.enable_mip_labels is True
    )
    # A change to a Group.Unified setting creates the settings object Graph lists at /groupSettings.
    assert settings.group_unified_setting_id is not None
    _post(
        client,
        "directory",
        allowed_to_read_other_users="True",
        guest_user_role_id=settings.guest_user_role_id,
        allow_invites_from="adminsAndGuestInviters",
    )
    assert TenantGroupSettings.objects.get(tenant=tenant).allow_invites_from == "adminsAndGuestInviters"
    event = AuditEvent.objects.filter(tenant=tenant, activity="Update authorization policy").get()
    assert event.after == {"allow_invites_from": "adminsAndGuestInviters"}
