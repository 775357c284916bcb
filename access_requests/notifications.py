"""Email about join requests, through Django's mail (the console in development).

Requesters hear about each decision on their request. Owners hear about new requests in digests:
``notify_owners`` mails each owner ONE message listing every request not yet announced, so a burst of
requests (or a worker that was down for a while) gives one email per owner, not one per request. It runs
as a task queued after each new request commits, and as a periodic job that catches anything missed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.conf import settings as django_settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from access_requests.models import JoinRequest, RequestStatus
from groups.models import Ownership

_SUBJECTS = {
    RequestStatus.APPROVED: "Your request to join {group} was approved",
    RequestStatus.DENIED: "Your request to join {group} was denied",
    RequestStatus.EXPIRED: "Your request to join {group} expired",
}


def _address(user) -> str:
    return user.mail or user.user_principal_name


def notify_requester(request: JoinRequest) -> None:
    """Tell the requester what became of their request."""
    subject = _SUBJECTS[RequestStatus(request.status)].format(group=request.group.display_name)
    lines = [f"Hello {request.requester.display_name},", "", subject + "."]
    if request.reason:
        lines += ["", f"Reason: {request.reason}"]
    send_mail(subject, "\n".join(lines), None, [_address(request.requester)])


def _portal_url(path: str) -> str:
    base = django_settings.GROUPDESK_BASE_URL.rstrip("/")
    return f"{base}{path}"


def _digest(owner, requests: list[JoinRequest]) -> tuple[str, str]:
    groups = sorted({r.group.display_name for r in requests})
    if len(requests) == 1:
        subject = f"{requests[0].requester.display_name} asks to join {groups[0]}"
    elif len(groups) == 1:
        subject = f"{len(requests)} new requests to join {groups[0]}"
    else:
        subject = f"{len(requests)} new requests to join your groups"
    lines = [f"Hello {owner.display_name},", "", "These requests wait for a decision:", ""]
    for r in sorted(requests, key=lambda r: (r.group.display_name, r.created_date_time)):
        who = r.requester.display_name
        if r.requester.is_guest:
            who += " (guest)"
        lines.append(f"- {who} <{r.requester.user_principal_name}> → {r.group.display_name}")
        if r.justification:
            lines.append(f"  “{r.justification}”")
    lines += ["", f"Approve or deny them in My approvals: {_portal_url(reverse('approvals'))}"]
    return subject, "\n".join(lines)


def notify_owners(*, now: datetime | None = None) -> int:
    """Mail every owner one digest of the pending requests not yet announced; returns messages sent.

    Rows are claimed with ``SKIP LOCKED`` so two workers never announce the same request twice; a failed
    send rolls the claim back and the next run retries.
    """
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        pending = list(
            JoinRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=RequestStatus.PENDING, owners_notified_date_time__isnull=True)
            .select_related("group", "requester")
            .order_by("created_date_time")[:1000]
        )
        if not pending:
            return 0
        by_group: dict = defaultdict(list)
        for r in pending:
            by_group[r.group_id].append(r)
        owners = Ownership.objects.filter(
            group_id__in=by_group,
            user__account_enabled=True,
            user__deleted_date_time__isnull=True,
        ).select_related("user")
        by_owner: dict = defaultdict(list)
        people = {}
        for ownership in owners:
            people[ownership.user_id] = ownership.user
            by_owner[ownership.user_id].extend(by_group[ownership.group_id])
        for owner_id, requests in by_owner.items():
            owner = people[owner_id]
            subject, body = _digest(owner, requests)
            send_mail(subject, body, None, [_address(owner)])
            sent += 1
        # Requests of groups without owners are marked too: administrators see them in their inbox.
        JoinRequest.objects.filter(pk__in=[r.pk for r in pending]).update(owners_notified_date_time=now)
    return sent


@task()
def notify_owners_task() -> int:
    return notify_owners()


def notify_owners_soon() -> None:
    """Queue the owners' digest once the current transaction commits (immediately with the
    immediate backend; by a ``db_worker`` otherwise, which batches whatever arrived meanwhile)."""
    # robust: a mail server that is down must not turn a saved request into an error page; the
    # periodic job retries whatever stays unannounced.
    transaction.on_commit(notify_owners_task.enqueue, robust=True)


def notify_owners_job(*, now: datetime) -> int:
    """Periodic safety net (portal.site.periodic): announce anything a lost task left unannounced."""
    return notify_owners(now=now)
