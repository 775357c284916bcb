"""Issue 13, items 4 and 5 in Chromium: the audit filter, Enter on an exact name, Entra's bulk template,
and adding a group without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from groups.models import Group
from portal.audit import audit_record
from portal.models import Tenant, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENTRA_TEMPLATE = (
    "version:v1.0\nMember object ID or user principal name [memberObjectIdOrUpn] Required\n{}\n{}\n"
)


def _crm() -> Group:
    return Group.objects.get(mail_nickname="secure-access-sales-crm")


def test_the_audit_filter_finds_add_member_in_any_case(demo, sign_in, csp_violations, live_server):
    tenant = Tenant.objects.get(users__user_principal_name="admin@contoso.test")
    audit_record(tenant=tenant, actor="Groupdesk", activity="Add member to group", target=_crm())
    audit_record(tenant=tenant, actor="Groupdesk", activity="Delete group", target=None)
    page = sign_in("admin@contoso.test")
    page.goto(f"{live_server.url}/audit/")
    page.get_by_label("Activity").fill("add member")
    page.get_by_role("button", name="Filter").click()
    rows = page.get_by_role("table").locator("tbody > tr")
    expect(rows.filter(has_text="Add member to group").first).to_be_visible()
    expect(rows.filter(has_not_text="Add member")).to_have_count(0)
    expect(page.get_by_role("cell", name="Delete group")).to_have_count(0)
    page.screenshot(path="/tmp/groupdesk-audit.png", full_page=True)
    assert csp_violations == []


def test_enter_on_an_exact_display_name_adds_that_person(demo, sign_in, csp_violations, live_server):
    group = _crm()
    page = sign_in("admin@contoso.test")
    page.goto(f"{live_server.url}/groups/{group.id}/members/")
    box = page.get_by_label("Add members")
    box.fill("alex wilber")
    box.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Alex Wilber was added.")).to_be_visible()
    expect(page.get_by_role("button", name="Remove Alex Wilber")).to_be_visible()
    assert group.memberships.filter(member_user__user_principal_name="user@contoso.test").exists()
    assert csp_violations == []


def test_entras_bulk_template_imports(demo, sign_in, csp_violations, live_server):
    group = _crm()
    present = group.memberships.values_list("member_user", flat=True)
    first, second = (
        User.objects.filter(tenant=group.tenant, account_enabled=True)
        .exclude(pk__in=[p for p in present if p])
        .exclude(user_type="Guest")[:2]
    )
    page = sign_in("admin@contoso.test")
    page.goto(f"{live_server.url}/groups/{group.id}/members/")
    page.get_by_text("Bulk add from a CSV file").click()
    text = ENTRA_TEMPLATE.format(first.user_principal_name, str(second.id).upper())
    page.get_by_label("CSV file", exact=True).set_input_files(
        files=[{"name": "members.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.get_by_role("button", name="Upload and add").click()
    expect(page.get_by_role("heading", name="Bulk add: 2 added, 0 not added")).to_be_visible()
    assert set(
        group.memberships.filter(member_user__in=[first, second]).values_list("member_user", flat=True)
    ) == {
        first.pk,
        second.pk,
    }
    assert csp_violations == []


def test_a_group_is_added_without_javascript(demo, live_server, browser):
    group = _crm()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("User principal name").fill("admin@contoso.test")
    page.get_by_label("Password").fill("groupdesk-demo")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/groups/{group.id}/members/")
    page.get_by_label("Add members").fill("Execut")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status").filter(has_text="for “Execut”: choose one to add.")).to_be_visible()
    page.get_by_role("button", name="Add Executives (group)").click()
    expect(page.get_by_role("status").filter(has_text="Executives was added.")).to_be_visible()
    assert group.memberships.filter(member_group__mail_nickname="executives").exists()
    context.close()


def test_the_create_form_picks_owners_and_members_by_name(demo, sign_in, csp_violations, live_server):
    page = sign_in("admin@contoso.test")
    page.goto(f"{live_server.url}/groups/new/")
    page.get_by_label("Group name").fill("Picker Crew")
    page.get_by_label("Find owners to add").fill("Adele")
    page.get_by_role("option").filter(has_text="Adele Vance").get_by_role("button").click()
    expect(page.get_by_label("Owners", exact=True)).to_have_value("owner@contoso.test")
    page.get_by_label("Find members to add").fill("Alex")
    page.get_by_role("option").filter(has_text="Alex Wilber").get_by_role("button").click()
    expect(page.get_by_label("Members", exact=True)).to_have_value("user@contoso.test")
    page.get_by_role("button", name="Create").click()
    group = Group.objects.get(display_name__endswith="Picker Crew")
    assert set(group.ownerships.values_list("user__user_principal_name", flat=True)) >= {"owner@contoso.test"}
    assert set(group.memberships.values_list("member_user__user_principal_name", flat=True)) == {
        "user@contoso.test"
    }
    assert csp_violations == []
