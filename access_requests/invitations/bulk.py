"""Bulk invite from a CSV, as Entra's bulk invite: one invitation per line, each in its own transaction,
and a report of every line (invited, or why not). Columns are Graph's names:
``invitedUserEmailAddress`` (required), ``invitedUserDisplayName``, ``groups`` (names, aliases or ids
separated by ``;``), ``inviteRedirectUrl``, ``sendInvitationMessage`` (``false`` to send no email)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied

from access_requests.invitations.selectors import groups_named
from access_requests.invitations.services import guest_invite
from portal import roles
from portal.authz import authorize
from portal.csvfile import ImportError_, csv_rows
from portal.errors import Invalid, ServiceError
from portal.models import Tenant

COLUMNS = (
    "invitedUserEmailAddress",
    "invitedUserDisplayName",
    "groups",
    "inviteRedirectUrl",
    "sendInvitationMessage",
)
MAX_LINES = 1000


@dataclass
class LineResult:
    line: int
    email: str
    ok: bool
    message: str


@dataclass
class BulkReport:
    lines: list[LineResult] = field(default_factory=list)

    @property
    def invited(self) -> int:
        return sum(1 for r in self.lines if r.ok)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.lines if not r.ok)


def guests_invite_csv(*, actor: Any, tenant: Tenant, text: str) -> BulkReport:
    """Invite every line of ``text``; a line that can't be invited is reported with its reason."""
    authorize(actor, roles.USERS_INVITE_GUEST)  # nothing to report line by line when nobody may invite
    errors: list[tuple[int, str]] = []
    rows = list(csv_rows(text, required="invitedUserEmailAddress", known=COLUMNS, errors=errors))
    if len(rows) > MAX_LINES:
        raise ImportError_([(1, f"at most {MAX_LINES} invitations per file")])
    report = BulkReport(lines=[LineResult(line, "", False, message) for line, message in errors])
    for line, cells in rows:
        report.lines.append(_invite_line(actor, tenant, line, cells))
    report.lines.sort(key=lambda r: r.line)
    return report


def _invite_line(actor: Any, tenant: Tenant, line: int, cells: dict[str, str]) -> LineResult:
    email = cells.get("invitedUserEmailAddress", "")
    try:
        groups, problems = groups_named(actor, tenant, (cells.get("groups") or "").split(";"))
        if problems:
            raise Invalid(" ".join(problems))
        send = (cells.get("sendInvitationMessage") or "true").lower() not in ("false", "no", "0")
        invited = guest_invite(
            actor=actor,
            tenant=tenant,
            email=email,
            display_name=cells.get("invitedUserDisplayName", "")[:256],
            groups=groups,
            redirect_url=cells.get("inviteRedirectUrl", "")[:2048],
            send_email=send,
        )
    except (ServiceError, PermissionDenied) as exc:
        return LineResult(line, email[:254], False, str(exc))
    joined = f" into {', '.join(g.display_name for g in invited.groups)}" if invited.groups else ""
    return LineResult(line, invited.invitation.email, True, f"Invited{joined}.")
