from __future__ import annotations

import html
import importlib

import pytest
from django.urls import reverse

from access_requests.models import JoinRequest, RequestStatus
from groups.models import GroupKind, JoinPolicy, Membership, Visibility
from portal.models import AuditEvent, Plan, TenantGroupSettings, UserType
from tests.factories import GroupFactory, JoinRequestFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def owner(tenant):
    return UserFactory(tenant=tenant, display_name="Adele Owner")


@pytest.fixture
def approval_group(tenant, owner):
    return GroupFactory(
        tenant=tenant, display_name="Finance Reviewers", join_policy=JoinPolicy.OWNER_APPROVAL, owners=[owner]
    )


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _as(client, user):
    client.force_login(user)
    return client


def _settings(tenant, **values):
    TenantGroupSettings.objects.filter(tenant=tenant).update(**values)


# /my/groups/


def test_it_lists_owned_and_member_groups_with_nesting_marked(client, tenant, member):
    owned = GroupFactory(tenant=tenant, display_name="Owned One", owners=[member])
    direct = GroupFactory(tenant=tenant, display_name="Direct One", members=[member])
    nested = GroupFactory(tenant=tenant, display_name="Nested One", members=[direct])
    GroupFactory(tenant=tenant, display_name="Not Mine")
    body = _text(_as(client, member).get(reverse("my_groups")))
    own_part, member_part = body.split("Groups I'm in")
    assert owned.display_name in own_part and direct.display_name not in own_part
    assert direct.display_name in member_part and nested.display_name in member_part
    assert "Not Mine" not in body
    row = member_part.split(nested.display_name)[1].split("</tr>")[0]
    assert "Through a nested group" in row
    assert "Direct member" in member_part.split(direct.display_name)[1].split("</tr>")[0]


def test_it_filters_my_groups_by_kind_membership_type_and_text(client, tenant, member):
    GroupFactory(tenant=tenant, display_name="Alpha Security", members=[member])
    GroupFactory(tenant=tenant, display_name="Beta Team", kind=GroupKind.MICROSOFT_365, members=[member])
    GroupFactory(tenant=tenant, display_name="Gamma Rule", membership_type="dynamic", members=[member])
    client = _as(client, member)
    by_kind = _text(client.get(reverse("my_groups"), {"kind": "microsoft365"}))
    assert "Beta Team" in by_kind and "Alpha Security" not in by_kind
    by_type = _text(client.get(reverse("my_groups"), {"membership_type": "dynamic"}))
    assert "Gamma Rule" in by_type and "Beta Team" not in by_type
    by_text = _text(client.get(reverse("my_groups"), {"q": "alpha"}))
    assert "Alpha Security" in by_text and "Gamma Rule" not in by_text


def test_it_answers_htmx_filtering_with_the_results_only(client, tenant, member):
    GroupFactory(tenant=tenant, display_name="Alpha", members=[member])
    response = _as(client, member).get(reverse("my_groups"), {"q": "alp"}, **HTMX)
    body = _text(response)
    assert body.lstrip().startswith('<div id="results">') and "<html" not in body and "Alpha" in body


def test_it_shows_a_form_error_for_a_bad_filter_value(client, member):
    response = _as(client, member).get(reverse("my_groups"), {"kind": "nonsense"})
    assert response.status_code == 200 and "Select a valid choice" in _text(response)


def test_it_paginates_and_counts_my_groups(client, tenant, member):
    for i in range(30):
        GroupFactory(tenant=tenant, display_name=f"G{i:02d}", members=[member])
    client = _as(client, member)
    first = _text(client.get(reverse("my_groups")))
    assert '<span class="count">30</span>' in first and "G24" in first and "G25" not in first
    second = _text(client.get(reverse("my_groups"), {"page": 2}))
    assert "G25" in second and "G24" not in second


def test_each_listed_group_links_to_its_page(client, tenant, member):
    owned = GroupFactory(tenant=tenant, display_name="Owned One", owners=[member])
    direct = GroupFactory(tenant=tenant, display_name="Direct One", members=[member])
    nested = GroupFactory(tenant=tenant, display_name="Nested One", members=[direct])
    other = GroupFactory(tenant=tenant, display_name="Other One")
    client = _as(client, member)
    mine = _text(client.get(reverse("my_groups")))
    for group in (owned, direct, nested):
        assert f'<a href="{reverse("group_detail", args=[group.id])}">{group.display_name}</a>' in mine
    discover = _text(client.get(reverse("discover")))
    assert f'<a href="{reverse("group_detail", args=[other.id])}">{other.display_name}</a>' in discover


def test_it_counts_my_groups_on_any_page_it_is_asked_for(client, tenant, member):
    """Each list reads its page and its count in one query: a page past the end, a page below one and a
    page that isn't a number still show what Django's paginator shows (the last page, the last, the
    first) with the right count, and so does a filtered list."""
    for i in range(30):
        GroupFactory(tenant=tenant, display_name=f"G{i:02d}", members=[member], owners=[member])
    client = _as(client, member)
    for asked, shown, hidden in [("9", "G29", "G24"), ("0", "G29", "G24"), ("x", "G00", "G25")]:
        page = client.get(reverse("my_groups"), {"page": asked, "owned_page": asked})
        owned, member_of = page.context["owned"], page.context["member_of"]
        assert owned.number == member_of.number == (1 if asked == "x" else 2), asked
        assert owned.paginator.count == member_of.paginator.count == 30
        body = _text(page)
        assert '<span class="count">30</span>' in body and shown in body and hidden not in body, asked
    filtered = client.get(reverse("my_groups"), {"q": "G1", "page": 1}).context["member_of"]
    assert filtered.paginator.count == 10 and not filtered.has_next()
    GroupFactory(tenant=tenant, display_name="Someone else's")
    client.force_login(UserFactory(tenant=tenant))
    empty = client.get(reverse("my_groups"), {"page": 3})
    assert empty.context["member_of"].paginator.count == empty.context["owned"].paginator.count == 0
    assert "You aren't a member of any group yet" in _text(empty)


def test_it_turns_my_groups_off_for_non_administrators_when_restricted(client, tenant, member, groups_admin):
    _settings(tenant, restrict_my_groups=True)
    for name in ("my_groups", "discover", "my_requests", "approvals"):
        response = _as(client, member).get(reverse(name))
        assert response.status_code == 403 and "My Groups is turned off" in _text(response)
    assert _as(client, groups_admin).get(reverse("my_groups")).status_code == 200


def test_it_applies_the_restriction_on_the_very_next_request(client, tenant, member):
    client = _as(client, member)
    assert client.get(reverse("my_groups")).status_code == 200
    _settings(tenant, restrict_my_groups=True)
    assert client.get(reverse("my_groups")).status_code == 403
    _settings(tenant, restrict_my_groups=False)
    assert client.get(reverse("my_groups")).status_code == 200


def test_it_sends_anonymous_visitors_to_sign_in(client):
    for name in ("my_groups", "discover", "my_requests", "approvals"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# /my/groups/discover/


def test_it_discovers_groups_with_the_action_each_allows(client, tenant, member):
    GroupFactory(tenant=tenant, display_name="Open Club", join_policy=JoinPolicy.OPEN)
    GroupFactory(tenant=tenant, display_name="Approval Club", join_policy=JoinPolicy.OWNER_APPROVAL)
    GroupFactory(tenant=tenant, display_name="Closed Club", join_policy=JoinPolicy.CLOSED)
    GroupFactory(tenant=tenant, display_name="Rule Club", membership_type="dynamic")
    GroupFactory(tenant=tenant, display_name="Mine Already", members=[member])
    body = _text(_as(client, member).get(reverse("discover")))

    def row(name):
        return body.split(name)[1].split("</tr>")[0]

    assert "Mine Already" not in body
    assert ">Join<" in row("Open Club")
    assert "Send request" in row("Approval Club") and "Justification" in row("Approval Club")
    assert "Only owners add members" in row("Closed Club") and "<button" not in row("Closed Club")
    assert "set by a rule" in row("Rule Club")


def test_it_leaves_out_the_groups_the_member_is_in_at_any_depth(client, tenant, member):
    inner = GroupFactory(tenant=tenant, display_name="Inner Circle", members=[member])
    middle = GroupFactory(tenant=tenant, display_name="Middle Ring", members=[inner])
    GroupFactory(tenant=tenant, display_name="Outer Ring", members=[middle])
    GroupFactory(tenant=tenant, display_name="Elsewhere Club", join_policy=JoinPolicy.OPEN)
    page = _as(client, member).get(reverse("discover"))
    body = _text(page)
    assert "Elsewhere Club" in body and page.context["page"].paginator.count == 1
    assert not any(name in body for name in ("Inner Circle", "Middle Ring", "Outer Ring"))
    client.force_login(UserFactory(tenant=tenant))  # in no group at all: every group to discover
    assert client.get(reverse("discover")).context["page"].paginator.count == 4


def test_discover_counts_up_to_its_cap_and_then_says_more_than(client, tenant, member, monkeypatch):
    my_groups = importlib.import_module("access_requests.views.my_groups")  # the module, not the view
    for n in range(4):
        GroupFactory(tenant=tenant, display_name=f"Club {n}")
    body = _text(_as(client, member).get(reverse("discover")))
    assert '<span class="count">4</span> groups' in body
    monkeypatch.setattr(my_groups, "DISCOVER_COUNT_CAP", 3)
    page = client.get(reverse("discover"))
    assert '<span class="count">more than 3</span> groups' in _text(page)
    assert page.context["page"].paginator.count == 4  # counted up to cap + 1, not further
    assert [g.display_name for g in page.context["page"]] == [f"Club {n}" for n in range(4)]


def test_it_names_the_plan_on_a_free_tenant(client, tenant, member, approval_group):
    tenant.plan = Plan.FREE
    tenant.save()
    body = _text(_as(client, member).get(reverse("discover")))
    assert "P1 or P2" in body and "Send request" not in body


def test_it_says_approval_groups_take_no_requests_when_owners_cant_manage_them(
    client, tenant, member, approval_group
):
    _settings(tenant, owners_can_manage_requests=False)
    body = _text(_as(client, member).get(reverse("discover")))
    assert "doesn't accept membership requests" in body and "Send request" not in body


def test_it_hides_members_of_hidden_membership_groups_from_non_members(client, tenant, member):
    hidden = GroupFactory(tenant=tenant, display_name="Secret", visibility=Visibility.HIDDEN_MEMBERSHIP)
    insider = UserFactory(tenant=tenant, display_name="Insider Person")
    Membership.objects.create(group=hidden, member_user=insider)
    client = _as(client, member)
    assert "Hidden" in _text(client.get(reverse("discover"))).split("Secret")[1].split("</tr>")[0]
    page = _text(client.get(reverse("group_detail", args=[hidden.id])))
    assert "Insider Person" not in page and "membership is hidden" in page
    client.force_login(insider)
    assert "Insider Person" in _text(client.get(reverse("group_detail", args=[hidden.id])))


def test_it_shows_guests_nothing_when_guests_may_not_browse(client, tenant):
    _settings(tenant, allow_guests_to_access_groups=False)
    GroupFactory(tenant=tenant, display_name="Open Club", join_policy=JoinPolicy.OPEN)
    guest = UserFactory(tenant=tenant, user_type=UserType.GUEST)
    body = _text(_as(client, guest).get(reverse("discover")))
    assert "Open Club" not in body and "guests" in body


def test_it_never_discovers_another_tenants_groups(client, member, other_tenant):
    GroupFactory(tenant=other_tenant, display_name="Elsewhere", join_policy=JoinPolicy.OPEN)
    assert "Elsewhere" not in _text(_as(client, member).get(reverse("discover")))


# Join / request / leave / cancel


def test_it_joins_from_discover_with_htmx_swapping_the_action_box(client, tenant, member):
    group = GroupFactory(tenant=tenant, display_name="Open Club", join_policy=JoinPolicy.OPEN)
    response = _as(client, member).post(reverse("group_join", args=[group.id]), **HTMX)
    body = _text(response)
    assert response.status_code == 200 and body.lstrip().startswith('<div class="self-service"')
    assert "You joined Open Club" in body and "Leave group" in body
    assert Membership.objects.filter(group=group, member_user=member).exists()


def test_it_joins_without_javascript_and_redirects_to_the_group(client, tenant, member):
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OPEN)
    response = _as(client, member).post(reverse("group_join", args=[group.id]))
    assert response.status_code == 302 and response["Location"] == reverse("group_detail", args=[group.id])


def test_it_ignores_a_next_url_to_another_site(client, tenant, member):
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OPEN)
    response = _as(client, member).post(
        reverse("group_join", args=[group.id]), {"next": "https://evil.test/"}
    )
    assert response["Location"] == reverse("group_detail", args=[group.id])


@pytest.mark.parametrize("next_", ["?", "approvals", "x.y", "javascript:alert(1)"])
def test_it_ignores_a_next_that_is_not_a_path(client, tenant, member, next_):
    """Found by the fuzz test: redirect() took "?" for a URL name and failed to reverse it (a 500)."""
    client = _as(client, member)
    client.raise_request_exception = False
    response = client.post(reverse("approvals_bulk"), {"next": next_})
    assert response.status_code == 302 and response["Location"] == reverse("approvals")


def test_it_refuses_joining_a_closed_group_with_a_403(client, tenant, member):
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.CLOSED)
    response = _as(client, member).post(reverse("group_join", args=[group.id]))
    assert response.status_code == 403 and "Only owners add members" in _text(response)
    assert not Membership.objects.exists()


def test_it_404s_on_another_tenants_group(client, member, other_tenant):
    group = GroupFactory(tenant=other_tenant, join_policy=JoinPolicy.OPEN)
    client = _as(client, member)
    for name in ("group_join", "group_request", "group_leave"):
        assert client.post(reverse(name, args=[group.id])).status_code == 404
    assert client.get(reverse("group_detail", args=[group.id])).status_code == 404
    assert not Membership.objects.exists()


def test_it_refuses_get_on_actions(client, tenant, member):
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OPEN)
    assert _as(client, member).get(reverse("group_join", args=[group.id])).status_code == 405


def test_it_sends_a_request_with_a_justification(client, member, approval_group):
    response = _as(client, member).post(
        reverse("group_request", args=[approval_group.id]), {"justification": "Quarterly review"}
    )
    assert response.status_code == 302
    join_request = JoinRequest.objects.get()
    assert (join_request.requester, join_request.justification) == (member, "Quarterly review")
    page = _text(client.get(response["Location"]))
    assert "was sent to its owners" in page and "Request pending" in page and "Cancel request" in page


def test_it_keeps_the_justification_when_a_request_is_refused(client, member, approval_group):
    client = _as(client, member)
    response = client.post(reverse("group_request", args=[approval_group.id]), {"justification": "x" * 1001})
    assert response.status_code == 400
    body = _text(response)
    assert "at most 1000 characters" in body and "x" * 1001 in body
    assert JoinRequest.objects.count() == 0


def test_it_shows_a_duplicate_request_error_in_place_with_htmx(client, member, approval_group):
    JoinRequestFactory(group=approval_group, requester=member)
    client = _as(client, member)
    # A stale discover page still offers the form: the answer says why and shows the pending request.
    response = client.post(
        reverse("group_request", args=[approval_group.id]), {"justification": "again"}, **HTMX
    )
    body = _text(response)
    assert response.status_code == 200 and "already have a pending request" in body
    assert JoinRequest.objects.count() == 1


def test_it_leaves_a_group_from_its_page(client, tenant, member):
    group = GroupFactory(
        tenant=tenant, display_name="Book Club", join_policy=JoinPolicy.OPEN, members=[member]
    )
    client = _as(client, member)
    assert "Leave group" in _text(client.get(reverse("group_detail", args=[group.id])))
    response = client.post(reverse("group_leave", args=[group.id]))
    assert response.status_code == 302 and not Membership.objects.exists()
    assert AuditEvent.objects.filter(activity="Leave group").exists()


def test_it_explains_why_a_dynamic_group_cant_be_left(client, tenant, member):
    group = GroupFactory(tenant=tenant, membership_type="dynamic", members=[member])
    body = _text(_as(client, member).get(reverse("group_detail", args=[group.id])))
    assert "Membership of this group is set by a rule" in body and "Leave group" not in body


def test_it_lists_and_cancels_my_requests(client, member, approval_group, tenant):
    other = GroupFactory(tenant=tenant, display_name="Decided Group")
    JoinRequestFactory(
        group=other, requester=member, status="denied", reason="Full", decided_date_time="2026-01-01T00:00Z"
    )
    pending = JoinRequestFactory(group=approval_group, requester=member)
    JoinRequestFactory(group=approval_group)  # someone else's
    client = _as(client, member)
    body = _text(client.get(reverse("my_requests")))
    assert body.count('<tr id="request-') == 2 and "Full" in body and "Denied" in body
    response = client.post(reverse("request_cancel", args=[pending.id]), **HTMX)
    assert _text(response).lstrip().startswith(f'<tr id="request-{pending.id}"')
    assert "Cancelled" in _text(response)
    pending.refresh_from_db()
    assert pending.status == RequestStatus.CANCELLED


def test_it_404s_cancelling_someone_elses_request(client, member, approval_group):
    theirs = JoinRequestFactory(group=approval_group)
    assert _as(client, member).post(reverse("request_cancel", args=[theirs.id])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_pending


# Group page (overview)


def test_it_shows_the_group_page_with_owners_members_and_status(
    client, tenant, member, owner, approval_group
):
    Membership.objects.create(
        group=approval_group, member_user=UserFactory(tenant=tenant, display_name="Mia Member")
    )
    body = _text(_as(client, member).get(reverse("group_detail", args=[approval_group.id])))
    assert "Adele Owner" in body and "Mia Member" in body
    assert "You're not a member of this group" in body and "Send request" in body
    body = _text(_as(client, owner).get(reverse("group_detail", args=[approval_group.id])))
    assert "Owner" in body and "Requests" in body


def test_it_marks_membership_through_nesting_on_the_group_page(client, tenant, member):
    inner = GroupFactory(tenant=tenant, members=[member])
    outer = GroupFactory(tenant=tenant, members=[inner])
    body = _text(_as(client, member).get(reverse("group_detail", args=[outer.id])))
    assert "through a nested group" in body


# Approvals


def test_it_shows_owners_their_pending_requests_newest_first_with_requester_details(
    client, tenant, owner, approval_group
):
    older = JoinRequestFactory(
        group=approval_group,
        requester=UserFactory(
            tenant=tenant, display_name="Old Requester", department="Finance", job_title="Analyst"
        ),
        created_date_time="2026-01-01T00:00Z",
    )
    newer = JoinRequestFactory(
        group=approval_group,
        requester=UserFactory(tenant=tenant, display_name="New Guest", user_type=UserType.GUEST),
        justification="Audit season",
    )
    JoinRequestFactory(group=GroupFactory(tenant=tenant))  # not owned
    body = _text(_as(client, owner).get(reverse("approvals")))
    assert body.count('<tr id="request-') == 2
    assert body.index(str(newer.id)) < body.index(str(older.id))
    assert "Finance" in body and "Analyst" in body and "Guest" in body and "Audit season" in body


def test_it_shows_an_empty_inbox_to_people_who_own_nothing(client, member, approval_group):
    JoinRequestFactory(group=approval_group)
    response = _as(client, member).get(reverse("approvals"))
    assert response.status_code == 200 and "No requests are waiting" in _text(response)


def test_it_shows_administrators_every_request_in_scope(
    client, groups_admin, approval_group, tenant, other_tenant
):
    JoinRequestFactory(group=approval_group)
    JoinRequestFactory(group=GroupFactory(tenant=tenant))
    JoinRequestFactory(group=GroupFactory(tenant=other_tenant))
    body = _text(_as(client, groups_admin).get(reverse("approvals")))
    assert body.count('<tr id="request-') == 2


def test_it_turns_the_inbox_off_when_owners_cant_manage_requests(client, tenant, owner, approval_group):
    JoinRequestFactory(group=approval_group)
    _settings(tenant, owners_can_manage_requests=False)
    body = _text(_as(client, owner).get(reverse("approvals")))
    assert "Owners can't manage membership requests" in body and 'id="request-' not in body


def test_it_approves_one_request_in_place_and_updates_the_badge_out_of_band(client, owner, approval_group):
    join_request = JoinRequestFactory(group=approval_group)
    response = _as(client, owner).post(
        reverse("approval_decide", args=[join_request.id]), {"decision": "approve", "reason": "ok"}, **HTMX
    )
    body = _text(response)
    assert (
        body.lstrip().startswith(f'<tr id="request-{join_request.id}"')
        and "Approved" in body
        and "by you" in body
    )
    assert 'id="approvals-badge" hx-swap-oob="true"' in body and "</span>0</span>" in body
    assert Membership.objects.filter(group=approval_group, member_user=join_request.requester).exists()


def test_it_denies_without_javascript_and_redirects_to_the_inbox(client, owner, approval_group):
    join_request = JoinRequestFactory(group=approval_group)
    response = _as(client, owner).post(
        reverse("approval_decide", args=[join_request.id]), {"decision": "deny"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("approvals")
    join_request.refresh_from_db()
    assert join_request.status == "denied"


def test_it_shows_a_decided_request_error_in_the_row(client, tenant, owner, approval_group):
    join_request = JoinRequestFactory(group=approval_group)
    other_owner = UserFactory(tenant=tenant, display_name="Other Owner")
    approval_group.ownerships.create(user=other_owner)
    _as(client, other_owner).post(reverse("approval_decide", args=[join_request.id]), {"decision": "deny"})
    response = _as(client, owner).post(
        reverse("approval_decide", args=[join_request.id]), {"decision": "approve"}, **HTMX
    )
    body = _text(response)
    assert "already denied by Other Owner" in body and "HX-Trigger" not in response
    assert not Membership.objects.exists()


def test_it_refuses_a_bad_decision_value_in_place(client, owner, approval_group):
    join_request = JoinRequestFactory(group=approval_group)
    response = _as(client, owner).post(
        reverse("approval_decide", args=[join_request.id]), {"decision": "maybe"}, **HTMX
    )
    assert response.status_code == 200 and "Select a valid choice" in _text(response)
    join_request.refresh_from_db()
    assert join_request.is_pending


def test_it_refuses_decisions_by_members_outsiders_and_other_tenants(
    client, tenant, other_tenant, approval_group
):
    join_request = JoinRequestFactory(group=approval_group)
    member = UserFactory(tenant=tenant)
    Membership.objects.create(group=approval_group, member_user=member)
    assert (
        _as(client, member)
        .post(reverse("approval_decide", args=[join_request.id]), {"decision": "approve"})
        .status_code
        == 403
    )
    outsider = UserFactory(tenant=tenant)
    assert (
        _as(client, outsider)
        .post(reverse("approval_decide", args=[join_request.id]), {"decision": "approve"})
        .status_code
        == 403
    )
    stranger = UserFactory(tenant=other_tenant, role="globalAdministrator")
    assert (
        _as(client, stranger)
        .post(reverse("approval_decide", args=[join_request.id]), {"decision": "approve"})
        .status_code
        == 404
    )
    join_request.refresh_from_db()
    assert (
        join_request.is_pending
        and not AuditEvent.objects.filter(activity__contains="join request", result="success").exists()
    )
    # The two refused attempts of this tenant's users are on record (the other tenant's isn't theirs).
    assert AuditEvent.objects.filter(tenant=tenant, result="failure").count() == 2


def test_it_decides_in_bulk(client, tenant, owner, approval_group):
    requests = [JoinRequestFactory(group=approval_group) for _ in range(3)]
    response = _as(client, owner).post(
        reverse("approvals_bulk"),
        {"decision": "approve", "reason": "Batch", "requests": [str(r.id) for r in requests[:2]]},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(group=approval_group).count() == 2
    body = _text(client.get(response["Location"]))
    assert "Approved 2 requests" in body and body.count('<tr id="request-') == 1


def test_it_decides_in_bulk_in_place_with_the_rows_the_count_and_the_badge_out_of_band(
    client, owner, approval_group
):
    requests = [JoinRequestFactory(group=approval_group) for _ in range(3)]
    response = _as(client, owner).post(
        reverse("approvals_bulk"),
        {"decision": "deny", "inbox": "1", "requests": [str(r.id) for r in requests[:2]]},
        **HTMX,
    )
    body = _text(response)
    assert response.status_code == 200
    for decided in requests[:2]:
        row = body.split(f'<tr id="request-{decided.id}" class="request-row" hx-swap-oob="true">')[1]
        row = row.split("</tr>")[0]
        assert f'data-label="Group"><a href="/groups/{approval_group.id}/">' in row and "Denied" in row
    assert '<span class="count">1</span> request waiting' in body  # the inbox's summary
    assert 'id="approvals-badge" hx-swap-oob="true"' in body and "</span>1</span>" in body
    assert "Denied 2 requests." in body


def test_it_refuses_bulk_decisions_on_another_tenants_requests(client, owner, other_tenant):
    theirs = JoinRequestFactory(group=GroupFactory(tenant=other_tenant))
    response = _as(client, owner).post(
        reverse("approvals_bulk"), {"decision": "approve", "requests": [str(theirs.id)]}
    )
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.is_pending
    assert "doesn't exist" in _text(client.get(response["Location"]))


def test_it_asks_to_select_something_in_bulk(client, owner):
    response = _as(client, owner).post(reverse("approvals_bulk"), {"decision": "deny"}, follow=True)
    assert "Select at least one request" in _text(response)


def test_it_counts_pending_approvals_in_the_navigation_badge(client, owner, approval_group):
    JoinRequestFactory(group=approval_group)
    JoinRequestFactory(group=approval_group)
    body = _text(_as(client, owner).get(reverse("my_groups")))
    assert 'id="approvals-badge"' in body and "</span>2</span>" in body
    badge = _text(client.get(reverse("approvals_badge")))
    assert 'hx-trigger="approvals-changed from:body"' in badge and badge.strip().endswith("2</span>")


def test_the_navigation_badge_stops_counting_at_99(client, owner, approval_group):
    """An administrator of a tenant with thousands of pending requests doesn't count them all on every
    page: the badge counts at most 100 and says "99+" (the inbox itself still counts them all)."""
    requesters = UserFactory.create_batch(101, tenant=owner.tenant)
    for person in requesters:
        JoinRequestFactory(group=approval_group, requester=person)
    _as(client, owner)
    badge = _text(client.get(reverse("approvals_badge")))
    assert badge.strip().endswith("99+</span>")
    body = _text(client.get(reverse("approvals")))
    assert '<span class="count">101</span> requests waiting' in body and "99+</span>" in body
    JoinRequest.objects.filter(requester__in=requesters[:2]).delete()
    assert _text(client.get(reverse("approvals_badge"))).strip().endswith("99</span>")


def test_it_shows_the_group_requests_tab_to_owners_only(
    client, tenant, owner, member, approval_group, other_tenant
):
    JoinRequestFactory(
        group=approval_group, requester=UserFactory(tenant=tenant, display_name="Asking Person")
    )
    url = reverse("group_requests", args=[approval_group.id])
    assert "Asking Person" in _text(_as(client, owner).get(url))
    assert _as(client, member).get(url).status_code == 403
    assert _as(client, UserFactory(tenant=other_tenant)).get(url).status_code == 404


def test_it_turns_the_inbox_off_on_the_free_plan_naming_the_plan(client, tenant, owner, approval_group):
    JoinRequestFactory(group=approval_group)
    tenant.plan = Plan.FREE
    tenant.save()
    body = _text(_as(client, owner).get(reverse("approvals")))
    assert "P1 or P2" in body and "Free plan" in body and 'id="request-' not in body


def test_it_shows_a_pending_request_on_discover_and_cancels_it_in_place(client, member, approval_group):
    pending = JoinRequestFactory(group=approval_group, requester=member)
    client = _as(client, member)
    row = _text(client.get(reverse("discover"))).split("Finance Reviewers")[1].split("</tr>")[0]
    assert "Request pending" in row and "Cancel request" in row and "Send request" not in row
    response = client.post(reverse("request_cancel", args=[pending.id]), {"answer": "action"}, **HTMX)
    body = _text(response)
    assert body.lstrip().startswith('<div class="self-service"') and "Your request was cancelled" in body
    assert "Request to join" in body  # asking again is allowed
    pending.refresh_from_db()
    assert pending.status == RequestStatus.CANCELLED


def test_it_shows_decided_requests_under_the_pending_ones_in_the_group_tab(
    client, tenant, owner, approval_group
):
    decided = JoinRequestFactory(
        group=approval_group, status="approved", decided_by=owner, decided_date_time="2026-01-01T00:00Z"
    )
    pending = JoinRequestFactory(group=approval_group, created_date_time="2025-01-01T00:00Z")
    body = _text(_as(client, owner).get(reverse("group_requests", args=[approval_group.id])))
    assert body.index(str(pending.id)) < body.index(str(decided.id)) and "by you" in body


def test_it_shows_members_of_a_hidden_group_to_its_direct_members_in_my_groups(client, tenant, member):
    GroupFactory(
        tenant=tenant, display_name="Secret", visibility=Visibility.HIDDEN_MEMBERSHIP, members=[member]
    )
    row = _text(_as(client, member).get(reverse("my_groups"))).split("Secret")[1].split("</tr>")[0]
    assert "Hidden" not in row and 'data-label="Members">1</td>' in row


def test_it_reuses_the_inbox_count_for_the_badge(client, owner, approval_group):
    for _ in range(3):
        JoinRequestFactory(group=approval_group)
    body = _text(_as(client, owner).get(reverse("approvals")))
    assert "pending: </span>3</span>" in body


def test_it_answers_a_refused_htmx_decision_in_the_row_without_details(client, tenant, owner, approval_group):
    join_request = JoinRequestFactory(
        group=approval_group, requester=UserFactory(tenant=tenant, display_name="Ria")
    )
    _settings(tenant, owners_can_manage_requests=False)  # turned off while the owner's page was open
    response = _as(client, owner).post(
        reverse("approval_decide", args=[join_request.id]), {"decision": "approve"}, **HTMX
    )
    body = _text(response)
    assert response.status_code == 200 and "Owners can't manage membership requests" in body
    assert "Ria" not in body and "HX-Trigger" not in response
    join_request.refresh_from_db()
    assert join_request.is_pending


def test_it_explains_a_stale_join_button_in_place(client, tenant, member):
    group = GroupFactory(tenant=tenant, display_name="Was Open", join_policy=JoinPolicy.CLOSED)
    response = _as(client, member).post(reverse("group_join", args=[group.id]), **HTMX)
    body = _text(response)
    assert response.status_code == 200 and "Only owners add members" in body
    assert not Membership.objects.exists()


def test_it_keeps_a_saved_request_when_the_mail_server_is_down(
    client, member, approval_group, monkeypatch, django_capture_on_commit_callbacks
):
    from access_requests import notifications

    def down(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notifications, "send_mail", down)
    with django_capture_on_commit_callbacks(execute=True):
        response = _as(client, member).post(
            reverse("group_request", args=[approval_group.id]), {"justification": "x"}
        )
    assert response.status_code == 302
    request = JoinRequest.objects.get()
    assert request.is_pending and request.owners_notified_date_time is None  # the periodic job retries


def test_it_keeps_a_decision_when_the_mail_server_is_down(
    client, owner, approval_group, monkeypatch, django_capture_on_commit_callbacks
):
    from access_requests import notifications

    def down(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notifications, "send_mail", down)
    join_request = JoinRequestFactory(group=approval_group)
    with django_capture_on_commit_callbacks(execute=True):
        response = _as(client, owner).post(
            reverse("approval_decide", args=[join_request.id]), {"decision": "approve"}
        )
    assert response.status_code == 302
    join_request.refresh_from_db()
    assert join_request.status == "approved" and Membership.objects.filter(group=approval_group).count() == 1


def test_it_points_owners_to_waiting_requests_from_the_group_page(client, owner, member, approval_group):
    JoinRequestFactory(group=approval_group)
    JoinRequestFactory(group=approval_group)
    url = reverse("group_detail", args=[approval_group.id])
    assert "2 requests to join wait for a decision" in _text(_as(client, owner).get(url))
    assert "wait for a decision" not in _text(_as(client, member).get(url))


def test_it_links_members_but_not_guests_to_creating_a_group(client, tenant, member):
    assert reverse("my_group_new") in _text(_as(client, member).get(reverse("my_groups")))
    guest = UserFactory(tenant=tenant, user_type=UserType.GUEST)
    assert reverse("my_group_new") not in _text(_as(client, guest).get(reverse("my_groups")))
