"""Bulk membership from a CSV file: add or remove the members it names, with a per-line report.

A file is a column of userPrincipalNames or object ids: a plain list (a header line such as
``userPrincipalName`` is skipped), or Entra's own bulk template, ``version:v1.0`` then a header row
(``Member object ID or user principal name [memberObjectIdOrUpn] Required``), then the values. Every
write goes through the one writer (``membership.members_add_many`` / ``members_remove_many``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from groups.models import Group, Membership
from groups.services import membership
from portal.authz import authorize
from portal.csvfile import NUL_CELL, ImportError_, csv_records
from portal.errors import Invalid
from portal.models import User

BULK_MAX_LINES = 10_000
NOT_A_NAME = "not a userPrincipalName or object id"


@dataclass
class BulkLine:
    line: int
    value: str
    reason: str


@dataclass
class BulkReport:
    action: str = "add"  # or "remove"
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    refused: list[BulkLine] = field(default_factory=list)

    @property
    def done(self) -> list[str]:
        return self.added if self.action == "add" else self.removed


def parse_member_csv(text: str) -> list[tuple[int, str]]:
    """(line number, value) pairs from the first column; blank lines, Entra's ``version:`` line, its
    ``Example:`` lines and one header row (the first value that is neither a UPN nor an object id) are
    skipped."""
    rows: list[tuple[int, str]] = []
    header_seen = False
    try:
        for number, cells in csv_records(text):  # any line ending, \r alone too
            if any("\x00" in cell for cell in cells):
                raise Invalid(f"The file can't be imported: line {number}: {NUL_CELL}.")
            value = (cells[0] if cells else "").strip()
            lowered = value.lower()
            if (
                not value
                or (number == 1 and lowered.startswith("version:"))
                or lowered.startswith("example:")
            ):
                continue
            if not header_seen:
                header_seen = True
                if "@" not in value and _object_id(value) is None:
                    continue
            rows.append((number, value))
            if len(rows) > BULK_MAX_LINES:
                raise Invalid(f"A file can name at most {BULK_MAX_LINES:,} members at once.")
    except ImportError_ as exc:
        raise Invalid(f"The file can't be imported: {exc}.") from None
    return rows


def _object_id(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _key(value: str) -> str:
    """What a line names: an object id (normalized) or a lowered userPrincipalName."""
    return _object_id(value) or value.lower()


def _begin(actor: User, group: Group) -> None:
    authorize(actor, "members/update", group)
    if group.is_dynamic:
        raise Invalid(membership.DYNAMIC_REFUSAL)
    # Two imports into the same group queue up here instead of racing on the same rows.
    list(Group.objects.select_for_update().filter(pk=group.pk).values_list("pk", flat=True))


# --- add --------------------------------------------------------------------------------------------


@transaction.atomic
def memberships_bulk_add(*, actor: User, group: Group, lines: list[tuple[int, str]]) -> BulkReport:
    """Add the users named by userPrincipalName or object id; report every line not added and why.

    A handful of queries whatever the file's length; the writer (``membership.members_add_many``)
    inserts in batches, audits each member added and runs the consequences once.
    """
    _begin(actor, group)
    report = BulkReport()
    keys = {_key(value) for _, value in lines}
    users: dict[str, User] = {}
    for user in User.objects.for_tenant(group.tenant).filter(
        Q(user_principal_name__in=keys) | Q(pk__in=[k for k in keys if _object_id(k)])
    ):
        users[user.user_principal_name.lower()] = users[str(user.pk)] = user
    present = set(
        Membership.objects.filter(group=group, member_user__in=set(users.values())).values_list(
            "member_user_id", flat=True
        )
    )
    seen: dict = {}
    to_add: list[tuple[int, User]] = []
    for number, value in lines:
        user = users.get(_key(value))
        reason = _add_refusal(value, user, present, seen)
        seen.setdefault(user.pk if user else _key(value), number)
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


def _add_refusal(value: str, user: User | None, present: set, seen: dict) -> str:
    if (user.pk if user else _key(value)) in seen:
        return f"already listed on line {seen[user.pk if user else _key(value)]}"
    if "@" not in value and _object_id(value) is None:
        return NOT_A_NAME
    if user is None:
        return "no such user in this organization"
    if user.deleted_date_time is not None:
        return "the user is deleted"
    if not user.account_enabled:
        return "the account is disabled"
    if user.pk in present:
        return "already a member"
    return ""


# --- remove -----------------------------------------------------------------------------------------


@transaction.atomic
def memberships_bulk_remove(*, actor: User, group: Group, lines: list[tuple[int, str]]) -> BulkReport:
    """Remove the direct members named by userPrincipalName (users) or object id (any kind of member);
    report every line not removed and why. The writer (``membership.members_remove_many``) deletes,
    audits each member removed and runs the consequences once."""
    _begin(actor, group)
    report = BulkReport(action="remove")
    keys = {_key(value) for _, value in lines}
    ids = [k for k in keys if _object_id(k)]
    by_id = Q(member_user_id__in=ids) | Q(member_group_id__in=ids) | Q(member_device_id__in=ids)
    rows = (
        Membership.objects.filter(group=group)
        .filter(by_id | Q(member_service_principal_id__in=ids) | Q(member_user__user_principal_name__in=keys))
        .select_related(*Membership.MEMBER_FIELDS)
    )
    found: dict[str, Membership] = {}
    for row in rows:
        found[str(row.member.pk)] = row
        if row.member_user is not None:
            found[row.member_user.user_principal_name.lower()] = row
    seen: dict = {}
    to_remove: list[tuple[int, str, Membership]] = []
    for number, value in lines:
        row = found.get(_key(value))
        mark = row.pk if row else _key(value)
        if mark in seen:
            reason = f"already listed on line {seen[mark]}"
        elif "@" not in value and _object_id(value) is None:
            reason = NOT_A_NAME
        else:
            reason = "" if row else "not a direct member of this group"
        seen.setdefault(mark, number)
        if reason:
            report.refused.append(BulkLine(number, value, reason))
        else:
            to_remove.append((number, value, row))
    removed = membership.members_remove_many(
        actor=actor,
        group=group,
        memberships=[row for *_, row in to_remove],
        reason="Bulk remove from a CSV file",
    )
    gone = {row.pk for row in removed}
    report.removed = [membership.name_of(row.member) for row in removed]
    report.refused += [
        BulkLine(number, value, "not a direct member of this group")
        for number, value, row in to_remove
        if row.pk not in gone
    ]
    report.refused.sort(key=lambda line: line.line)
    return report
