"""Layout: phones (390 × 844) with and without JavaScript, the admin header and the groups list at 1,280 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from access_requests.models import JoinRequest
from groups.models import Group
from portal.models import User
from tests.factories import JoinRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WIDTH = "() => document.documentElement.scrollWidth"


def _sign_in(page, live_server, upn: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("User principal name").fill(upn)
    page.get_by_label("Password").fill("groupdesk-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("banner")).to_be_visible()


def _pending_request_of_the_user() -> None:
    user = User.objects.get(user_principal_name="user@contoso.test")
    group = Group.objects.get(display_name="Finance Reviewers")
    if not JoinRequest.objects.filter(requester=user, group=group, status="pending").exists():
        JoinRequestFactory(group=group, requester=user, justification="A rather long justification " * 6)


def _check_phone_pages(page, live_server, *, javascript: bool) -> None:
    _sign_in(page, live_server, "user@contoso.test")
    for path in ("/my/groups/discover/", "/my/groups/", "/my/requests/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate(WIDTH) <= 390, (path, page.evaluate(WIDTH))
        # The header is compact: the navigation is behind a "Menu" disclosure, even without JavaScript.
        assert page.get_by_role("banner").bounding_box()["height"] <= 64, path
        expect(page.get_by_role("link", name="Discover", exact=True)).to_be_hidden()
    cancel = page.get_by_role("button", name=re.compile("^Cancel request")).first
    box = cancel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.get_by_text("Menu", exact=True).click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Discover")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.evaluate(WIDTH) <= 390
    page.screenshot(path=f"/tmp/groupdesk-phone-menu{'' if javascript else '-nojs'}.png")
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, live_server, "owner@contoso.test")
    page.goto(f"{live_server.url}/my/approvals/")
    assert page.evaluate(WIDTH) <= 390, page.evaluate(WIDTH)
    for name in ("Approve", "Deny"):
        box = page.get_by_role("button", name=name, exact=True).first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, name
    # Rows are stacked cards: a row's cells sit one under the other, each named after its column.
    row = page.get_by_role("row").filter(has_text="Alex Wilber")
    group_cell, justification_cell = (
        row.locator("td[data-label=Group]"),
        row.locator("td[data-label=Justification]"),
    )
    assert justification_cell.bounding_box()["y"] > group_cell.bounding_box()["y"]
    page.screenshot(path=f"/tmp/groupdesk-phone-approvals{'' if javascript else '-nojs'}.png", full_page=True)


def test_it_fits_the_end_user_pages_in_a_phone_viewport(demo, page, live_server, csp_violations):
    _pending_request_of_the_user()
    page.set_viewport_size(PHONE)
    _check_phone_pages(page, live_server, javascript=True)
    assert csp_violations == []


def test_it_fits_the_end_user_pages_in_a_phone_viewport_without_javascript(demo, browser, live_server):
    _pending_request_of_the_user()
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    try:
        _check_phone_pages(context.new_page(), live_server, javascript=False)
    finally:
        context.close()


def test_it_fits_the_admin_header_in_one_row_at_1280_px(demo, page, live_server):
    page.set_viewport_size({"width": 1280, "height": 800})
    _sign_in(page, live_server, "admin@contoso.test")
    nav = page.get_by_role("navigation", name="Main")
    links = nav.get_by_role("link").all()
    assert len(links) >= 10
    tops = {round(link.bounding_box()["y"]) for link in links}
    sign_out = page.get_by_role("button", name="Sign out").bounding_box()
    brand = page.get_by_role("link", name="Groupdesk").bounding_box()
    assert len(tops) == 1, tops
    assert abs(sign_out["y"] - brand["y"]) < 20 and abs(links[0].bounding_box()["y"] - brand["y"]) < 20
    assert page.get_by_role("banner").bounding_box()["height"] <= 64
    assert page.evaluate(WIDTH) <= 1280
    page.screenshot(path="/tmp/groupdesk-admin-header.png")


def test_it_shows_created_in_the_groups_list_without_sideways_scrolling(demo, page, live_server):
    page.set_viewport_size({"width": 1280, "height": 800})
    _sign_in(page, live_server, "admin@contoso.test")
    page.goto(f"{live_server.url}/groups/")
    created = page.get_by_role("table", name="Groups").get_by_role("columnheader", name="Created")
    box = created.bounding_box()
    assert box["x"] + box["width"] <= 1280
    assert page.evaluate(WIDTH) <= 1280
    assert page.evaluate(
        "() => Array.from(document.querySelectorAll('.table-wrap')).every(w => w.scrollWidth <= w.clientWidth)"
    )


def test_it_marks_required_fields(demo, page, live_server):
    _sign_in(page, live_server, "user@contoso.test")
    page.goto(f"{live_server.url}/my/groups/new/")
    expect(page.get_by_text("Fields marked * are required.")).to_be_visible()
    mark = "(el) => getComputedStyle(el.labels[0], '::after').content"
    assert "*" in page.get_by_label("Group name", exact=True).evaluate(mark)
    assert "*" not in page.get_by_label("Description").evaluate(mark)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_it_fits_the_rest_of_the_end_user_journey_in_a_phone_viewport(demo, browser, live_server, javascript):
    """The group page (members, owners, the join box), the create form and the sign-in page too."""
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.evaluate(WIDTH) <= 390
    _sign_in(page, live_server, "user@contoso.test")
    group = Group.objects.get(display_name="Finance Reviewers")
    for path in (
        f"/groups/{group.pk}/",
        f"/groups/{group.pk}/members/",
        f"/groups/{group.pk}/owners/",
        "/my/groups/new/",
    ):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate(WIDTH) <= 390, (path, page.evaluate(WIDTH))
    context.close()
