from __future__ import annotations

import pytest
from playwright.sync_api import expect

from groups.models import Group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_adds_a_member_by_typeahead_and_sees_it_in_place(demo, sign_in, csp_violations, live_server):
    group = Group.objects.get(mail_nickname="secure-access-sales-crm")
    page = sign_in("admin@contoso.test")
    page.goto(f"{live_server.url}/groups/{group.id}/members/")
    page.get_by_label("Add members").fill("Alex Wil")
    option = page.get_by_role("option").filter(has_text="user@contoso.test")
    option.get_by_role("button").click()
    expect(page.get_by_role("status").filter(has_text="Alex Wilber was added.")).to_be_visible()
    expect(page.get_by_role("button", name="Remove Alex Wilber")).to_be_visible()
    assert group.memberships.filter(member_user__user_principal_name="user@contoso.test").exists()
    page.get_by_role("link", name="All members (through nesting)").click()
    expect(page).to_have_url(f"{live_server.url}/groups/{group.id}/members/?view=transitive")
    page.screenshot(path="/tmp/groupdesk-members.png", full_page=True)
    assert csp_violations == []
