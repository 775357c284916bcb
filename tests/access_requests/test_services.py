from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from access_requests import services
from access_requests.models import JoinRequest, RequestStatus
from groups.models import CreatedIn, GroupKind, JoinPolicy, Membership, MembershipSource
from groups.services import ServiceError, default_join_policy, group_create
from portal.authz import forget
from portal.models import AuditEvent, Plan, Source, TenantGroupSettings, UserType
from tests.factories import GroupFactory, JoinRequestFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(tenant):
    return UserFactory(tenant=tenant)


@pytest.fixture
def approval_group(tenant, owner):
    return GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[owner])


@pytest.fixture
def open_group(tenant, owner):
    return GroupFactory(tenant=tenant, join_policy=JoinPolicy.OPEN, owners=[owner])


def _settings(tenant, **values):
    TenantGroupSettings.objects.filter(tenant=tenant).update(**values)
    tenant.group_settings.refresh_from_db()


def _fresh(user):
    """The user as the next HTTP request would load them (settings and grants re-read)."""
    user = type(user).objects.select_related("tenant", "tenant__group_settings").get(pk=user.pk)
    forget(user)
    return user


# Joining and leaving


def test_it_joins_an_open_group_at_once_and_audits_it(member, open_group):
    membership = services.group_join(actor=member, group=open_group)
    assert membership.member_user == member and membership.source == MembershipSource.DIRECT
    event = AuditEvent.objects.get(activity="Join group")
    assert (event.actor_name, event.target_id) == (member.user_principal_name, str(open_group.id))


def test_it_refuses_to_join_an_approval_group_directly(member, approval_group):
    with pytest.raises(PermissionDenied, match="owner's approval"):
        services.group_join(actor=member, group=approval_group)
    assert not Membership.objects.exists()


def test_it_refuses_to_join_a_closed_group(member, tenant):
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.CLOSED)
    with pytest.raises(PermissionDenied, match="Only owners add members"):
        services.group_join(actor=member, group=group)


def test_it_refuses_joining_twice(member, open_group):
    services.group_join(actor=member, group=open_group)
    with pytest.raises(PermissionDenied, match="already a member"):
        services.group_join(actor=member, group=open_group)
    assert Membership.objects.count() == 1


@pytest.mark.parametrize(
    "overrides, reason",
    [
        ({"kind": GroupKind.MAIL_ENABLED_SECURITY}, "mail-enabled security groups and distribution lists"),
        ({"kind": GroupKind.DISTRIBUTION}, "mail-enabled security groups and distribution lists"),
        ({"source": Source.SYNCED}, "synced from on-premises"),
        ({"membership_type": "dynamic", "membership_rule": 'user.department -eq "x"'}, "set by a rule"),
        ({"is_assignable_to_role": True}, "Role-assignable"),
    ],
)
@pytest.mark.parametrize(
    "policy, action", [(JoinPolicy.OPEN, "join"), (JoinPolicy.OWNER_APPROVAL, "request")]
)
def test_it_offers_no_self_service_for_groups_outside_it(member, tenant, overrides, reason, policy, action):
    group = GroupFactory(tenant=tenant, join_policy=policy, **overrides)
    with pytest.raises(PermissionDenied, match=reason):
        if action == "join":
            services.group_join(actor=member, group=group)
        else:
            services.join_request_create(actor=member, group=group, justification="x")
    assert not Membership.objects.exists() and not JoinRequest.objects.exists()


def test_it_leaves_a_group_with_an_audited_reason(member, open_group):
    services.group_join(actor=member, group=open_group)
    services.group_leave(actor=member, group=open_group, reason="Project over")
    assert not Membership.objects.exists()
    assert AuditEvent.objects.get(activity="Leave group").reason == "Project over"


def test_it_refuses_to_leave_a_dynamic_group(member, tenant):
    group = GroupFactory(tenant=tenant, membership_type="dynamic", members=[member])
    with pytest.raises(PermissionDenied, match="set by a rule"):
        services.group_leave(actor=member, group=group)
    assert Membership.objects.count() == 1


def test_it_refuses_to_leave_a_synced_group(member, tenant):
    group = GroupFactory(tenant=tenant, source=Source.SYNCED, members=[member])
    with pytest.raises(PermissionDenied, match="synced"):
        services.group_leave(actor=member, group=group)


def test_it_refuses_to_leave_a_group_one_is_only_in_through_nesting(member, tenant):
    inner = GroupFactory(tenant=tenant, members=[member])
    outer = GroupFactory(tenant=tenant, members=[inner])
    with pytest.raises(PermissionDenied, match="not a direct member"):
        services.group_leave(actor=member, group=outer)


# Join policy defaults (seed 002's table)


@pytest.mark.parametrize(
    "kind, created_in, expected",
    [
        (GroupKind.SECURITY, CreatedIn.MY_GROUPS, JoinPolicy.OPEN),
        (GroupKind.MICROSOFT_365, CreatedIn.MY_GROUPS, JoinPolicy.OPEN),
        (GroupKind.SECURITY, CreatedIn.ADMIN, JoinPolicy.CLOSED),
        (GroupKind.SECURITY, CreatedIn.API, JoinPolicy.CLOSED),
        (GroupKind.MICROSOFT_365, CreatedIn.ADMIN, JoinPolicy.OPEN),
        (GroupKind.MICROSOFT_365, CreatedIn.API, JoinPolicy.OPEN),
    ],
)
def test_it_defaults_the_join_policy_by_where_a_group_was_made(admin_user, kind, created_in, expected):
    assert default_join_policy(kind=kind, created_in=created_in) == expected
    group = group_create(
        actor=admin_user,
        display_name="G",
        mail_nickname=f"g-{kind}-{created_in}",
        kind=kind,
        created_in=created_in,
    )
    assert group.join_policy == expected


def test_it_lets_my_groups_creators_choose_the_policy_at_creation(member):
    group = group_create(
        actor=member,
        display_name="Mine",
        mail_nickname="mine",
        created_in=CreatedIn.MY_GROUPS,
        join_policy=JoinPolicy.OWNER_APPROVAL,
        as_owner=True,
    )
    assert group.join_policy == JoinPolicy.OWNER_APPROVAL


# Requests


def test_it_creates_a_pending_request_audited_and_announced_to_owners(
    member, approval_group, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        join_request = services.join_request_create(
            actor=member, group=approval_group, justification=" Audit "
        )
    assert join_request.status == RequestStatus.PENDING and join_request.justification == "Audit"
    event = AuditEvent.objects.get(activity="Request to join group")
    assert event.after["request"] == str(join_request.id) and event.after["justification"] == "Audit"
    assert [m.to for m in mail.outbox] == [[owner.mail]]
    assert member.display_name in mail.outbox[0].subject and "Audit" in mail.outbox[0].body


def test_it_refuses_a_second_pending_request_for_the_same_group(member, approval_group):
    services.join_request_create(actor=member, group=approval_group)
    with pytest.raises(ServiceError, match="already have a pending request"):
        services.join_request_create(actor=member, group=approval_group)
    assert JoinRequest.objects.count() == 1


def test_it_allows_a_new_request_after_a_denial(member, owner, approval_group):
    first = services.join_request_create(actor=member, group=approval_group)
    services.join_request_deny(actor=owner, join_request=first, reason="Not now")
    second = services.join_request_create(actor=member, group=approval_group, justification="Now?")
    assert second.pk != first.pk and second.is_pending


def test_it_refuses_requests_to_open_and_closed_groups(member, open_group, tenant):
    with pytest.raises(PermissionDenied, match="join it directly"):
        services.join_request_create(actor=member, group=open_group)
    closed = GroupFactory(tenant=tenant, join_policy=JoinPolicy.CLOSED)
    with pytest.raises(PermissionDenied, match="Only owners add members"):
        services.join_request_create(actor=member, group=closed)


def test_it_refuses_an_overlong_justification(member, approval_group):
    with pytest.raises(ServiceError, match="too long"):
        services.join_request_create(actor=member, group=approval_group, justification="x" * 1001)
    assert not JoinRequest.objects.exists()


def test_it_refuses_requests_on_the_free_plan_naming_the_plan(tenant, member, approval_group):
    tenant.plan = Plan.FREE
    tenant.save()
    with pytest.raises(PermissionDenied, match="P1 or P2"):
        services.join_request_create(actor=_fresh(member), group=approval_group)


def test_it_refuses_owner_approval_groups_on_the_free_plan(tenant, admin_user):
    tenant.plan = Plan.FREE
    tenant.save()
    with pytest.raises(ServiceError, match="P1 or P2"):
        group_create(
            actor=admin_user, display_name="A", mail_nickname="a", join_policy=JoinPolicy.OWNER_APPROVAL
        )


def test_it_refuses_requests_when_owners_cant_manage_them_from_the_next_request_on(
    tenant, member, approval_group
):
    _settings(tenant, owners_can_manage_requests=False)
    with pytest.raises(PermissionDenied, match="doesn't accept membership requests"):
        services.join_request_create(actor=_fresh(member), group=approval_group)
    _settings(tenant, owners_can_manage_requests=True)
    assert services.join_request_create(actor=_fresh(member), group=approval_group).is_pending


def test_it_lets_guests_request_and_join_like_members(tenant, approval_group, open_group):
    guest = UserFactory(tenant=tenant, user_type=UserType.GUEST)
    assert services.join_request_create(actor=guest, group=approval_group).is_pending
    assert services.group_join(actor=guest, group=open_group)


def test_it_refuses_guests_when_the_tenant_forbids_it(tenant, approval_group, open_group):
    _settings(tenant, allow_guests_to_access_groups=False)
    guest = _fresh(UserFactory(tenant=tenant, user_type=UserType.GUEST))
    with pytest.raises(PermissionDenied, match="Guests can't"):
        services.join_request_create(actor=guest, group=approval_group)
    with pytest.raises(PermissionDenied, match="Guests can't"):
        services.group_join(actor=guest, group=open_group)


def test_it_makes_guests_owners_only_when_the_tenant_allows_it(tenant, admin_user, open_group):
    from groups.services import ownership_add

    guest = UserFactory(tenant=tenant, user_type=UserType.GUEST)
    with pytest.raises(ServiceError, match="Guests can't be group owners"):
        ownership_add(actor=admin_user, group=open_group, user=guest)
    _settings(tenant, allow_guests_to_be_group_owner=True)
    assert ownership_add(actor=_fresh(admin_user), group=open_group, user=guest)


# Cancelling


def test_it_lets_the_requester_cancel_a_pending_request(member, approval_group):
    join_request = services.join_request_create(actor=member, group=approval_group)
    services.join_request_cancel(actor=member, join_request=join_request)
    join_request.refresh_from_db()
    assert join_request.status == RequestStatus.CANCELLED and join_request.decided_date_time
    assert AuditEvent.objects.filter(activity="Cancel join request").count() == 1


def test_it_refuses_cancelling_someone_elses_request(owner, member, approval_group):
    join_request = services.join_request_create(actor=member, group=approval_group)
    with pytest.raises(PermissionDenied, match="Only the person who sent"):
        services.join_request_cancel(actor=owner, join_request=join_request)
    join_request.refresh_from_db()
    assert join_request.is_pending


def test_it_refuses_cancelling_a_decided_request(owner, member, approval_group):
    join_request = services.join_request_create(actor=member, group=approval_group)
    services.join_request_approve(actor=owner, join_request=join_request)
    with pytest.raises(ServiceError, match="already approved"):
        services.join_request_cancel(actor=member, join_request=join_request)


# Decisions


def test_it_approves_adding_one_membership_audited_and_mailed(
    owner, member, approval_group, django_capture_on_commit_callbacks
):
    join_request = services.join_request_create(actor=member, group=approval_group)
    with django_capture_on_commit_callbacks(execute=True):
        services.join_request_approve(actor=owner, join_request=join_request, reason="Welcome")
    join_request.refresh_from_db()
    assert (join_request.status, join_request.decided_by, join_request.reason) == (
        "approved",
        owner,
        "Welcome",
    )
    membership = Membership.objects.get(group=approval_group, member_user=member)
    assert membership.source == MembershipSource.REQUEST and membership.added_by == owner
    event = AuditEvent.objects.get(activity="Approve join request")
    assert event.reason == "Welcome" and event.after["memberAdded"] is True
    assert event.after["requester"] == member.user_principal_name
    assert mail.outbox[-1].to == [member.mail] and "approved" in mail.outbox[-1].subject


def test_it_denies_without_a_membership_and_tells_the_requester(
    owner, member, approval_group, django_capture_on_commit_callbacks
):
    join_request = services.join_request_create(actor=member, group=approval_group)
    with django_capture_on_commit_callbacks(execute=True):
        services.join_request_deny(actor=owner, join_request=join_request, reason="Finance staff only")
    assert not Membership.objects.exists()
    assert "denied" in mail.outbox[-1].subject and "Finance staff only" in mail.outbox[-1].body
    assert AuditEvent.objects.get(activity="Deny join request").reason == "Finance staff only"


def test_it_keeps_the_first_decision_final(owner, member, approval_group, tenant):
    other_owner = UserFactory(tenant=tenant)
    approval_group.ownerships.create(user=other_owner)
    join_request = services.join_request_create(actor=member, group=approval_group)
    services.join_request_approve(actor=owner, join_request=join_request)
    with pytest.raises(ServiceError, match=f"already approved by {owner.display_name}"):
        services.join_request_deny(actor=_fresh(other_owner), join_request=join_request)
    join_request.refresh_from_db()
    assert join_request.status == "approved" and Membership.objects.count() == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ("group_deleted", "has been deleted"),
        ("requester_disabled", "account is disabled"),
        ("requester_deleted", "has been removed"),
    ],
)
def test_it_refuses_approving_when_things_changed_and_changes_nothing(
    owner, member, approval_group, change, message
):
    join_request = services.join_request_create(actor=member, group=approval_group)
    if change == "group_deleted":
        approval_group.deleted_date_time = timezone.now()
        approval_group.save()
    elif change == "requester_disabled":
        member.account_enabled = False
        member.save()
    else:
        member.deleted_date_time = timezone.now()
        member.save()
    with pytest.raises(ServiceError, match=message):
        services.join_request_approve(actor=owner, join_request=join_request)
    join_request.refresh_from_db()
    assert join_request.is_pending and not Membership.objects.exists()
    assert not AuditEvent.objects.filter(activity="Approve join request").exists()


def test_it_approves_without_a_second_membership_when_already_added(owner, member, approval_group):
    join_request = services.join_request_create(actor=member, group=approval_group)
    Membership.objects.create(group=approval_group, member_user=member)
    services.join_request_approve(actor=owner, join_request=join_request)
    assert Membership.objects.count() == 1
    assert AuditEvent.objects.get(activity="Approve join request").after["memberAdded"] is False


def test_it_refuses_decisions_by_members_and_outsiders(tenant, member, approval_group):
    join_request = services.join_request_create(actor=member, group=approval_group)
    for actor in (UserFactory(tenant=tenant), member):
        with pytest.raises(PermissionDenied):
            services.join_request_approve(actor=actor, join_request=join_request)
    join_request.refresh_from_db()
    assert join_request.is_pending


def test_it_refuses_decisions_from_another_tenant(other_tenant, member, approval_group):
    join_request = services.join_request_create(actor=member, group=approval_group)
    stranger = UserFactory(tenant=other_tenant, role="globalAdministrator")
    with pytest.raises(PermissionDenied):
        services.join_request_approve(actor=stranger, join_request=join_request)
    assert not Membership.objects.exists()


def test_it_lets_administrators_decide_for_any_group(groups_admin, member, approval_group):
    join_request = services.join_request_create(actor=member, group=approval_group)
    services.join_request_approve(actor=groups_admin, join_request=join_request)
    assert Membership.objects.filter(member_user=member).exists()


def test_it_stops_owners_deciding_when_the_setting_is_off(tenant, owner, member, approval_group):
    join_request = services.join_request_create(actor=member, group=approval_group)
    _settings(tenant, owners_can_manage_requests=False)
    with pytest.raises(PermissionDenied, match="Owners can't manage membership requests"):
        services.join_request_approve(actor=_fresh(owner), join_request=join_request)


def test_it_rolls_back_the_decision_when_the_audit_fails(owner, member, approval_group, monkeypatch):
    join_request = services.join_request_create(actor=member, group=approval_group)

    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    monkeypatch.setattr("groups.services.membership.audit_record", broken)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.join_request_approve(actor=owner, join_request=join_request)
    join_request.refresh_from_db()
    assert join_request.is_pending and not Membership.objects.exists()


def test_it_decides_in_bulk_and_reports_what_it_could_not(owner, tenant, approval_group):
    requests = [JoinRequestFactory(group=approval_group) for _ in range(3)]
    services.join_request_deny(actor=owner, join_request=requests[0])
    outcome = services.join_requests_decide(actor=owner, join_requests=requests, approve=True, reason="ok")
    assert len(outcome.decided) == 2 and len(outcome.refused) == 1
    assert "already denied" in outcome.refused[0][1]
    assert Membership.objects.filter(group=approval_group).count() == 2
