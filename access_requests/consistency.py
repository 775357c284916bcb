"""The ``request_states`` checker for ``manage.py check_consistency`` (registered from
``AccessRequestsConfig.ready``): every join request's state agrees with its facts.

A pending request has no decision (no decider, no decision time) and its group is alive; a decided one
has its decision time; an approved one has put its requester in the group or been followed by an audited
removal; a request, its group and its requester are of one tenant.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Exists, OuterRef, Q

from access_requests.models import JoinRequest, RequestStatus
from groups.models import Membership
from portal.consistency import register_checker
from portal.models import AuditEvent, Tenant


def request_states(tenant: Tenant) -> Iterator[str]:
    requests = JoinRequest.objects.filter(tenant=tenant)
    pending = requests.filter(status=RequestStatus.PENDING)
    for request in pending.filter(Q(decided_by__isnull=False) | Q(decided_date_time__isnull=False)):
        yield f"pending request {request.pk} carries a decision"
    for request in pending.filter(group__deleted_date_time__isnull=False):
        yield f"pending request {request.pk} is for a deleted group"
    for request in requests.exclude(status=RequestStatus.PENDING).filter(decided_date_time__isnull=True):
        yield f"{request.status} request {request.pk} has no decision time"
    for request in requests.exclude(group__tenant=tenant) | requests.exclude(requester__tenant=tenant):
        yield f"request {request.pk} crosses tenants"
    member = Membership.objects.filter(group=OuterRef("group"), member_user=OuterRef("requester"))
    approved = requests.filter(status=RequestStatus.APPROVED).annotate(member=Exists(member))
    for request in approved.filter(member=False).select_related("group", "requester"):
        if not removed_after(request):
            yield f"approved request {request.pk}: {request.requester} is not in “{request.group}”"


def removed_after(request: JoinRequest) -> bool:
    """Whether the requester left (or was taken out of) the group after the approval: audited."""
    return AuditEvent.objects.filter(
        tenant_id=request.tenant_id,
        activity__in=("Remove member from group", "Leave group"),
        target_id=str(request.group_id),
        activity_date_time__gte=request.decided_date_time,
    ).exists()


def register() -> None:
    register_checker("request_states", request_states)
