"""The navigation shows what a person can use and hides what they can't."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.models import TenantGroupSettings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _main_nav(page):
    return page.get_by_role("navigation", name="Main")


def test_it_hides_approvals_from_people_who_own_nothing_and_links_owners_to_their_groups(
    demo, sign_in, csp_violations, live_server, page
):
    sign_in("user@contoso.test")  # an ordinary member: owns nothing, administers nothing
    expect(_main_nav(page).get_by_role("link", name="My groups")).to_be_visible()
    expect(_main_nav(page).get_by_role("link", name=re.compile("^Approvals"))).to_have_count(0)
    expect(_main_nav(page).get_by_role("link", name=re.compile("^Groups"))).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    sign_in("owner@contoso.test")  # owns Finance Reviewers and Book Club
    expect(_main_nav(page).get_by_role("link", name=re.compile("^Approvals"))).to_be_visible()
    _main_nav(page).get_by_role("link", name="Groups I manage").click()
    table = page.get_by_role("table", name="Groups")
    expect(table.get_by_role("link", name="Finance Reviewers", exact=True)).to_be_visible()
    expect(table.get_by_role("link", name="Book Club", exact=True)).to_be_visible()
    assert csp_violations == []


def test_it_offers_new_group_only_when_some_kind_of_group_can_be_made(demo, sign_in, live_server, page):
    sign_in("user@contoso.test")
    expect(page.get_by_role("link", name="New group")).to_be_visible()
    TenantGroupSettings.objects.filter(tenant__slug="contoso").update(
        users_can_create_security_groups=False, users_can_create_m365_groups=False
    )
    page.reload()
    expect(page.get_by_role("heading", name="My groups", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="New group")).to_have_count(0)
    assert page.goto(f"{live_server.url}/my/groups/new/").status == 403  # what the link would have led to
