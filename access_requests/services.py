"""Self-service state changes: joining, leaving, requesting, and deciding join requests.

Each function: authorize (portal.authz) → change → audit, in one transaction. Refusals the person can
understand are ``ServiceError`` (shown in place); missing rights are ``PermissionDenied`` (403).

Decisions are final. ``join_request_approve``/``join_request_deny`` lock the request row (and the
group row) with ``SELECT ... FOR UPDATE`` and re-check everything under the lock, so two owners deciding
at the same moment leave exactly one decision and at most one membership, and a decision racing a
group deletion sees the deletion.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from access_requests.models import JoinRequest, RequestStatus
from access_requests.notifications import notify_owners_soon, notify_requester
from groups.models import Group, Membership, MembershipSource
from groups.services import ServiceError, membership
from portal.audit import audit_record
from portal.authz import acting_user, authorize
from portal.errors import Conflict, Invalid, NotFound
from portal.models import User

MAX_JUSTIFICATION = 1000
MAX_REASON = 1000


def _clean_text(value: str, *, limit: int, what: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise Invalid(f"The {what} is too long: {len(value)} characters, at most {limit}.")
    return value


def _request_facts(join_request: JoinRequest) -> dict[str, Any]:
    return {
        "request": str(join_request.id),
        "requester": join_request.requester.user_principal_name,
        "status": join_request.status,
    }


@transaction.atomic
def group_join(*, actor: User, group: Group) -> Membership:
    """Join an open group: immediate membership."""
    return membership.member_add(
        actor=actor,
        group=group,
        member=actor,
        right="join",
        activity="Join group",
        details={"joinPolicy": group.join_policy},
    )


@transaction.atomic
def group_leave(*, actor: User, group: Group, reason: str = "") -> None:
    """Leave a group the actor is a direct member of (never a dynamic or synced one)."""
    reason = _clean_text(reason, limit=MAX_REASON, what="reason")
    membership.member_remove(
        actor=actor, group=group, member=actor, right="leave", activity="Leave group", reason=reason
    )


@transaction.atomic
def join_request_create(*, actor: User, group: Group, justification: str = "") -> JoinRequest:
    """Ask the owners of an approval group to let the actor in; they are emailed a digest."""
    authorize(actor, "request", group)
    justification = _clean_text(justification, limit=MAX_JUSTIFICATION, what="justification")
    if JoinRequest.objects.filter(group=group, requester=actor, status=RequestStatus.PENDING).exists():
        raise Conflict(f"You already have a pending request to join {group.display_name}.")
    try:
        with transaction.atomic():
            join_request = JoinRequest.objects.create(
                tenant=group.tenant, group=group, requester=actor, justification=justification
            )
    except IntegrityError:  # a second tab sent the same request at the same moment
        raise Conflict(f"You already have a pending request to join {group.display_name}.") from None
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity="Request to join group",
        target=group,
        after=_request_facts(join_request) | {"justification": justification},
    )
    notify_owners_soon()
    return join_request


def _locked(join_request: JoinRequest) -> JoinRequest:
    """The request re-read under a row lock, with its group locked and fresh too.

    Every path takes the locks in one order, the group's row first, then the request's: a permanent
    deletion locks the group and then deletes its requests, so the opposite order would deadlock with it.
    Whoever comes second after a permanent deletion is told the group was deleted.
    """
    gone = NotFound("This group was deleted. Nothing was changed.")
    group_id = JoinRequest.objects.filter(pk=join_request.pk).values_list("group_id", flat=True).first()
    group = (
        Group.objects.select_for_update(of=("self",))
        .select_related("tenant", "tenant__group_settings")
        .filter(pk=group_id)
        .first()
    )
    if group is None:
        raise gone
    locked = (
        JoinRequest.objects.select_for_update(of=("self",))
        .select_related("requester", "decided_by")
        .filter(pk=join_request.pk)
        .first()
    )
    if locked is None:
        raise gone
    locked.group = group
    return locked


def _already_decided(join_request: JoinRequest) -> Conflict:
    status = RequestStatus(join_request.status).label.lower()
    by = f" by {join_request.decided_by.display_name}" if join_request.decided_by else ""
    return Conflict(f"This request was already {status}{by}. Nothing was changed.")


@transaction.atomic
def join_request_cancel(*, actor: User, join_request: JoinRequest) -> JoinRequest:
    """The requester withdraws a pending request."""
    join_request = _locked(join_request)
    if join_request.requester_id == actor.id and not join_request.is_pending:
        raise _already_decided(join_request)
    authorize(actor, "cancel", join_request)
    join_request.status = RequestStatus.CANCELLED
    join_request.decided_by = acting_user(actor)
    join_request.decided_date_time = timezone.now()
    join_request.save(update_fields=["status", "decided_by", "decided_date_time"])
    audit_record(
        tenant=join_request.tenant,
        actor=actor,
        activity="Cancel join request",
        target=join_request.group,
        after=_request_facts(join_request),
    )
    return join_request


def _decide(*, actor: User, join_request: JoinRequest, approve: bool, reason: str) -> JoinRequest:
    reason = _clean_text(reason, limit=MAX_REASON, what="reason")
    join_request = _locked(join_request)
    if join_request.tenant_id != actor.tenant_id:
        raise PermissionDenied("Not found.")
    group, requester = join_request.group, join_request.requester
    if group.is_deleted:
        raise NotFound(f"{group.display_name} has been deleted. Nothing was changed.")
    authorize(actor, "requests/decide", join_request)
    if not join_request.is_pending:
        raise _already_decided(join_request)
    if approve:
        if requester.deleted_date_time is not None:
            raise NotFound(f"{requester.display_name} has been removed. Nothing was changed.")
        if not requester.account_enabled:
            raise Conflict(f"{requester.display_name}'s account is disabled. Nothing was changed.")
        if group.is_dynamic or group.is_synced:
            raise Conflict(f"Members of {group.display_name} can't be added here any more.")
    join_request.status = RequestStatus.APPROVED if approve else RequestStatus.DENIED
    join_request.decided_by = acting_user(actor)
    join_request.decided_date_time = timezone.now()
    join_request.reason = reason
    join_request.save(update_fields=["status", "decided_by", "decided_date_time", "reason"])
    activity = "Approve join request" if approve else "Deny join request"
    if approve and not Membership.objects.filter(group=group, member_user=requester).exists():
        membership.member_add(
            actor=actor,
            group=group,
            member=requester,
            source=MembershipSource.REQUEST,
            right="requests/decide",
            activity=activity,
            details=_request_facts(join_request) | {"memberAdded": True},
            reason=reason,
        )
    else:  # denied, or already a member meanwhile: nobody joins
        audit_record(
            tenant=group.tenant,
            actor=actor,
            activity=activity,
            target=group,
            after=_request_facts(join_request) | {"memberAdded": False},
            reason=reason,
        )
    transaction.on_commit(lambda r=join_request: notify_requester(r), robust=True)
    return join_request


@transaction.atomic
def join_request_approve(*, actor: User, join_request: JoinRequest, reason: str = "") -> JoinRequest:
    """Approve: the requester becomes a direct member (source: approved request)."""
    return _decide(actor=actor, join_request=join_request, approve=True, reason=reason)


@transaction.atomic
def join_request_deny(*, actor: User, join_request: JoinRequest, reason: str = "") -> JoinRequest:
    """Deny: nothing changes in the group; the requester may ask again later."""
    return _decide(actor=actor, join_request=join_request, approve=False, reason=reason)


@dataclass
class BulkOutcome:
    decided: list[JoinRequest] = field(default_factory=list)
    refused: list[tuple[JoinRequest, str]] = field(default_factory=list)


def join_requests_decide(
    *, actor: User, join_requests: Iterable[JoinRequest], approve: bool, reason: str = ""
) -> BulkOutcome:
    """Decide several requests the same way. Each decision is its own transaction, so one request
    decided meanwhile by someone else doesn't hold back the others."""
    outcome = BulkOutcome()
    decide = join_request_approve if approve else join_request_deny
    for join_request in join_requests:
        try:
            outcome.decided.append(decide(actor=actor, join_request=join_request, reason=reason))
        except (ServiceError, PermissionDenied) as exc:
            outcome.refused.append((join_request, str(exc)))
    return outcome


class LeaverRequests:
    """The core's leaver handler for join requests (registered in ``AccessRequestsConfig.ready``): a
    leaver's pending requests are cancelled; a restore doesn't send them again."""

    @staticmethod
    def offboard(*, actor: Any, user: User, reason: str, keep_rule_memberships: bool, report: Any) -> None:
        pending = JoinRequest.objects.filter(requester=user, status=RequestStatus.PENDING)
        report.cancelled_requests = [str(pk) for pk in pending.values_list("pk", flat=True)]
        pending.update(status=RequestStatus.CANCELLED, decided_date_time=timezone.now(), reason=reason)

    @staticmethod
    def restore(*, actor: Any, user: User, removed: dict, report: Any) -> None:
        return None
