from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.models import CustomRole, RoleAssignment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_creates_a_custom_role_assigns_it_and_explains_access(demo, sign_in, csp_violations, live_server):
    page = sign_in("admin@contoso.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Roles").click()
    expect(page.get_by_role("heading", name="Built-in roles")).to_be_visible()
    page.get_by_role("link", name="New custom role").click()
    page.get_by_label("Name").fill("Security helpdesk")
    group = page.get_by_role("group", name="Security groups", exact=False).first
    expect(group).to_be_visible()
    page.get_by_label(
        "members/update Update members of Security groups, excluding role-assignable groups"
    ).check()
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("Created the custom role “Security helpdesk”.")).to_be_visible()
    role = CustomRole.objects.get(display_name="Security helpdesk")
    assert role.permissions == ["microsoft.directory/groups.security/members/update"]

    page.get_by_role("link", name="Assignments").click()
    page.get_by_label("Role", exact=True).select_option(label="Security helpdesk")
    page.get_by_label("Assign to").fill("user@contoso.test")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("cell", name="Security helpdesk", exact=True)).to_be_visible()
    assert RoleAssignment.objects.filter(
        custom_role=role, principal_user__user_principal_name="user@contoso.test"
    ).exists()

    page.get_by_role("link", name="Check access").click()
    page.get_by_label("Person").fill("user@contoso.test")
    page.get_by_label("Group").fill("helpdesk-admins")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("heading", name="Alex Wilber and Helpdesk Admins")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Update members of this group")
    expect(row).to_contain_text("Not allowed")
    page.screenshot(path="/tmp/groupdesk-roles-check.png", full_page=True)
    assert csp_violations == []
