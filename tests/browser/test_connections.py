"""The connection pages in a browser: on a phone (390 px) with and without JavaScript they fit the screen,
the nesting picture is drawn (SVG, no script) and "Can this user see it?" answers with the path."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from groups.connections.models import ExternalConnection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WIDTH = "() => document.documentElement.scrollWidth"


@pytest.mark.parametrize("javascript", [True, False])
def test_the_connection_pages_work_on_a_phone(demo, browser, live_server, javascript):
    connection = ExternalConnection.objects.get(connection_id="contosohelpdesk")
    item = connection.items.get(item_id="ticket-1001")
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("User principal name").fill("admin@contoso.test")
        page.get_by_label("Password").fill("groupdesk-demo")
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server.url}/connections/")
        page.get_by_role("link", name="Contoso Helpdesk").click()
        expect(
            page.get_by_role("img", name="How the external groups of Contoso Helpdesk nest")
        ).to_be_visible()
        assert page.evaluate(WIDTH) <= 390, page.evaluate(WIDTH)
        page.get_by_role("link", name="Error in the payment gateway").click()
        expect(page.get_by_role("heading", name="Who can see this?")).to_be_visible()
        assert page.evaluate(WIDTH) <= 390, page.evaluate(WIDTH)
        page.get_by_label("Person").fill("user@contoso.test")
        page.get_by_role("button", name="Check").click()
        status = page.get_by_role("status").filter(has_text="Alex Wilber")
        expect(status).to_contain_text("can see it")
        expect(status.get_by_role("list", name="Path that grants")).to_contain_text("Escalations")
        assert page.evaluate(WIDTH) <= 390, page.evaluate(WIDTH)
        page.screenshot(
            path=f"/tmp/groupdesk-connection-item{'' if javascript else '-nojs'}.png", full_page=True
        )
        assert f"/items/{item.pk}/" in page.url
    finally:
        context.close()
    assert violations == []
