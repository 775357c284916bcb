"""Email about join requests, through Django's mail (the console in development)."""

from __future__ import annotations

from django.core.mail import send_mail

from access_requests.models import JoinRequest, RequestStatus

_SUBJECTS = {
    RequestStatus.APPROVED: "Your request to join {group} was approved",
    RequestStatus.DENIED: "Your request to join {group} was denied",
    RequestStatus.EXPIRED: "Your request to join {group} expired",
}


def notify_requester(request: JoinRequest) -> None:
    """Tell the requester what became of their request."""
    to = request.requester.mail or request.requester.user_principal_name
    subject = _SUBJECTS[RequestStatus(request.status)].format(group=request.group.display_name)
    lines = [f"Hello {request.requester.display_name},", "", subject + "."]
    if request.reason:
        lines += ["", f"Reason: {request.reason}"]
    send_mail(subject, "\n".join(lines), None, [to])
