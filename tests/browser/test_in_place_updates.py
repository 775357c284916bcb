"""In-place updates (htmx) keep the page consistent, move focus to what changed and announce it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from groups.models import Group
from portal.models import User
from tests.factories import JoinRequestFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED_ROW = "() => { const r = document.activeElement && document.activeElement.closest('tr'); return r ? r.id : null; }"


def _expect_focus_on(page, text: str) -> None:
    """The focused element (document.activeElement: a confirm dialog leaves the window unfocused, so
    not :focus) shows ``text``."""
    page.wait_for_function(
        "(t) => document.activeElement && document.activeElement.textContent.trim() === t", arg=text
    )


def _waiting(page) -> int:
    return int(
        re.search(
            r"(\d+) requests? waiting", page.get_by_text(re.compile("waiting for your decision")).inner_text()
        ).group(1)
    )


def _badge(page) -> int:
    return int(re.search(r"(\d+)$", page.locator("#approvals-badge").inner_text().strip()).group(1))


def _more_requests(n: int) -> None:
    group = Group.objects.get(display_name="Finance Reviewers")
    for i in range(n):
        JoinRequestFactory(
            group=group,
            requester=UserFactory(tenant=group.tenant, display_name=f"Asker {i}"),
            justification=f"Reason {i}",
        )


def _group_cell(page, row):
    headers = page.get_by_role("columnheader").all_inner_texts()
    index = [h.strip() for h in headers].index("Group")
    return row.get_by_role("cell").nth(index)


def test_it_keeps_the_row_the_count_and_the_badge_in_step_after_an_in_place_approval(
    demo, sign_in, csp_violations, live_server, page
):
    _more_requests(3)
    sign_in("owner@contoso.test")
    page.goto(f"{live_server.url}/my/approvals/")
    before = _waiting(page)
    assert before == _badge(page) and before >= 3
    row = page.get_by_role("row").filter(has_text="Asker 0")
    row_id = row.get_attribute("id")
    expect(_group_cell(page, row)).to_have_text("Finance Reviewers")
    row.get_by_role("button", name="Approve").click()
    expect(row.get_by_text("Approved")).to_be_visible()
    expect(_group_cell(page, row)).to_have_text("Finance Reviewers")  # the cells stay in their columns
    expect(row.get_by_role("cell").nth(len(page.get_by_role("columnheader").all()) - 1)).to_contain_text(
        "by you"
    )
    expect(page.get_by_text(re.compile(rf"^{before - 1} requests? waiting"))).to_be_visible()
    expect(page.locator("#approvals-badge")).to_have_text(re.compile(rf"\D{before - 1}$"))
    _expect_focus_in_row(page, row_id)
    expect(page.locator("#live-region")).to_have_text(
        "Asker 0's request to join Finance Reviewers was approved."
    )

    # In bulk: two rows denied in place, the same agreement, focus on the result.
    for name in ("Asker 1", "Asker 2"):
        page.get_by_role("checkbox", name=re.compile(f"Select the request of {name} ")).check()
    page.get_by_role("button", name="Deny selected").click()
    for name in ("Asker 1", "Asker 2"):
        decided = page.get_by_role("row").filter(has_text=name)
        expect(decided.get_by_text("Denied")).to_be_visible()
        expect(_group_cell(page, decided)).to_have_text("Finance Reviewers")
    expect(page.get_by_text(re.compile(rf"^{before - 3} requests? waiting"))).to_be_visible()
    expect(page.locator("#approvals-badge")).to_have_text(re.compile(rf"\D{before - 3}$"))
    expect(page.locator("#live-region")).to_have_text("Denied 2 requests.")
    assert page.evaluate("() => document.activeElement.closest('#bulk-result') !== null")
    assert csp_violations == []


def _expect_focus_in_row(page, row_id: str) -> None:
    """Focus moves once htmx has settled the swap (after the out-of-band announcement): wait for it."""
    page.wait_for_function(
        "(id) => { const r = document.activeElement && document.activeElement.closest('tr');"
        " return r !== null && r.id === id; }",
        arg=row_id,
        timeout=5000,
    )


def test_it_moves_focus_and_announces_after_send_request_cancel_and_leave(
    demo, sign_in, csp_violations, live_server, page
):
    sign_in("user@contoso.test")
    page.goto(f"{live_server.url}/my/groups/discover/")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Finance Reviewers", exact=True))
    row.get_by_text("Request to join").click()
    row.get_by_label("Justification").fill("Budget reviews.")
    row.get_by_role("button", name="Send request").click()
    expect(row.get_by_text("Request pending")).to_be_visible()
    message = "Your request to join Finance Reviewers was sent to its owners."
    expect(page.locator("#live-region")).to_have_text(message)
    _expect_focus_on(page, message)

    row.get_by_role("button", name="Cancel request").click()
    expect(page.locator("#live-region")).to_have_text("Your request was cancelled.")
    _expect_focus_on(page, "Your request was cancelled.")

    page.get_by_role("searchbox", name="Search").fill("book")
    # The search swaps the table in 300 ms after typing: wait for it, or it can land after the Join
    # below and take the focus with the row it replaces (seen on a loaded machine).
    expect(page.get_by_role("link", name="Finance Reviewers", exact=True)).to_have_count(0)
    expect(page.locator(".htmx-request")).to_have_count(0)
    club = page.get_by_role("row").filter(has=page.get_by_role("link", name="Book Club", exact=True))
    club.get_by_role("button", name=re.compile("^Join")).click()
    _expect_focus_on(page, "You joined Book Club.")
    page.once("dialog", lambda dialog: dialog.accept())
    club.get_by_role("button", name="Leave group").click()
    expect(page.locator("#live-region")).to_have_text("You left Book Club.")
    _expect_focus_on(page, "You left Book Club.")

    # My requests: cancelling in place keeps focus in the row.
    page.goto(f"{live_server.url}/my/groups/discover/")
    row.get_by_text("Request to join").click()
    row.get_by_role("button", name="Send request").click()
    expect(row.get_by_text("Request pending")).to_be_visible()
    page.goto(f"{live_server.url}/my/requests/")
    mine = page.get_by_role("row").filter(has_text="Finance Reviewers").filter(has_text="Pending")
    row_id = mine.get_attribute("id")
    mine.get_by_role("button", name=re.compile("^Cancel request")).click()
    expect(page.locator("#live-region")).to_have_text("Your request to join Finance Reviewers was cancelled.")
    _expect_focus_in_row(page, row_id)
    assert csp_violations == []


def test_it_points_aria_describedby_only_at_ids_that_exist(demo, sign_in, live_server, page):
    sign_in("admin@contoso.test")
    group = Group.objects.get(display_name="Finance Reviewers")
    missing_refs = (
        "() => Array.from(document.querySelectorAll('[aria-describedby]')).flatMap(el =>"
        " el.getAttribute('aria-describedby').split(/\\s+/).filter(id => id && !document.getElementById(id))"
        " .map(id => (el.name || el.id) + ' -> ' + id))"
    )
    for path in ("/settings/groups/", "/groups/new/", f"/groups/{group.id}/settings/", "/my/groups/new/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate(missing_refs) == [], path
    assert User.objects.filter(user_principal_name="admin@contoso.test").exists()
