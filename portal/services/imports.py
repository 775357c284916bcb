"""import_users: a CSV of Graph-named columns, validated whole, imported all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_date

from portal.audit import audit_record
from portal.csvfile import ImportError_, csv_records, csv_rows
from portal.directory import (
    UPN_RE,
    USER_BOOLEAN_PROPERTIES,
    USER_COLLECTION_PROPERTIES,
    USER_DATETIME_PROPERTIES,
    USER_PROPERTY_ALIASES,
    USER_STRING_PROPERTIES,
)
from portal.models import (
    MultiValueAttribute,
    Tenant,
    User,
    UserMultiValue,
    UserType,
)
from portal.moments import date_time_or_none
from portal.services.tenants import SYSTEM
from portal.services.users import on_user_attributes_changed, user_snapshot

# --- import_users -------------------------------------------------------------------------------

_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}


@dataclass
class ParsedRow:
    line: int
    upn: str
    values: dict[str, Any] = field(default_factory=dict)
    collections: dict[str, list[str]] = field(default_factory=dict)
    manager_upn: str | None = None


def _parse_value(prop: str, raw: str) -> Any:
    if prop in USER_BOOLEAN_PROPERTIES:
        lowered = raw.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"{prop} must be true or false, not “{raw}”")
    if prop in USER_DATETIME_PROPERTIES:
        moment = date_time_or_none(raw)
        if moment is None:
            try:
                day = parse_date(raw)
            except ValueError:  # well formed, but no such day (30 February)
                day = None
            if day is None:
                raise ValueError(f"{prop} must be a date (YYYY-MM-DD) or date-time, not “{raw}”")
            moment = datetime.combine(day, time.min, tzinfo=UTC)
        return moment
    if prop == "userType":
        for choice in UserType.values:
            if raw.lower() == choice.lower():
                return choice
        raise ValueError(f"userType must be Member or Guest, not “{raw}”")
    return raw


def parse_users_csv(text: str) -> list[ParsedRow]:
    """Parse and validate a whole file; raise ImportError_ listing every bad line (header = line 1)."""
    errors: list[tuple[int, str]] = []
    known = {
        *USER_STRING_PROPERTIES,
        *USER_BOOLEAN_PROPERTIES,
        *USER_DATETIME_PROPERTIES,
        *USER_COLLECTION_PROPERTIES,
        *USER_PROPERTY_ALIASES,
        "userType",
        "userPrincipalName",
        "manager",
    }
    rows: list[ParsedRow] = []
    seen: dict[str, int] = {}
    for line, cells in csv_rows(text, required="userPrincipalName", known=known, errors=errors):
        upn = cells.get("userPrincipalName", "").lower()
        if not UPN_RE.match(upn):
            errors.append((line, f"userPrincipalName “{upn}” is not a valid user principal name"))
            continue
        if upn in seen:
            errors.append((line, f"{upn} already appears on line {seen[upn]}"))
            continue
        seen[upn] = line
        row = ParsedRow(line=line, upn=upn)
        for column, raw in cells.items():
            prop = USER_PROPERTY_ALIASES.get(column, column)
            if column in ("userPrincipalName",):
                continue
            if column == "manager":
                row.manager_upn = raw.lower() or None
            elif prop in USER_COLLECTION_PROPERTIES:
                row.collections[prop] = [item.strip() for item in raw.split(";") if item.strip()]
            elif raw == "":
                row.values[prop] = None  # an empty cell means no value
            else:
                try:
                    row.values[prop] = _parse_value(prop, raw)
                except ValueError as exc:
                    errors.append((line, str(exc)))
        if row.values.get("accountEnabled", True) is None:
            row.values["accountEnabled"] = True
        if row.values.get("userType", UserType.MEMBER) is None:
            row.values["userType"] = UserType.MEMBER
        for prop, attr in USER_STRING_PROPERTIES.items():
            limit = User._meta.get_field(attr).max_length
            value = row.values.get(prop)
            if isinstance(value, str) and limit and len(value) > limit:
                errors.append((line, f"{prop} is longer than {limit} characters"))
        if row.manager_upn == upn:
            errors.append((line, "a user can't be their own manager"))
        rows.append(row)
    for row in rows:
        if row.manager_upn and row.manager_upn not in seen and not UPN_RE.match(row.manager_upn):
            errors.append((row.line, f"manager “{row.manager_upn}” is not a valid user principal name"))
    if errors:
        raise ImportError_(sorted(errors))
    return rows


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


_FIELD_OF = {
    **USER_STRING_PROPERTIES,
    **USER_BOOLEAN_PROPERTIES,
    **USER_DATETIME_PROPERTIES,
    "userType": "user_type",
}


@transaction.atomic
def users_import(*, tenant: Tenant, text: str, actor: Any = SYSTEM) -> ImportReport:
    """Create or update the users of a CSV file: all rows or none."""
    rows = parse_users_csv(text)
    upns = [r.upn for r in rows] + [r.manager_upn for r in rows if r.manager_upn]
    existing = {u.user_principal_name: u for u in User.objects.filter(user_principal_name__in=upns)}
    _refuse_conflicts(tenant, rows, existing)
    report = ImportReport()
    changed: list[User] = []
    names: set[str] | None = set()  # the Graph names of what changed (None: a new user, anything)
    by_upn: dict[str, User] = {}
    for r in rows:
        user, outcome = _import_row(tenant=tenant, actor=actor, row=r, user=existing.get(r.upn))
        by_upn[r.upn] = user
        setattr(report, outcome, getattr(report, outcome) + 1)
        if outcome != "unchanged":
            changed.append(user)
            names = (
                None if names is None or outcome == "created" else names | set(r.values) | set(r.collections)
            )
    if "manager" in _columns_of(text) and _set_managers(
        rows, by_upn=by_upn, existing=existing, changed=changed, report=report
    ):
        names = None if names is None else names | {"manager"}
    for user in changed:
        if user.user_principal_name in existing:
            audit_record(
                tenant=tenant,
                actor=actor,
                activity="Update user",
                target=user,
                after=user_snapshot(user),
                category="UserManagement",
            )
    on_user_attributes_changed(tenant=tenant, users=changed, actor=actor, changed=names)
    return report


def _refuse_conflicts(tenant: Tenant, rows: list[ParsedRow], existing: dict[str, User]) -> None:
    """Rows the database can't take: another tenant's user, an unknown manager, a missing name."""
    errors = [
        (r.line, f"{r.upn} belongs to another organization")
        for r in rows
        if r.upn in existing and existing[r.upn].tenant_id != tenant.id
    ]
    in_file = {r.upn for r in rows}
    for r in rows:
        m = r.manager_upn
        if m and m not in in_file and (m not in existing or existing[m].tenant_id != tenant.id):
            errors.append((r.line, f"manager {m} is not a user of this organization or of this file"))
        if "displayName" in r.values and r.values["displayName"] is None:
            errors.append((r.line, "displayName can't be empty"))
        elif r.upn not in existing and not r.values.get("displayName"):
            errors.append((r.line, "displayName is required for a new user"))
    if errors:
        raise ImportError_(sorted(errors))


def _import_row(*, tenant: Tenant, actor: Any, row: ParsedRow, user: User | None) -> tuple[User, str]:
    """Write one row (a new user is audited here, an updated one once its manager is set too); the
    outcome names the report's counter: created, updated or unchanged."""
    before = user_snapshot(user) if user else None
    if user is None:
        user = User(tenant=tenant, user_principal_name=row.upn)
        user.set_unusable_password()
    for prop, value in row.values.items():
        setattr(user, _FIELD_OF[prop], value)
    user.save()
    if row.collections:
        _replace_collections(user, row.collections)
    after = user_snapshot(user)
    after.update({k: v for k, v in row.collections.items()})
    if before is None:
        audit_record(
            tenant=tenant,
            actor=actor,
            activity="Add user",
            target=user,
            after=after,
            category="UserManagement",
        )
        return user, "created"
    if before != user_snapshot(user) or row.collections:
        return user, "updated"
    return user, "unchanged"


def _set_managers(
    rows: list[ParsedRow],
    *,
    by_upn: dict[str, User],
    existing: dict[str, User],
    changed: list[User],
    report: ImportReport,
) -> bool:
    """Managers last: a manager may be a user further down the same file. Whether any changed."""
    moved = False
    for r in rows:
        user = by_upn[r.upn]
        manager = by_upn.get(r.manager_upn) or existing.get(r.manager_upn) if r.manager_upn else None
        if user.manager_id != (manager.id if manager else None):
            user.manager = manager
            user.save(update_fields=["manager"])
            moved = True
            if user not in changed:
                changed.append(user)
                report.updated += 1
                report.unchanged -= 1
    return moved


def _columns_of(text: str) -> list[str]:
    return [h.strip() for h in next(csv_records(text), (1, []))[1]]


def _replace_collections(user: User, collections: dict[str, list[str]]) -> None:
    for attribute, items in collections.items():
        UserMultiValue.objects.filter(user=user, attribute=attribute).delete()
        UserMultiValue.objects.bulk_create(
            UserMultiValue(user=user, attribute=MultiValueAttribute(attribute), value=value, position=i)
            for i, value in enumerate(dict.fromkeys(items))
        )
