"""axe-core (axe-playwright-python) finds no violation on any main page, for an administrator and an
end user, on a desktop and at 390 px.

The strict Content Security Policy refuses axe's injected script, so this test alone uses a browser
context with ``bypass_csp=True`` (the other browser tests keep the policy and check for violations).
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from access_requests.invitations.links import make_token
from access_requests.invitations.services import guest_invite
from access_requests.models import JoinRequest
from groups.connections.models import ExternalConnection
from groups.models import Group, MembershipType
from portal.models import Device, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Axe()


def _pages_for_admin() -> list[str]:
    static = Group.objects.filter(display_name="Finance Reviewers").get()
    dynamic = Group.objects.filter(membership_type=MembershipType.DYNAMIC, deleted_date_time=None).first()
    user = User.objects.get(user_principal_name="user@contoso.test")
    device = Device.objects.first()
    pages = [
        "/my/groups/",
        "/my/groups/discover/",
        "/my/requests/",
        "/my/approvals/",
        "/my/groups/new/",
        "/groups/",
        "/groups/?view=deleted",
        "/groups/new/",
        f"/groups/{static.id}/",
        f"/groups/{static.id}/members/",
        f"/groups/{static.id}/owners/",
        f"/groups/{static.id}/settings/",
        f"/groups/{static.id}/requests/",
        f"/groups/{dynamic.id}/",
        f"/groups/{dynamic.id}/rule/",
        "/settings/groups/",
        "/licenses/",
        "/users/",
        f"/users/{user.id}/",
        f"/users/{user.id}/edit/",
        "/devices/",
        "/roles/",
        "/roles/assignments/",
        "/roles/check/",
        "/roles/new/",
        "/audit/",
    ]
    if device is not None:
        pages.append(f"/devices/{device.id}/")
    return pages + _connection_pages(user) + _guest_pages()


def _guest_pages() -> list[str]:
    """The invitation and guest pages, with one pending invitation to show (and its redemption page)."""
    admin = User.objects.select_related("tenant").get(user_principal_name="admin@contoso.test")
    invited = guest_invite(actor=admin, tenant=admin.tenant, email="axe@fabrikam.example", send_email=False)
    return [
        "/users/invite/",
        "/users/invite/bulk/",
        "/users/?type=guest",
        "/users/guests/inactive/",
        f"/users/{invited.user.id}/",
        reverse("invitation_redeem", args=[make_token(invited.invitation)]),
    ]


def _connection_pages(user: User) -> list[str]:
    """The demo's helpdesk connection (seed 001): its groups, the nesting picture, an item's access."""
    connection = ExternalConnection.objects.get(connection_id="contosohelpdesk")
    group = connection.external_groups.get(group_id="escalations")
    item = connection.items.get(item_id="ticket-1001")
    base = f"/connections/{connection.pk}/"
    return [
        "/connections/",
        base,
        f"{base}groups/{group.pk}/",
        f"{base}items/{item.pk}/",
        f"{base}items/{item.pk}/?user={user.user_principal_name}",
    ]


def _pages_for_end_user() -> list[str]:
    static = Group.objects.get(display_name="Finance Reviewers")
    book_club = Group.objects.get(display_name="Book Club")
    return [
        "/my/groups/",
        "/my/groups/discover/",
        "/my/requests/",
        "/my/groups/new/",
        f"/groups/{static.id}/",
        f"/groups/{book_club.id}/",
        "/users/invite/",
    ]


def _violations(context, live_server, upn: str, paths: list[str]) -> dict[str, str]:
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("User principal name").fill(upn)
    page.get_by_label("Password").fill("groupdesk-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My groups", level=1)).to_be_visible()
    found = {}
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        results = AXE.run(page)
        if results.violations_count:
            found[path] = results.generate_report()
    page.close()
    return found


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}])
def test_it_finds_no_axe_violation_on_the_main_pages(demo, browser, live_server, viewport):
    # The owner's pending request makes the end user's "My requests" and the approvals inbox non-empty.
    assert JoinRequest.objects.filter(status="pending").exists()
    context = browser.new_context(bypass_csp=True, viewport=viewport)
    try:
        found = _violations(context, live_server, "admin@contoso.test", _pages_for_admin())
        found |= {
            f"(end user) {path}": report
            for path, report in _violations(
                context, live_server, "user@contoso.test", _pages_for_end_user()
            ).items()
        }
    finally:
        context.close()
    assert not found, "\n\n".join(f"{path}\n{report}" for path, report in found.items())
