"""The whole My Groups journey in a real browser, on the demo data."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_requests_approves_and_shows_the_membership(demo, sign_in, csp_violations, live_server, page):
    # The user asks to join an approval group, with a justification.
    sign_in("user@contoso.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Discover").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Finance Reviewers", exact=True))
    row.get_by_text("Request to join").click()  # opens the justification box
    row.get_by_label("Justification").fill("I review the Q3 marketing budget with Finance.")
    row.get_by_role("button", name="Send request").click()
    # htmx swaps the action box in place: the request is pending and can be cancelled.
    expect(row.get_by_text("Request pending")).to_be_visible()
    expect(row.get_by_role("button", name="Cancel request")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My requests").click()
    mine = page.get_by_role("row").filter(has_text="Finance Reviewers")
    expect(mine.get_by_text("Pending", exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # The owner sees it in the inbox, newest first, and approves it in place.
    sign_in("owner@contoso.test")
    approvals = page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Approvals"))
    badge = page.locator("#approvals-badge")
    before = int(re.search(r"\d+", badge.inner_text()).group())
    assert before >= 1
    approvals.click()
    request_row = page.get_by_role("row").filter(has_text="Alex Wilber")
    expect(request_row).to_contain_text("I review the Q3 marketing budget with Finance.")
    expect(request_row).to_contain_text("Marketing Assistant")
    first_row = page.get_by_role("row").nth(1)
    expect(first_row).to_contain_text("Alex Wilber")  # newest first
    request_row.get_by_placeholder("Reason (optional)").fill("Welcome aboard")
    request_row.get_by_role("button", name="Approve").click()
    expect(request_row.get_by_text("Approved")).to_be_visible()
    expect(request_row).to_contain_text("by you")
    expect(badge).to_have_text(re.compile(rf"\D{before - 1}$"))  # the navigation badge followed the decision
    page.get_by_role("button", name="Sign out").click()

    # The user now is in the group, and sees the decision.
    sign_in("user@contoso.test")
    in_section = page.get_by_role("region", name=re.compile("Groups I'm in"))
    expect(in_section.get_by_role("link", name="Finance Reviewers", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My requests").click()
    decided = page.get_by_role("row").filter(has_text="Finance Reviewers")
    expect(decided.get_by_text("Approved", exact=True)).to_be_visible()
    expect(decided).to_contain_text("Welcome aboard")
    expect(decided).to_contain_text("Adele Vance")
    page.screenshot(path="/tmp/groupdesk-journey.png", full_page=True)
    assert csp_violations == []


def test_it_joins_an_open_group_and_leaves_it_without_errors(demo, sign_in, csp_violations, page):
    sign_in("user@contoso.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Discover").click()
    page.get_by_role("searchbox", name="Search").fill("book")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Book Club", exact=True))
    expect(page.get_by_role("row")).to_have_count(2)  # the header and Book Club: filtered in place
    row.get_by_role("button", name=re.compile("^Join")).click()
    expect(row.get_by_text("You joined Book Club.")).to_be_visible()
    row.get_by_role("link", name="Book Club").click()
    expect(page.get_by_text("You're a member of this group.")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Leave group").click()
    expect(page.get_by_text("You left Book Club.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Join"))).to_be_visible()
    assert csp_violations == []
