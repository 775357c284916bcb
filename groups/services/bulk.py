"""Bulk membership: a CSV of userPrincipalNames, added in batches with a per-line report."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from groups.licensing.services import licenses_after_membership_change
from groups.models import (
    Group,
    Membership,
    MembershipSource,
)
from groups.services.errors import ServiceError
from portal.audit import audit_record
from portal.authz import authorize
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
    import csv
    import io

    rows: list[tuple[int, str]] = []
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        value = (cells[0] if cells else "").strip()
        if not value or (number == 1 and "@" not in value):
            continue
        rows.append((number, value))
        if len(rows) > BULK_MAX_LINES:
            raise ServiceError(f"A file can add at most {BULK_MAX_LINES:,} members at once.")
    return rows


@transaction.atomic
def memberships_bulk_add(*, actor: User, group: Group, lines: list[tuple[int, str]]) -> BulkReport:
    """Add the users named by userPrincipalName; report every line that could not be added and why.

    One authorization, a handful of queries and batched inserts whatever the file's length (a per-line
    ``membership_add`` would re-run licensing for every line). Each added member is audited as
    "Add member to group", as one by one.
    """
    authorize(actor, "members/update", group)
    if group.is_dynamic:
        raise ServiceError("Membership of a dynamic group is set by its rule.")
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
    for start in range(0, len(to_add), 500):
        batch = to_add[start : start + 500]
        added = _bulk_insert_members(group, batch, actor=actor, report=report)
        for user in added:
            audit_record(
                tenant=group.tenant,
                actor=actor,
                activity="Add member to group",
                target=group,
                after={
                    "member": user.user_principal_name,
                    "memberType": "user",
                    "source": MembershipSource.DIRECT,
                },
                reason="Bulk add from a CSV file",
            )
            report.added.append(user.user_principal_name)
    if report.added:
        licenses_after_membership_change(group)
    report.refused.sort(key=lambda line: line.line)
    return report


def _bulk_insert_members(
    group: Group, batch: list[tuple[int, User]], *, actor: User, report: BulkReport
) -> list[User]:
    def row(user: User) -> Membership:
        return Membership(group=group, member_user=user, source=MembershipSource.DIRECT, added_by=actor)

    try:
        with transaction.atomic():
            Membership.objects.bulk_create([row(user) for _, user in batch])
        return [user for _, user in batch]
    except IntegrityError:
        pass  # someone added one of them meanwhile: go row by row to know which
    added = []
    for number, user in batch:
        try:
            with transaction.atomic():
                row(user).save()
            added.append(user)
        except IntegrityError:
            report.refused.append(BulkLine(number, user.user_principal_name, "already a member"))
    return added
