"""Concurrent decisions on PostgreSQL: real threads, each with its own connection, started together."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from access_requests import services
from access_requests.models import JoinRequest
from groups.models import JoinPolicy, Membership
from groups.services import ServiceError, group_hard_delete, group_soft_delete
from portal.models import AuditEvent, User
from tests.factories import GroupFactory, JoinRequestFactory, TenantFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_together(*calls):
    """Run each call in its own thread (and database connection) at the same moment; return outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            outcomes[i] = ("ok", call())
        except (ServiceError, PermissionDenied) as exc:
            outcomes[i] = ("refused", str(exc))
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertions below
            outcomes[i] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@pytest.fixture
def slow_audit(monkeypatch):
    """Hold each decision inside its transaction for a moment, so the threads really overlap."""
    real = services.audit_record

    def slow(**kwargs):
        time.sleep(0.3)
        return real(**kwargs)

    monkeypatch.setattr(services, "audit_record", slow)
    monkeypatch.setattr("groups.services.membership.audit_record", slow)


def _user(pk):
    return User.objects.select_related("tenant", "tenant__group_settings").get(pk=pk)


@pytest.mark.parametrize("second", ["approve", "deny"])
def test_it_leaves_exactly_one_decision_when_two_owners_decide_at_once(slow_audit, second):
    tenant = TenantFactory()
    owners = [UserFactory(tenant=tenant) for _ in range(2)]
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=owners)
    request_id = JoinRequestFactory(group=group).pk
    decide = {"approve": services.join_request_approve, "deny": services.join_request_deny}

    def deciding(owner, how):
        return lambda: (
            decide[how](actor=_user(owner.pk), join_request=JoinRequest.objects.get(pk=request_id)).status
        )

    outcomes = _run_together(deciding(owners[0], "approve"), deciding(owners[1], second))
    assert sorted(o[0] for o in outcomes) == ["ok", "refused"], outcomes
    refused = next(o[1] for o in outcomes if o[0] == "refused")
    assert "already" in refused
    final = JoinRequest.objects.get(pk=request_id)
    winner = next(o[1] for o in outcomes if o[0] == "ok")
    assert final.status == winner
    assert Membership.objects.filter(group=group).count() == (1 if winner == "approved" else 0)
    decisions = AuditEvent.objects.filter(activity__in=["Approve join request", "Deny join request"])
    assert decisions.count() == 1


def test_it_never_adds_a_member_to_a_group_deleted_at_the_same_moment(slow_audit):
    tenant = TenantFactory()
    owner = UserFactory(tenant=tenant)
    admin = UserFactory(tenant=tenant, role="groupsAdministrator")
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[owner])
    request_id = JoinRequestFactory(group=group).pk
    outcomes = _run_together(
        lambda: (
            services.join_request_approve(
                actor=_user(owner.pk), join_request=JoinRequest.objects.get(pk=request_id)
            ).status
        ),
        lambda: group_soft_delete(actor=_user(admin.pk), group=type(group).objects.get(pk=group.pk)).pk,
    )
    assert [o[0] for o in outcomes][1] == "ok", outcomes
    final = JoinRequest.objects.get(pk=request_id)
    if outcomes[0][0] == "ok":  # approved first, then the group was deleted: a consistent history
        assert final.status == "approved" and Membership.objects.filter(group=group).count() == 1
    else:
        assert "deleted" in outcomes[0][1]
        assert final.is_pending and not Membership.objects.filter(group=group).exists()


@pytest.mark.parametrize("round_", range(5))
def test_it_refuses_a_decision_racing_a_permanent_deletion_without_deadlock(slow_audit, round_):
    """Both paths lock the group first, then the request: no deadlock, no missing row; the decision that
    comes second hears that the group was deleted."""
    tenant = TenantFactory()
    owner = UserFactory(tenant=tenant)
    admin = UserFactory(tenant=tenant, role="groupsAdministrator")
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[owner])
    request_id = JoinRequestFactory(group=group).pk
    group_soft_delete(actor=_user(admin.pk), group=group)
    decide = services.join_request_approve if round_ % 2 == 0 else services.join_request_deny
    outcomes = _run_together(
        lambda: decide(actor=_user(owner.pk), join_request=JoinRequest(pk=request_id)).status,
        lambda: group_hard_delete(actor=_user(admin.pk), group=type(group).objects.get(pk=group.pk)),
    )
    assert outcomes[1][0] == "ok", outcomes
    assert outcomes[0][0] == "refused" and "deleted" in outcomes[0][1], outcomes
    assert not JoinRequest.objects.filter(pk=request_id).exists()
    assert not Membership.objects.filter(group_id=group.pk).exists()


def test_it_keeps_one_pending_request_when_the_same_request_is_sent_twice_at_once():
    tenant = TenantFactory()
    requester = UserFactory(tenant=tenant)
    group = GroupFactory(
        tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[UserFactory(tenant=tenant)]
    )

    def sending():
        return services.join_request_create(
            actor=_user(requester.pk), group=type(group).objects.get(pk=group.pk)
        ).pk

    outcomes = _run_together(sending, sending)
    assert all(o[0] in ("ok", "refused") for o in outcomes), outcomes
    assert JoinRequest.objects.filter(group=group, status="pending").count() == 1
