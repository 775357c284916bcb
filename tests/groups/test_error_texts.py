"""Refusals read as sentences."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups.rules import RuleSyntaxError, parse
from groups.services.settings import SettingsError, tenant_settings_update

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text, message",
    [
        ("user.department -eq", "Unexpected end of the rule: expected a value"),
        ("user.department", "Unexpected end of the rule after user.department: expected an operator"),
    ],
)
def test_a_rule_that_ends_too_early_says_so_in_a_sentence(text, message):
    with pytest.raises(RuleSyntaxError) as caught:
        parse(text)
    assert str(caught.value).startswith(message)


def test_the_default_classification_refusal_is_a_sentence(client, tenant, groups_admin):
    client.force_login(groups_admin)
    data = {"section": "guidance", "classification_list": "Low", "default_classification": "High"}
    body = client.post(reverse("group_settings"), data, HTTP_HX_REQUEST="true").content.decode()
    assert "Choose one of the classifications in the list." in body
    with pytest.raises(SettingsError, match="must be one of the classifications in the list"):
        tenant_settings_update(
            actor=groups_admin,
            tenant=tenant,
            changes={"classification_list": "Low", "default_classification": "High"},
        )
