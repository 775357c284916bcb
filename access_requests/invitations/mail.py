"""The invitation email, through Django's mail (the console in development)."""

from __future__ import annotations

from django.core.mail import send_mail

from access_requests.invitations.links import redeem_url


def send_invitation(invitation, *, tenant_name: str) -> None:
    link = redeem_url(invitation)
    subject = f"{invitation.invited_by_name} invited you to {tenant_name}"
    lines = [
        "Hello,",
        "",
        f"{invitation.invited_by_name} invited you to join {tenant_name} as a guest.",
    ]
    if invitation.groups:
        lines += ["", f"You'll be a member of: {', '.join(invitation.groups)}."]
    if invitation.message:
        lines += ["", "Their message:", invitation.message]
    lines += [
        "",
        "Accept the invitation and choose your password here (the link works once):",
        link,
        "",
        f"The link expires on {invitation.expires_date_time:%Y-%m-%d %H:%M} UTC. If you didn't expect "
        "this invitation, ignore this email.",
    ]
    send_mail(subject, "\n".join(lines), None, [invitation.email])
