"""Bulk membership: a CSV of userPrincipalNames, added in batches with a per-line report."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from groups.models import Group, Membership
from groups.services import membership
from portal.authz import authorize
from portal.errors import Invalid
from portal.models import User

# --- bulk membership (CSV of userPrincipalNames) ------------------------------------------------

BULK_MAX_LINES = 10_000


@dataclass
class BulkLine:
    line: int
    value: str
    reason: str


@dataclass
class BulkReport:
    added: list[str] = field(default_factory=list)
    refused: list[BulkLine] = field(default_factory=list)


def parse_member_csv(text: str) -> list[tuple[int, str]]:
    """(line number, userPrincipalName) pairs from a CSV whose first column names users; a header line
    (a first cell without "@", such as ``userPrincipalName``) and blank lines are skipped."""
    rows: list[tuple[int, str]] = []
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        value = (cells[0] if cells else "").strip()
        if not value or (number == 1 and "@" not in value):
            continue
        rows.append((number, value))
        if len(rows) > BULK_MAX_LINES:
            raise Invalid(f"A file can add at most {BULK_MAX_LINES:,} members at once.")
    return rows


@transaction.atomic
def memberships_bulk_add(*, actor: User, group: Group, lines: list[tuple[int, str]]) -> BulkReport:
    """Add the users named by userPrincipalName; report every line that could not be added and why.

    A handful of queries whatever the file's length; the writer (``membership.members_add_many``)
    inserts in batches, audits each member added and runs the consequences once.
    """
    authorize(actor, "members/update", group)
    if group.is_dynamic:
        raise Invalid("Membership of a dynamic group is set by its rule.")
    # Two imports into the same group queue up here instead of racing on the same rows.
    list(Group.objects.select_for_update().filter(pk=group.pk).values_list("pk", flat=True))
    report = BulkReport()
    wanted = {value.lower() for _, value in lines}
    users = {
        u.user_principal_name.lower(): u
        for u in User.objects.for_tenant(group.tenant).filter(user_principal_name__in=wanted)
    }
    present = set(
        Membership.objects.filter(group=group, member_user__in=users.values()).values_list(
            "member_user_id", flat=True
        )
    )
    seen: dict[str, int] = {}
    to_add: list[tuple[int, User]] = []
    for number, value in lines:
        upn = value.lower()
        user = users.get(upn)
        if upn in seen:
            reason = f"already listed on line {seen[upn]}"
        elif "@" not in upn:
            reason = "not a userPrincipalName"
        elif user is None:
            reason = "no such user in this organization"
        elif user.deleted_date_time is not None:
            reason = "the user is deleted"
        elif not user.account_enabled:
            reason = "the account is disabled"
        elif user.pk in present:
            reason = "already a member"
        else:
            reason = ""
        seen.setdefault(upn, number)
        if reason:
            report.refused.append(BulkLine(number, value, reason))
        else:
            to_add.append((number, user))
    outcome = membership.members_add_many(
        actor=actor, group=group, users=[user for _, user in to_add], reason="Bulk add from a CSV file"
    )
    report.added = [user.user_principal_name for user in outcome.added]
    line_of = {user.pk: number for number, user in to_add}
    report.refused += [BulkLine(line_of[u.pk], u.user_principal_name, why) for u, why in outcome.refused]
    report.refused.sort(key=lambda line: line.line)
    return report
