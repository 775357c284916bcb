from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=None)


@pytest.fixture
def sign_in(live_server, page):
    def _sign_in(upn: str, password: str = "groupdesk-demo"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("User principal name").fill(upn)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        return page

    return _sign_in


@pytest.fixture
def csp_violations(page):
    """Console messages about the Content Security Policy: every browser test should end with none."""
    found: list[str] = []
    page.on("console", lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None)
    return found
