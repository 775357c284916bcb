from __future__ import annotations

import pytest
from playwright.sync_api import expect

from groups.authz import GroupSpec
from groups.models import GroupKind
from portal.authz import decide
from portal.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fresh(upn: str) -> User:
    """The user as the next request loads them (portal.backends: tenant and settings in one query)."""
    return User.objects.select_related("tenant", "tenant__group_settings").get(user_principal_name=upn)


def test_it_stops_users_creating_security_groups_from_the_next_request(
    demo, sign_in, csp_violations, live_server, browser
):
    user_page = browser.new_page()  # user@contoso.test signs in beside the admin, in a separate session
    user_page.on(
        "console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None
    )
    user_page.goto(f"{live_server.url}/accounts/login/")
    user_page.get_by_label("User principal name").fill("user@contoso.test")
    user_page.get_by_label("Password").fill("groupdesk-demo")
    user_page.get_by_role("button", name="Sign in").click()
    user_page.goto(f"{live_server.url}/my/groups/new/")
    kinds = user_page.get_by_label("Group type")
    expect(kinds.get_by_role("option", name="Security", exact=True)).to_have_count(1)

    page = sign_in("admin@contoso.test")
    page.goto(f"{live_server.url}/settings/groups/")
    section = page.get_by_role("region", name="Group creation")
    setting = section.get_by_role(
        "group", name="Users can create security groups in portals, API or PowerShell"
    )
    setting.get_by_label("No").check()
    section.get_by_role("button", name="Save").click()
    section = page.get_by_role("region", name="Group creation")
    expect(section.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(section).to_contain_text("Users can't create security groups or change the ones they own")
    page.screenshot(path="/tmp/groupdesk-group-settings.png", full_page=True)

    # The user's very next request: the option is gone, Microsoft 365 is still offered.
    user_page.reload()
    kinds = user_page.get_by_label("Group type")
    expect(kinds.get_by_role("option", name="Security", exact=True)).to_have_count(0)
    expect(kinds.get_by_role("option", name="Microsoft 365", exact=True)).to_have_count(1)
    decision = decide(_fresh("user@contoso.test"), "createAsOwner", GroupSpec(kind=GroupKind.SECURITY))
    assert not decision.allowed
    user_page.close()
    assert csp_violations == []


def test_it_previews_the_naming_policy_as_the_admin_types(demo, sign_in, csp_violations, live_server):
    page = sign_in("admin@contoso.test")
    page.goto(f"{live_server.url}/settings/groups/")
    section = page.get_by_role("region", name="Naming policy")
    section.get_by_label("Preview with a sample name").fill("Falcon")
    section.get_by_label("Group naming policy").fill("GRP_[GroupName]_X")
    expect(section.locator("#naming-preview output")).to_have_text("GRP_Falcon_X")
    section.get_by_label("Group naming policy").fill("")
    section.get_by_label("Group naming policy").fill("[GroupName]")
    section.get_by_role("button", name="Save").click()
    expect(
        page.get_by_role("region", name="Naming policy").get_by_role("status").filter(has_text="Saved.")
    ).to_be_visible()
    assert csp_violations == []
