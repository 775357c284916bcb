"""The naming policy refuses tokens it doesn't know; a blocked word is reported once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups.naming import find_blocked_words
from groups.services.settings import SettingsError, tenant_settings_update
from portal.models import TenantGroupSettings

pytestmark = pytest.mark.django_db

KNOWN = "[GroupName], [Department], [Company], [Office], [StateOrProvince], [CountryOrRegion] or [Title]"


def test_the_settings_form_refuses_an_unknown_token_with_the_known_ones(client, tenant, groups_admin):
    client.force_login(groups_admin)
    data = {"section": "naming", "prefix_suffix_naming_requirement": "GRP_[Dept]_[GroupName]"}
    body = client.post(reverse("group_settings"), data, HTTP_HX_REQUEST="true").content.decode()
    assert f"[Dept] isn&#x27;t a token of the naming policy. Use {KNOWN} (spelled as shown)." in body
    assert TenantGroupSettings.objects.get(tenant=tenant).prefix_suffix_naming_requirement == ""
    client.post(
        reverse("group_settings"),
        {**data, "prefix_suffix_naming_requirement": "GRP_[Department]_[GroupName]"},
    )
    assert TenantGroupSettings.objects.get(tenant=tenant).prefix_suffix_naming_requirement == (
        "GRP_[Department]_[GroupName]"
    )


def test_the_service_refuses_unknown_tokens_too(tenant, groups_admin):
    with pytest.raises(SettingsError, match=r"\[dept\], \[X\] aren't tokens of the naming policy"):
        tenant_settings_update(
            actor=groups_admin,
            tenant=tenant,
            changes={"prefix_suffix_naming_requirement": "[dept]_[GroupName]_[X]"},
        )


def test_the_preview_names_the_unknown_token_instead_of_showing_it(client, groups_admin):
    client.force_login(groups_admin)
    url = reverse("settings_naming_preview")
    body = client.get(url, {"prefix_suffix_naming_requirement": "GRP_[Dept]_[GroupName]"}).content.decode()
    assert "[Dept] isn&#x27;t a token" in body and "GRP_[Dept]_" not in body


def test_a_blocked_word_is_reported_once(client, tenant, member):
    assert find_blocked_words("Secret secret", ("Secret", "secret")) == ["Secret"]
    TenantGroupSettings.objects.filter(tenant=tenant).update(custom_blocked_words="secret\nSecret")
    client.force_login(member)
    url = reverse("group_name_preview")
    body = client.get(url, {"display_name": "Secret plans", "mail_nickname": "secret-plans"}).content.decode()
    assert body.count("Your organization blocks") == 1 and body.count("“secret”") == 1
