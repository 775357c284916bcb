from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_signs_in_and_shows_my_groups(demo, sign_in, csp_violations, live_server):
    page = sign_in("user@contoso.test")
    expect(page.get_by_role("heading", name="My groups", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Groups I'm in")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit")).to_have_count(0)
    page.screenshot(path="/tmp/groupdesk-my-groups.png", full_page=True)
    assert csp_violations == []
