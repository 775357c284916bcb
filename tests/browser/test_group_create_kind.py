"""The create forms make the kind of group the person chose, after an error and without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from groups.models import Group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, upn: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("User principal name").fill(upn)
    page.get_by_label("Password").fill("groupdesk-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_attached()


@pytest.mark.parametrize(
    ("upn", "path"), [("user@contoso.test", "/my/groups/new/"), ("admin@contoso.test", "/groups/new/")]
)
def test_it_keeps_the_chosen_type_after_a_validation_error_and_makes_that_group(
    demo, page, live_server, csp_violations, upn, path
):
    _sign_in(page, live_server, upn)
    page.goto(f"{live_server.url}{path}")
    page.get_by_label("Group type").select_option(label="Microsoft 365")
    expect(page.get_by_label("Privacy")).to_be_visible()  # htmx swapped in the Microsoft 365 fields
    page.get_by_label("Group name", exact=True).fill("Kept Kind")
    page.get_by_label("Email alias").fill("not a valid alias!")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator(".field-error").first).to_be_visible()
    expect(page.get_by_label("Group type")).to_have_value("microsoft365")
    expect(page.get_by_label("Privacy")).to_be_visible()
    page.get_by_label("Email alias").fill("keptkind")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kept Kind")
    assert Group.objects.get(display_name__contains="Kept Kind").kind == "microsoft365"
    assert csp_violations == []


@pytest.mark.parametrize(
    ("upn", "path"), [("user@contoso.test", "/my/groups/new/"), ("admin@contoso.test", "/groups/new/")]
)
def test_it_keeps_the_chosen_type_without_javascript(demo, browser, live_server, upn, path):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _sign_in(page, live_server, upn)
        page.goto(f"{live_server.url}{path}")
        page.get_by_label("Group type").select_option(label="Microsoft 365")
        page.get_by_role("button", name="Show the fields for the chosen type").click()
        expect(page.get_by_label("Privacy")).to_be_visible()
        expect(page.get_by_label("Group type")).to_have_value("microsoft365")
        page.get_by_label("Group name", exact=True).fill("No Script Kind")
        page.get_by_label("Email alias").fill("noscriptkind")
        page.get_by_role("button", name="Create", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("No Script Kind")
        assert Group.objects.get(display_name__contains="No Script Kind").kind == "microsoft365"
    finally:
        context.close()
