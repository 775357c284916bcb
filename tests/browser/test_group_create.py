from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from groups.models import Group
from portal.models import TenantGroupSettings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _naming_policy() -> None:
    TenantGroupSettings.objects.filter(tenant__slug="contoso").update(
        prefix_suffix_naming_requirement="GRP_[Department]_[GroupName]", custom_blocked_words="secret"
    )


def test_it_creates_a_group_under_the_naming_policy_showing_the_previewed_name(
    demo, sign_in, csp_violations, live_server
):
    _naming_policy()
    page = sign_in("user@contoso.test")  # Alex Wilber, Marketing
    page.goto(f"{live_server.url}/my/groups/new/")
    expect(page.get_by_role("link", name="group usage guidelines")).to_be_visible()
    name = page.get_by_label("Group name", exact=True)
    name.fill("Secret readers")
    expect(page.get_by_text("Your organization blocks “secret” in group names.")).to_be_visible()
    name.fill("Book Lovers")
    expect(page.get_by_text("GRP_Marketing_Book Lovers", exact=True)).to_be_visible()
    # Microsoft 365: the form swaps in its own fields in place and keeps what was typed.
    # Wait for htmx to settle the swap: only then do the new fields carry their live preview.
    page.evaluate(
        "() => { window.kindSwapSettled = false; document.body.addEventListener('htmx:afterSettle',"
        " (e) => { const cfg = e.detail.requestConfig; if (cfg && cfg.elt && cfg.elt.id === 'id_kind')"
        " window.kindSwapSettled = true; }); }"
    )
    page.get_by_label("Group type").select_option(label="Microsoft 365")
    page.wait_for_function("() => window.kindSwapSettled")
    expect(page.get_by_label("Create a team for this group")).to_be_visible()
    expect(page.get_by_label("Privacy")).to_be_visible()
    expect(page.get_by_label("Group name", exact=True)).to_have_value("Book Lovers")
    page.get_by_label("Email alias").fill("booklovers")
    expect(page.get_by_text("GRP_Marketing_booklovers", exact=True)).to_be_visible()
    page.screenshot(path="/tmp/groupdesk-group-create.png", full_page=True)
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("heading", name="GRP_Marketing_Book Lovers", level=1)).to_be_visible()
    group = Group.objects.get(display_name="GRP_Marketing_Book Lovers")
    assert group.mail_nickname == "GRP_Marketing_booklovers" and group.kind == "microsoft365"
    assert list(group.ownerships.values_list("user__user_principal_name", flat=True)) == ["user@contoso.test"]
    assert csp_violations == []


def test_it_filters_the_admin_list_in_place_and_keeps_the_filters_in_the_url(
    demo, sign_in, csp_violations, live_server
):
    page = sign_in("groupsadmin@contoso.test")
    page.goto(f"{live_server.url}/groups/")
    table = page.get_by_role("table", name="Groups")
    expect(table.get_by_role("link", name="Book Club")).to_be_visible()
    page.get_by_label("Kind").select_option(label="Microsoft 365")
    expect(table.get_by_role("link", name="Finance Reviewers")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/groups/\?.*kind=microsoft365"))
    page.get_by_role("searchbox", name="Search").fill("falcon")
    expect(table.get_by_role("link", name="Book Club")).to_have_count(0)
    expect(table.get_by_role("link", name="M365_Project_Falcon")).to_be_visible()
    page.go_back()
    expect(page.get_by_label("Kind")).to_have_value("microsoft365")
    assert csp_violations == []


def test_it_stops_offering_security_groups_once_users_may_not_create_them(
    demo, sign_in, csp_violations, live_server
):
    page = sign_in("user@contoso.test")
    page.goto(f"{live_server.url}/my/groups/new/")
    expect(page.get_by_label("Group type").get_by_role("option", name="Security")).to_have_count(1)
    TenantGroupSettings.objects.filter(tenant__slug="contoso").update(users_can_create_security_groups=False)
    page.reload()
    expect(page.get_by_label("Group type").get_by_role("option", name="Security")).to_have_count(0)
    expect(page.get_by_label("Group type").get_by_role("option", name="Microsoft 365")).to_have_count(1)
    assert csp_violations == []
