from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.audit import audit_record
from portal.models import AuditEvent
from tests.factories import PASSWORD, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("audit_log")


@pytest.fixture
def auditor(tenant):
    return UserFactory(tenant=tenant, role="reportsReader")


def _event(tenant, **kwargs):
    defaults = {"actor": "Groupdesk", "activity": "Add member to group", "target": None}
    return audit_record(tenant=tenant, **{**defaults, **kwargs})


def _results(response) -> str:
    return response.content.decode().split('id="audit-results"')[1]


def test_it_opens_only_with_the_audit_right(client, tenant, member, groups_admin, admin_user, auditor):
    for user, status in ((admin_user, 200), (auditor, 200), (groups_admin, 403), (member, 403)):
        client.force_login(user)
        assert client.get(URL).status_code == status, user
        assert client.get(reverse("audit_export")).status_code == status


def test_it_lists_only_this_tenants_events_with_before_and_after(client, tenant, other_tenant, auditor):
    _event(
        tenant, activity="Update group", before={"displayName": "Old name"}, after={"displayName": "New name"}
    )
    _event(other_tenant, activity="Secret activity")
    client.force_login(auditor)
    page = client.get(URL).content.decode()
    assert "Update group" in page and "Secret activity" not in page
    assert 'class="changed"' in page and "Old name" in page and "New name" in page


def test_it_filters_by_activity_actor_target_and_dates(client, tenant, auditor):
    old = _event(tenant, activity="Delete group", actor="Alice")
    _event(tenant, activity="Add member to group", actor="Bob")
    client.force_login(auditor)
    assert "Delete group" not in _results(client.get(URL, {"activity": "add member to group"}))
    assert "Add member" not in _results(client.get(URL, {"actor": "ali"}))
    assert "Delete group" in _results(client.get(URL, {"actor": "ali"}))
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    body = client.get(URL, {"date_from": tomorrow}).content.decode()
    assert "No events match" in body
    assert old.activity in client.get(URL, {"date_to": tomorrow}).content.decode()
    response = client.get(URL, {"date_from": "not-a-date"})
    assert response.status_code == 200 and "Enter a valid date" in response.content.decode()


def test_it_answers_htmx_with_the_results_only(client, tenant, auditor):
    _event(tenant)
    client.force_login(auditor)
    body = client.get(URL, HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<div id="audit-results">') and "<html" not in body


def test_it_exports_the_filtered_events_as_csv(client, tenant, auditor):
    _event(tenant, activity="Delete group", before={"displayName": "=cmd()"})
    _event(tenant, activity="Add member to group")
    client.force_login(auditor)
    response = client.get(reverse("audit_export"), {"activity": "Delete group"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "activityDateTime" and len(rows) == 2
    assert rows[1][1] == "Delete group" and rows[1][10].startswith('{"displayName"')


def test_it_keeps_a_constant_number_of_queries(client, tenant, auditor, django_assert_num_queries):
    client.force_login(auditor)
    _event(tenant)
    client.get(URL)
    with django_assert_num_queries(8) as ctx:
        client.get(URL)
    for i in range(60):
        _event(tenant, activity=f"Activity {i % 7}", before={"n": i}, after={"n": i + 1})
    with django_assert_num_queries(len(ctx.captured_queries)):
        client.get(URL, {"page": "2"})


def test_it_records_successful_and_failed_sign_ins(client, tenant, member):
    client.post(reverse("login"), {"username": member.user_principal_name, "password": "wrong"})
    client.post(reverse("login"), {"username": member.user_principal_name, "password": PASSWORD})
    events = list(AuditEvent.objects.for_tenant(tenant).filter(activity="Sign-in").order_by("id"))
    assert [(e.result, e.actor_name) for e in events] == [
        ("failure", member.user_principal_name),
        ("success", member.user_principal_name),
    ]
    assert events[0].reason == "Wrong password."


def test_it_records_failed_sign_ins_only_for_upns_of_a_tenant(client, db):
    tenant = TenantFactory(verified_domains=["fabrikam.test"])
    client.post(reverse("login"), {"username": "ghost@fabrikam.test", "password": "x"})
    client.post(reverse("login"), {"username": "ghost@nowhere.test", "password": "x"})
    client.post(reverse("login"), {"username": "ghost@brikam.test", "password": "x"})
    events = AuditEvent.objects.filter(activity="Sign-in")
    assert [(e.tenant_id, e.actor_name, e.actor_type) for e in events] == [
        (tenant.id, "ghost@fabrikam.test", "unknownUser")
    ]


def test_it_records_a_disabled_accounts_attempt(client, tenant):
    user = UserFactory(tenant=tenant, account_enabled=False)
    client.post(reverse("login"), {"username": user.user_principal_name, "password": PASSWORD})
    assert AuditEvent.objects.get(activity="Sign-in").reason == "The account is disabled or deleted."


def test_it_filters_by_any_part_of_the_activity_in_any_case(client, tenant, other_tenant, auditor):
    _event(tenant, activity="Add member to group", actor="Bob")
    _event(tenant, activity="Delete group", actor="Alice")
    _event(other_tenant, activity="Add member to secret group")
    client.force_login(auditor)
    found = _results(client.get(URL, {"activity": "add MEMBER"}))
    assert "Add member to group" in found and "Delete group" not in found and "secret" not in found
    assert "No events match" in _results(client.get(URL, {"activity": "nothing like it"}))


def test_it_offers_the_activities_present_as_a_pick_list(client, tenant, other_tenant, auditor):
    for activity in ("Update group", "add owner to group", "Update group", "Delete group"):
        _event(tenant, activity=activity)
    _event(other_tenant, activity="Secret activity")
    client.force_login(auditor)
    page = client.get(URL).content.decode()
    options = page.split('<datalist id="audit-activities">')[1].split("</datalist>")[0]
    assert options == (
        '<option value="add owner to group"><option value="Delete group"><option value="Update group">'
    )


def test_it_shows_changes_as_a_short_before_after_list(client, tenant, auditor):
    snapshot = {f"property{i}": f"value {i}" for i in range(10)}
    _event(tenant, activity="Add group", after=snapshot)
    _event(
        tenant,
        activity="Update group",
        before={"displayName": "Old", "mail": "a@x"},
        after={"displayName": "New", "mail": "a@x"},
    )
    client.force_login(auditor)
    body = _results(client.get(URL))
    rows = body.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == 2 and "<table" not in rows  # one row per event, no table in a cell
    assert (
        '<li class="changed"><span class="change-key">displayName:</span>\n  <del><span class="visually-hidden">'
        'was </span>Old</del> <span aria-hidden="true">→</span> <ins><span class="visually-hidden">now </span>'
        "New</ins></li>"
    ) in body
    assert '<span class="change-key">mail:</span>\n  a@x</li>' in body
    assert "<summary>6 more properties</summary>" in body and "value 9" in body
