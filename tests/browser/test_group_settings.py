from __future__ import annotations

import pytest
from playwright.sync_api import expect

from groups.models import GroupKind
from portal.authz import GroupSpec, decide
from portal.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fresh(upn: str) -> User:
    """The user as the next request loads them (portal.backends: tenant and settings in one query)."""
    return User.objects.select_related("tenant", "tenant__group_settings").get(user_principal_name=upn)


def test_it_stops_users_creating_security_groups_from_the_next_request(
    demo, sign_in, csp_violations, live_server
):
    security = GroupSpec(kind=GroupKind.SECURITY)
    assert decide(_fresh("user@contoso.test"), "createAsOwner", security).allowed
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
    decision = decide(_fresh("user@contoso.test"), "createAsOwner", security)
    assert not decision.allowed and "doesn't let users create" in decision.reason
    page.reload()
    expect(
        page.get_by_role(
            "group", name="Users can create security groups in portals, API or PowerShell"
        ).get_by_label("No")
    ).to_be_checked()
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
