"""Issue 11: the bugs (an app changing a rule, a held rule change, the processing-state filter) and
Graph's own errors (already-exists text, unknown segments, correlation headers, Graph's refusals)."""

from __future__ import annotations

import pytest

from groups.models import GroupKind, Membership, MembershipType, Ownership, ProcessingState, RuleChangeHold
from tests import factories
from tests.portal.site.api.conftest import error_of, ref

pytestmark = pytest.mark.django_db

ALREADY = "One or more added object references already exist for the following modified properties: '{}'."


def _dynamic(tenant, *, members=(), rule='user.department -eq "Sales"'):
    return factories.GroupFactory(
        tenant=tenant,
        membership_type=MembershipType.DYNAMIC,
        membership_rule=rule,
        kind=GroupKind.SECURITY,
        members=list(members),
    )


def test_an_app_token_changes_a_dynamic_rule(tenant, api_as):
    legal = factories.UserFactory(tenant=tenant, department="Legal")
    group = _dynamic(tenant)
    app = api_as(app="audit", role="groupsAdministrator", tenant=tenant)
    response = app.patch(f"/v1.0/groups/{group.pk}", {"membershipRule": 'user.department -eq "Legal"'})
    assert response.status_code == 204, response.content
    group.refresh_from_db()
    assert group.membership_rule == 'user.department -eq "Legal"'
    assert list(group.memberships.values_list("member_user", flat=True)) == [legal.pk]


def test_a_held_rule_change_is_an_error_that_says_how_to_go_on(tenant, groups_admin, api_as):
    sales = factories.UserFactory.create_batch(5, tenant=tenant, department="Sales")
    group = _dynamic(tenant, members=sales)
    response = api_as(groups_admin).patch(
        f"/v1.0/groups/{group.pk}", {"membershipRule": 'user.department -eq "Nobody"', "description": "d"}
    )
    assert error_of(response) == (409, "Groupdesk_RuleChangeHeld")
    message = response.json()["error"]["message"]
    assert "5 of 5 members" in message and f"/groups/{group.pk}/rule/" in message and "NOT" in message
    group.refresh_from_db()
    assert group.membership_rule == 'user.department -eq "Sales"' and group.description == "d"
    assert RuleChangeHold.objects.get(group=group).is_pending


def test_an_app_can_replace_a_held_change_and_is_held_too(tenant, groups_admin, api_as):
    group = _dynamic(tenant, members=factories.UserFactory.create_batch(3, tenant=tenant, department="Sales"))
    body = {"membershipRule": 'user.department -eq "Nobody"'}
    assert api_as(groups_admin).patch(f"/v1.0/groups/{group.pk}", body).status_code == 409
    app = api_as(app="Sync", role="groupsAdministrator", tenant=tenant)
    assert error_of(app.patch(f"/v1.0/groups/{group.pk}", body)) == (409, "Groupdesk_RuleChangeHeld")
    first, second = RuleChangeHold.objects.filter(group=group).order_by("created_date_time")
    assert first.status == RuleChangeHold.Status.CANCELLED and first.decided_by is None
    assert second.is_pending and second.requested_by is None


def test_the_processing_state_filter_leaves_static_groups_out(tenant, member, api_as):
    dynamic = _dynamic(tenant)
    paused = _dynamic(tenant)
    paused.membership_rule_processing_state = ProcessingState.PAUSED
    paused.save()
    static = factories.GroupFactory(tenant=tenant)
    api = api_as(member)

    def ids(text):
        return {g["id"] for g in api.get("/v1.0/groups", **{"$filter": text}).json()["value"]}

    assert ids("membershipRuleProcessingState eq 'On'") == {str(dynamic.pk)}
    assert ids("membershipRuleProcessingState eq 'Paused'") == {str(paused.pk)}
    assert ids("membershipRuleProcessingState eq null") == {str(static.pk)}
    assert ids("membershipRuleProcessingState ne 'On'") == {str(paused.pk), str(static.pk)}


def test_adding_an_existing_member_or_owner_answers_graphs_words(tenant, groups_admin, member, api_as):
    group = factories.GroupFactory(tenant=tenant, members=[member], owners=[member])
    api = api_as(groups_admin)
    for relation in ("members", "owners"):
        response = api.post(f"/v1.0/groups/{group.pk}/{relation}/$ref", ref(member))
        assert error_of(response) == (400, "Request_BadRequest")
        assert response.json()["error"]["message"] == ALREADY.format(relation)
    assert Membership.objects.filter(group=group).count() == 1


def test_graphs_refusals_microsoft_365_nesting_and_the_last_owner(tenant, groups_admin, member, api_as):
    security = factories.GroupFactory(tenant=tenant, owners=[member])
    unified = factories.GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365)
    api = api_as(groups_admin)
    assert error_of(api.post(f"/v1.0/groups/{security.pk}/members/$ref", ref(unified))) == (
        400,
        "Request_BadRequest",
    )
    response = api.delete(f"/v1.0/groups/{security.pk}/owners/{member.pk}/$ref")
    assert error_of(response) == (400, "Request_BadRequest")
    assert response.json()["error"]["message"] == (
        "The group must have at least one owner, hence this owner cannot be removed."
    )
    second = factories.UserFactory(tenant=tenant)
    Ownership.objects.create(group=security, user=second)
    assert api.delete(f"/v1.0/groups/{security.pk}/owners/{member.pk}/$ref").status_code == 204


@pytest.mark.parametrize(
    ("path", "segment"),
    [
        ("/v1.0/nope", "nope"),
        ("/v1.0/nope/deeper", "nope"),
        ("/v1.0/groups/{group}/nope", "nope"),
        ("/v1.0/groups/{group}/members/$ref/extra", "extra"),
        ("/beta/users/{user}/calendar", "calendar"),
        ("/v1.0/directory/nope", "nope"),
    ],
)
def test_unknown_paths_name_the_segment_graph_would(tenant, member, api_as, path, segment):
    group = factories.GroupFactory(tenant=tenant)
    response = api_as(member).get(path.format(group=group.pk, user=member.pk))
    assert error_of(response) == (400, "BadRequest")
    assert response.json()["error"]["message"] == f"Resource not found for the segment '{segment}'."


def test_every_answer_carries_the_correlation_headers(member, api_as, anonymous_api):
    api = api_as(member)
    echoed = api.get("/v1.0/me", headers={"client-request-id": "abc-123"})
    assert echoed["client-request-id"] == "abc-123" and echoed["request-id"]
    plain = api.get("/v1.0/me")
    assert plain["request-id"] and plain["client-request-id"] == plain["request-id"]
    refused = anonymous_api.get("/v1.0/me")
    assert refused.status_code == 401 and refused["request-id"]
    assert refused.json()["error"]["innerError"]["request-id"] == refused["request-id"]
