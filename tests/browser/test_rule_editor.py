from __future__ import annotations

import pytest
from playwright.sync_api import expect

from groups.models import Group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_validates_a_rule_as_you_type_and_explains_it(demo, sign_in, csp_violations, live_server):
    group = Group.objects.get(mail_nickname="marketing-dynamic")
    page = sign_in("admin@contoso.test")
    page.goto(f"{live_server.url}/groups/{group.id}/rule/")
    box = page.get_by_label("Rule syntax")
    expect(page.get_by_text("Valid rule.")).to_be_visible()
    box.fill('user.department -eq "Marketing" -and user.bogus -eq "x"')
    expect(page.get_by_role("alert").filter(has_text="Unknown property user.bogus")).to_be_visible()
    box.fill('user.department -in ["Marketing", "Sales"]')
    expect(page.get_by_text("Would join")).to_be_visible()
    expect(page.get_by_text("Would leave")).to_be_visible()
    page.get_by_label("Property 1").select_option("country")
    page.get_by_label("Value 1").fill("Japan")
    page.get_by_role("button", name="Write rule").click()
    expect(page.get_by_label("Rule syntax")).to_have_value('user.country -eq "Japan"')
    page.screenshot(path="/tmp/groupdesk-rule-editor.png", full_page=True)
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_text("Rule change held by the failsafe")).to_be_visible()
    page.get_by_label("Users (user principal names) or devices (names), one per line").fill(
        "user@contoso.test"
    )
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_role("heading", name="Alex Wilber Member")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page = sign_in("user@contoso.test")
    page.goto(f"{live_server.url}/groups/{group.id}/")
    expect(page.get_by_role("heading", name="Why am I in this group?")).to_be_visible()
    assert csp_violations == []
