"""Issue 16: the external collaboration settings (allowInvitesFrom, collaboration restrictions, inactive
days, removal after the last group) on /settings/groups/, audited, for privileged roles only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import AuditEvent, TenantGroupSettings

pytestmark = pytest.mark.django_db

DATA = {
    "section": "guests",
    "collaboration_restriction": "allow",
    "collaboration_domains": "Partner.example, @eu.partner.example\npartner.example",
    "guest_inactive_days": "60",
    "remove_guests_without_groups": "True",
}


def test_the_defaults_are_entras(tenant):
    settings = TenantGroupSettings.objects.get(tenant=tenant)
    assert settings.allow_invites_from == "everyone"
    assert settings.collaboration_restriction == "any"
    assert settings.guest_inactive_days == 90
    assert settings.remove_guests_without_groups is False


def test_a_global_administrator_saves_the_section_audited(client, tenant, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("group_settings")).content.decode()
    assert "Guest invite restrictions" in page and "Collaboration restrictions" in page
    assert client.post(reverse("group_settings"), DATA).status_code == 302
    settings = TenantGroupSettings.objects.get(tenant=tenant)
    assert settings.collaboration_domain_list == ["partner.example", "eu.partner.example"]
    assert settings.guest_inactive_days == 60 and settings.remove_guests_without_groups
    event = AuditEvent.objects.get(tenant=tenant, activity="Update authorization policy")
    assert event.after["collaboration_restriction"] == "allow"


def test_a_groups_administrator_cannot_change_whom_guests_are_invited_from(client, tenant, groups_admin):
    client.force_login(groups_admin)
    assert client.post(reverse("group_settings"), DATA).status_code == 403
    assert TenantGroupSettings.objects.get(tenant=tenant).collaboration_restriction == "any"


@pytest.mark.parametrize(
    "field, value",
    [
        ("collaboration_domains", "not a domain"),
        ("guest_inactive_days", "0"),
        ("collaboration_restriction", "x"),
    ],
)
def test_it_refuses_bad_values_in_place(client, tenant, admin_user, field, value):
    client.force_login(admin_user)
    response = client.post(reverse("group_settings"), {**DATA, field: value})
    assert response.status_code == 400
    assert TenantGroupSettings.objects.get(tenant=tenant).guest_inactive_days == 90
