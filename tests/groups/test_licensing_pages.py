"""The licensing pages: /licenses/ for admin / owner / member / another tenant, its flatness at scale
(no <option> per group; a constant query count), assigning by search without JavaScript, plans, guests;
and seat-aware joining: join and request say "you will wait for a licence" before the person confirms,
the approvals inbox shows seats left, and approving past the seats asks for confirmation."""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access_requests.models import JoinRequest
from groups.licensing.checker import check_licenses
from groups.licensing.models import GroupLicense, LicenseSeat
from groups.licensing.services import PlanSpec, group_license_add, subscribed_sku_add
from groups.models import JoinPolicy, Membership
from groups.services import membership_add
from tests.factories import GroupFactory, JoinRequestFactory, UserFactory

pytestmark = pytest.mark.django_db

TEAMS = uuid.UUID("57ff2da0-773e-42df-b2af-ffb7a2317929")


@pytest.fixture
def sku(admin_user):
    return subscribed_sku_add(
        actor=admin_user,
        sku_part_number="ENTERPRISEPACK",
        display_name="Office 365 E3",
        prepaid_units=1,
        service_plans=[PlanSpec(TEAMS, "TEAMS1", "TeamspaceAPI")],
    )


@pytest.fixture
def full(tenant, admin_user, sku):
    """A licensed group whose one seat is taken."""
    group = GroupFactory(tenant=tenant, display_name="Sales Team", join_policy=JoinPolicy.OPEN)
    group_license_add(actor=admin_user, group=group, sku=sku)
    membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant))
    return group


def test_only_admins_see_the_page_and_other_tenants_see_nothing(
    client, tenant, other_tenant, admin_user, member, sku
):
    owner = UserFactory(tenant=tenant)
    GroupFactory(tenant=tenant, owners=[owner])
    for user in (member, owner):
        client.force_login(user)
        assert client.get(reverse("license_list")).status_code == 403
    client.force_login(UserFactory(tenant=other_tenant, role="globalAdministrator"))
    page = client.get(reverse("license_list")).content.decode()
    assert "Office 365 E3" not in page
    client.force_login(admin_user)
    page = client.get(reverse("license_list")).content.decode()
    assert "Office 365 E3" in page and "TEAMS1" in page


def test_the_page_lists_no_group_options_and_keeps_its_query_count(
    client, tenant, admin_user, sku, django_assert_num_queries
):
    client.force_login(admin_user)
    group = GroupFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)
    for _ in range(2):
        membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant))
    membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant, user_type="Guest"))
    client.get(reverse("license_list"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("license_list"))
    for n in range(30):
        other = GroupFactory(tenant=tenant, display_name=f"Unlicensed {n}")
        if n % 3 == 0:
            group_license_add(actor=admin_user, group=other, sku=sku)
            membership_add(
                actor=admin_user, group=other, member=UserFactory(tenant=tenant, user_type="Guest")
            )
        membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant))
    with django_assert_num_queries(len(small.captured_queries)):
        page = client.get(reverse("license_list")).content.decode()
    assert "Unlicensed 29" not in page  # no <option> per group
    assert page.count("<option") == 2  # the licence select: its blank choice and the one SKU
    assert "Licensed groups hold guests" in page


def test_each_licensed_group_counts_its_guests_from_one_hashed_list(client, tenant, admin_user, sku):
    client.force_login(admin_user)
    mixed, members_only = GroupFactory(tenant=tenant), GroupFactory(tenant=tenant)
    for group in (mixed, members_only):
        group_license_add(actor=admin_user, group=group, sku=sku)
        membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant))
    for _ in range(2):
        membership_add(actor=admin_user, group=mixed, member=UserFactory(tenant=tenant, user_type="Guest"))
    UserFactory(tenant=tenant, user_type="Guest")  # a guest of the tenant in no licensed group
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("license_list"))
    counts = {gl.group_id: gl.guests for gl in response.context["group_licenses"]}
    assert counts == {mixed.pk: 2, members_only.pk: 0}
    if connection.vendor == "postgresql":
        (listing,) = [
            q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "groups_grouplicense"')
        ]
        # The guest test in the aggregate's filter, not in the WHERE clause (where PostgreSQL makes it a
        # user row probe per member of each group): the guest ids are hashed once for the page.
        assert re.search(r'FILTER \(WHERE \(?\w+\."member_user_id" IN \(SELECT', listing), listing


SHAREPOINT = uuid.UUID("5dbe027f-2339-4123-9542-606e4d348a72")


def _plan_boxes(page: str, group_name: str) -> list[tuple[str, bool]]:
    """(plan id, checked) of the plans form of one group's licence."""
    fieldset = re.search(
        rf"<legend>Service plans of [^<]* for {group_name}</legend>(.*?)</fieldset>", page, re.S
    )
    return [
        (m[1], bool(m[2]))
        for m in re.finditer(r'<input type="checkbox" name="enabled" value="([^"]+)"( checked)?', fieldset[1])
    ]


def test_each_licence_row_shows_its_own_plans_turned_off(client, tenant, admin_user):
    """The checkboxes are rendered once per product and set of plans off, and each row gets its own."""
    sku = subscribed_sku_add(
        actor=admin_user,
        sku_part_number="ENTERPRISEPACK",
        display_name="Office 365 E3",
        prepaid_units=10,
        service_plans=[PlanSpec(TEAMS, "TEAMS1"), PlanSpec(SHAREPOINT, "SHAREPOINTENTERPRISE")],
    )
    for name, off in (("Alpha", []), ("Beta", [TEAMS]), ("Gamma", []), ("Delta", [TEAMS, SHAREPOINT])):
        group_license_add(
            actor=admin_user,
            group=GroupFactory(tenant=tenant, display_name=name),
            sku=sku,
            disabled_plans=off,
        )
    client.force_login(admin_user)
    page = client.get(reverse("license_list")).content.decode()
    teams, sharepoint = str(TEAMS), str(SHAREPOINT)  # in the plans' name order: SHAREPOINT..., TEAMS1
    assert _plan_boxes(page, "Alpha") == _plan_boxes(page, "Gamma") == [(sharepoint, True), (teams, True)]
    assert _plan_boxes(page, "Beta") == [(sharepoint, True), (teams, False)]
    assert _plan_boxes(page, "Delta") == [(sharepoint, False), (teams, False)]
    assert "2 plans, 1 off" in page and "2 plans, 2 off" in page


def test_the_products_are_listed_by_name_with_their_seats(client, tenant, admin_user, sku):
    subscribed_sku_add(
        actor=admin_user, sku_part_number="EMS", display_name="Enterprise Mobility", prepaid_units=5
    )
    group = GroupFactory(tenant=tenant)
    group_license_add(actor=admin_user, group=group, sku=sku)  # one unit: the second member waits
    for _ in range(2):
        membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant))
    client.force_login(admin_user)
    response = client.get(reverse("license_list"))
    seats = [(s.display_name, s.consumed, s.available, s.waiting) for s in response.context["skus"]]
    assert seats == [("Enterprise Mobility", 0, 5, 0), ("Office 365 E3", 1, 0, 1)]


def test_the_licensed_guests_are_listed_by_group_then_name(client, tenant, admin_user, sku):
    client.force_login(admin_user)
    twins = [GroupFactory(tenant=tenant, display_name="Twins") for _ in range(2)]
    for group in twins:
        group_license_add(actor=admin_user, group=group, sku=sku)
    ann = UserFactory(tenant=tenant, user_type="Guest", display_name="Ann Guest")
    bob = UserFactory(tenant=tenant, user_type="Guest", display_name="Bob Guest")
    for guest in (bob, ann):
        for group in twins:
            membership_add(actor=admin_user, group=group, member=guest)
    membership_add(
        actor=admin_user, group=twins[0], member=UserFactory(tenant=tenant, display_name="Cy Member")
    )
    page = client.get(reverse("license_list")).content.decode()
    section = page[page.index("Licensed groups hold guests") : page.index('id="groups-heading"')]
    rows = re.findall(
        r'<tr><td><a href="/groups/([^/]+)/">Twins</a></td><td>(\w+) Guest <span class="muted">([^<]+)</span>',
        section,
    )
    first, second = sorted(str(g.pk) for g in twins)
    assert [(g, name) for g, name, _ in rows] == [
        (first, "Ann"),
        (first, "Bob"),
        (second, "Ann"),
        (second, "Bob"),
    ]
    assert {upn for _, _, upn in rows} == {ann.user_principal_name, bob.user_principal_name}
    assert section.count("Exclude guests of Twins") == 2  # one form per group
    assert "Cy Member" not in section


def test_assigning_by_name_and_by_search_without_javascript(client, tenant, admin_user, sku):
    client.force_login(admin_user)
    GroupFactory(tenant=tenant, display_name="Sales East")
    west = GroupFactory(tenant=tenant, display_name="Sales West")
    url = reverse("group_license_add")
    searched = client.post(url, {"q": "Sales", "search": "1", "sku": sku.pk})
    body = searched.content.decode()
    assert searched.status_code == 400 and "Sales East" in body and f'value="group:{west.pk}"' in body
    chosen = client.post(url, {"member": f"group:{west.pk}", "sku": sku.pk})
    assert chosen.status_code == 302 and GroupLicense.objects.filter(group=west, sku=sku).exists()
    named = client.post(url, {"q": "Sales East", "sku": sku.pk})
    assert named.status_code == 302 and GroupLicense.objects.filter(group__display_name="Sales East").exists()
    nothing = client.post(url, {"q": "Nope", "sku": sku.pk})
    assert nothing.status_code == 400 and "No group of your organization matches" in nothing.content.decode()


def test_plans_and_guests_are_changed_from_the_page(client, tenant, admin_user, sku):
    client.force_login(admin_user)
    group = GroupFactory(tenant=tenant)
    license_ = group_license_add(actor=admin_user, group=group, sku=sku)
    guest = UserFactory(tenant=tenant, user_type="Guest")
    membership_add(actor=admin_user, group=group, member=guest)
    client.post(reverse("group_license_plans", args=[license_.pk]), {})  # every box unchecked
    assert GroupLicense.objects.get(pk=license_.pk).disabled_plans == [str(TEAMS)]
    assert client.post(reverse("group_license_guests", args=[group.pk]), {"exclude": "1"}).status_code == 302
    assert not LicenseSeat.objects.filter(user=guest).exists()
    assert list(check_licenses(tenant)) == []


def test_joining_a_full_licensed_group_says_you_will_wait_before_confirming(client, tenant, full):
    ann = UserFactory(tenant=tenant)
    client.force_login(ann)
    asked = client.post(reverse("group_join", args=[full.pk]))
    assert asked.status_code == 200 and "You will wait for a licence" in asked.content.decode()
    assert not Membership.objects.filter(group=full, member_user=ann).exists()
    confirmed = client.post(reverse("group_join", args=[full.pk]), {"confirm": "1"})
    assert confirmed.status_code == 302
    assert LicenseSeat.objects.get(user=ann).error == "CountViolation"


def test_asking_to_join_says_it_too_and_keeps_the_justification(client, tenant, admin_user, sku):
    group = GroupFactory(
        tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[UserFactory(tenant=tenant)]
    )
    group_license_add(actor=admin_user, group=group, sku=sku)
    membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant))
    client.force_login(UserFactory(tenant=tenant))
    asked = client.post(
        reverse("group_request", args=[group.pk]),
        {"justification": "Quarterly numbers"},
        HTTP_HX_REQUEST="true",
    )
    body = asked.content.decode()
    assert "You will wait for a licence" in body and 'value="Quarterly numbers"' in body
    assert not JoinRequest.objects.exists()
    client.post(
        reverse("group_request", args=[group.pk]), {"justification": "Quarterly numbers", "confirm": "1"}
    )
    assert JoinRequest.objects.get().justification == "Quarterly numbers"


def test_the_inbox_shows_seats_left_and_approving_past_them_asks_first(client, tenant, admin_user, sku):
    owner = UserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[owner])
    group_license_add(actor=admin_user, group=group, sku=sku)
    membership_add(actor=admin_user, group=group, member=UserFactory(tenant=tenant))
    join_request = JoinRequestFactory(group=group)
    client.force_login(owner)
    inbox = client.get(reverse("approvals")).content.decode()
    assert "Office 365 E3: <strong>no seat left</strong>" in inbox
    url = reverse("approval_decide", args=[join_request.pk])
    asked = client.post(url, {"decision": "approve", "inbox": "1"}, HTTP_HX_REQUEST="true")
    assert "Approve anyway" in asked.content.decode() and "will wait for a licence" in asked.content.decode()
    assert JoinRequest.objects.get(pk=join_request.pk).status == "pending"
    client.post(url, {"decision": "approve", "confirm": "1"})
    assert JoinRequest.objects.get(pk=join_request.pk).status == "approved"
    assert LicenseSeat.objects.get(user=join_request.requester).state == "error"


def test_the_group_and_user_pages_show_the_errors_and_the_guests(client, tenant, admin_user, full):
    waiting = UserFactory(tenant=tenant, display_name="Wendy Waiting")
    guest = UserFactory(tenant=tenant, display_name="Gus Guest", user_type="Guest")
    for user in (waiting, guest):
        membership_add(actor=admin_user, group=full, member=user)
    client.force_login(admin_user)
    page = client.get(reverse("group_detail", args=[full.pk])).content.decode()
    assert "CountViolation" in page and "Wendy Waiting" in page
    assert "This licensed group holds guests" in page and "Gus Guest" in page
    excluded = client.post(reverse("group_license_guests", args=[full.pk]), {"exclude": "1", "back": "group"})
    assert excluded.url == reverse("group_detail", args=[full.pk])
    person = client.get(reverse("user_detail", args=[waiting.pk])).content.decode()
    assert "Inherited from" in person and "CountViolation" in person
    client.force_login(UserFactory(tenant=tenant))  # an end user sees no licence box
    assert "CountViolation" not in client.get(reverse("group_detail", args=[full.pk])).content.decode()


def test_approving_several_past_the_seats_asks_first(client, tenant, admin_user, sku):
    owner = UserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[owner])
    group_license_add(actor=admin_user, group=group, sku=sku)
    requests = [JoinRequestFactory(group=group) for _ in range(2)]  # one seat, two requests
    client.force_login(owner)
    data = {"decision": "approve", "requests": [str(r.pk) for r in requests]}
    asked = client.post(reverse("approvals_bulk"), data)
    assert asked.status_code == 200 and "Approve anyway" in asked.content.decode()
    assert not JoinRequest.objects.filter(status="approved").exists()
    client.post(reverse("approvals_bulk"), data | {"confirm": "1"})
    assert JoinRequest.objects.filter(status="approved").count() == 2
    assert sorted(LicenseSeat.objects.values_list("state", flat=True)) == ["active", "error"]
