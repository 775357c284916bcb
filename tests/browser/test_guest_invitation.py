"""Issue 16 in a real browser: an administrator invites a guest into a group, the guest opens the emailed
link, chooses a password, signs in and sees the group."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
GUEST_PASSWORD = "a-long-guest-passphrase-17"


def test_it_invites_redeems_signs_in_and_shows_the_group(
    demo, sign_in, csp_violations, live_server, page, settings
):
    settings.GROUPDESK_BASE_URL = live_server.url
    mail.outbox.clear()
    sign_in("admin@contoso.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Invite guests").click()
    page.get_by_label("Email address").fill("ada@fabrikam.example")
    page.get_by_label("Display name").fill("Ada Lovelace")
    page.get_by_label(re.compile("^Add to groups")).fill("Book Club")
    page.get_by_label("Personal message").fill("Join our reading list!")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text("Ada Lovelace was invited as a guest.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    (invitation,) = mail.outbox
    assert invitation.to == ["ada@fabrikam.example"] and "Join our reading list!" in invitation.body
    link = re.search(r"http\S+/invitations/redeem/\S+/", invitation.body).group()
    page.goto(link)
    expect(page.get_by_role("heading", name="Accept your invitation")).to_be_visible()
    expect(page.get_by_text("Book Club")).to_be_visible()
    upn = page.locator("strong").filter(has_text="#EXT#").inner_text()
    page.get_by_label("Choose a password").fill(GUEST_PASSWORD)
    page.get_by_label("Type it again").fill(GUEST_PASSWORD)
    page.get_by_role("button", name="Accept invitation").click()
    expect(page.get_by_text(f"Welcome! Sign in as ada@fabrikam.example (or {upn})")).to_be_visible()

    sign_in("ada@fabrikam.example", GUEST_PASSWORD)  # the address they were invited at
    in_section = page.get_by_role("region", name=re.compile("Groups I'm in"))
    expect(in_section.get_by_role("link", name="Book Club", exact=True)).to_be_visible()
    page.goto(link)  # the link worked once
    expect(page.get_by_text(re.compile("already used"))).to_be_visible()
    page.screenshot(path="/tmp/groupdesk-guest-invitation.png", full_page=True)
    assert csp_violations == []
