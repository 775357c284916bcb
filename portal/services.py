"""State changes of tenants and directory users: authorize → change → audit, in one transaction."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from portal.audit import audit_record
from portal.directory import (
    USER_BOOLEAN_PROPERTIES,
    USER_COLLECTION_PROPERTIES,
    USER_DATETIME_PROPERTIES,
    USER_PROPERTY_ALIASES,
    USER_STRING_PROPERTIES,
)
from portal.models import (
    MultiValueAttribute,
    Plan,
    Tenant,
    TenantGroupSettings,
    User,
    UserMultiValue,
    UserType,
)

SYSTEM = "Groupdesk"  # the actor name of changes made by commands and periodic work
UPN_RE = re.compile(r"^[A-Za-z0-9._%+'#-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


class ImportError_(Exception):  # noqa: N801 - "ImportError" is a builtin
    """A file that can't be imported; ``errors`` lists (line, message) pairs."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"line {line}: {msg}" for line, msg in errors))


@transaction.atomic
def tenant_create(*, slug: str, name: str, plan: str = Plan.FREE, domains: Iterable[str] = ()) -> Tenant:
    if plan not in Plan.values:
        raise ValueError(f"plan must be one of {', '.join(Plan.values)}")
    tenant = Tenant.objects.create(
        slug=slug, name=name, plan=plan, verified_domains=list(domains) or [f"{slug}.test"]
    )
    TenantGroupSettings.objects.create(tenant=tenant)
    audit_record(
        tenant=tenant,
        actor=SYSTEM,
        activity="Create tenant",
        target=tenant,
        after={"name": name, "plan": plan},
        category="Tenant",
    )
    return tenant


def user_snapshot(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "userPrincipalName": user.user_principal_name,
        "userType": user.user_type,
        "accountEnabled": user.account_enabled,
    }
    for prop, attr in USER_STRING_PROPERTIES.items():
        data[prop] = getattr(user, attr)
    hire = user.employee_hire_date
    data["employeeHireDate"] = hire.isoformat() if hire else None
    data["manager"] = user.manager.user_principal_name if user.manager_id else None
    return data


def on_user_attributes_changed(*, tenant: Tenant, users: list[User], actor: Any) -> None:
    """Reactions to changed user attributes, in the caller's transaction.

    Dynamic membership (groups.rules) hooks in here so every path that edits users (admin page,
    import_users, the API) updates memberships in the same transaction.
    """


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
        moment = parse_datetime(raw)
        if moment is None:
            day = parse_date(raw)
            if day is None:
                raise ValueError(f"{prop} must be a date (YYYY-MM-DD) or date-time, not “{raw}”")
            moment = datetime.combine(day, time.min)
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)
    if prop == "userType":
        for choice in UserType.values:
            if raw.lower() == choice.lower():
                return choice
        raise ValueError(f"userType must be Member or Guest, not “{raw}”")
    return raw


def parse_users_csv(text: str) -> list[ParsedRow]:
    """Parse and validate a whole file; raise ImportError_ listing every bad line (header = line 1)."""
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip() for h in (reader.fieldnames or [])]
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
    if "userPrincipalName" not in headers:
        raise ImportError_([(1, "the header must name a userPrincipalName column")])
    unknown = [h for h in headers if h not in known]
    if unknown:
        raise ImportError_([(1, f"unknown column {', '.join(repr(u) for u in unknown)}")])
    rows: list[ParsedRow] = []
    seen: dict[str, int] = {}
    for line, raw_row in enumerate(reader, start=2):
        if None in raw_row:
            errors.append((line, "more cells than columns"))
            continue
        cells = {k.strip(): (v or "").strip() for k, v in raw_row.items()}
        if not any(cells.values()):
            continue  # a blank line
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

    report = ImportReport()
    changed: list[User] = []
    by_upn: dict[str, User] = {}
    for r in rows:
        user = existing.get(r.upn)
        before = user_snapshot(user) if user else None
        if user is None:
            user = User(tenant=tenant, user_principal_name=r.upn)
            user.set_unusable_password()
        for prop, value in r.values.items():
            setattr(user, _FIELD_OF[prop], value)
        user.save()
        by_upn[r.upn] = user
        if r.collections:
            _replace_collections(user, r.collections)
        after = user_snapshot(user)
        after.update({k: v for k, v in r.collections.items()})
        if before is None:
            report.created += 1
            audit_record(
                tenant=tenant,
                actor=actor,
                activity="Add user",
                target=user,
                after=after,
                category="UserManagement",
            )
            changed.append(user)
        elif before != user_snapshot(user) or r.collections:
            report.updated += 1
            changed.append(user)
        else:
            report.unchanged += 1
    # Managers last: a manager may be a user further down the same file.
    for r in rows:
        if "manager" not in _columns_of(text):
            break
        user = by_upn[r.upn]
        manager = by_upn.get(r.manager_upn) or existing.get(r.manager_upn) if r.manager_upn else None
        if user.manager_id != (manager.id if manager else None):
            user.manager = manager
            user.save(update_fields=["manager"])
            if user not in changed:
                changed.append(user)
                report.updated += 1
                report.unchanged -= 1
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
    on_user_attributes_changed(tenant=tenant, users=changed, actor=actor)
    return report


def _columns_of(text: str) -> list[str]:
    return [h.strip() for h in next(csv.reader(io.StringIO(text)), [])]


def _replace_collections(user: User, collections: dict[str, list[str]]) -> None:
    for attribute, items in collections.items():
        UserMultiValue.objects.filter(user=user, attribute=attribute).delete()
        UserMultiValue.objects.bulk_create(
            UserMultiValue(user=user, attribute=MultiValueAttribute(attribute), value=value, position=i)
            for i, value in enumerate(dict.fromkeys(items))
        )


# --- tenant group settings ----------------------------------------------------------------------

SETTINGS_FIELDS: tuple[str, ...] = (
    "owners_can_manage_requests",
    "restrict_my_groups",
    "users_can_create_security_groups",
    "users_can_create_m365_groups",
    "group_creation_allowed_group",
    "owners_who_can_assign_owners",
    "owner_assigners_group",
    "allow_guests_to_be_group_owner",
    "allow_to_add_guests",
    "allow_guests_to_access_groups",
    "usage_guidelines_url",
    "classification_list",
    "default_classification",
    "prefix_suffix_naming_requirement",
    "custom_blocked_words",
    "group_lifetime_days",
    "expiration_scope",
    "request_expiry_days",
    "dynamic_failsafe_percent",
)
_SETTINGS_GROUP_FIELDS = ("group_creation_allowed_group", "owner_assigners_group")


def settings_snapshot(
    settings: TenantGroupSettings, fields: Iterable[str] = SETTINGS_FIELDS
) -> dict[str, Any]:
    """The settings as the audit log keeps them: groups by name, so the log reads without lookups."""
    data: dict[str, Any] = {}
    for name in fields:
        if name in _SETTINGS_GROUP_FIELDS:
            group = getattr(settings, name)
            data[name] = group.display_name if group is not None else None
        else:
            data[name] = getattr(settings, name)
    return data


class SettingsError(ValueError):
    """A settings change refused for a reason the administrator can fix; ``field`` names the setting."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _check_settings(settings: TenantGroupSettings, tenant: Tenant) -> None:
    from portal.models import ExpirationScope, OwnerAssigners

    for name in _SETTINGS_GROUP_FIELDS:
        group = getattr(settings, name)
        if group is not None and (group.tenant_id != tenant.id or group.is_deleted):
            raise SettingsError("Choose a group of this organization.", name)
    if settings.group_lifetime_days is not None and settings.group_lifetime_days < 30:
        raise SettingsError("A group lifetime is at least 30 days.", "group_lifetime_days")
    if settings.expiration_scope != ExpirationScope.NONE and settings.group_lifetime_days is None:
        raise SettingsError("Set a group lifetime to turn expiration on.", "group_lifetime_days")
    if not 0 <= settings.dynamic_failsafe_percent <= 100:
        raise SettingsError("The failsafe is a percentage from 0 to 100.", "dynamic_failsafe_percent")
    if settings.request_expiry_days < 1:
        raise SettingsError("Requests expire after at least one day.", "request_expiry_days")
    if settings.default_classification and settings.default_classification not in settings.classifications:
        raise SettingsError(
            "The default classification must be one of the classification list.", "default_classification"
        )
    if (
        settings.owners_who_can_assign_owners == OwnerAssigners.SELECTED
        and settings.owner_assigners_group_id is None
    ):
        raise SettingsError(
            "Choose the group whose members may make members owners.", "owner_assigners_group"
        )


@transaction.atomic
def tenant_settings_update(*, actor: User, tenant: Tenant, changes: dict[str, Any]) -> TenantGroupSettings:
    """Change some tenant-wide group settings; they apply from the very next request."""
    from portal import roles
    from portal.authz import authorize

    authorize(actor, roles.SETTINGS_UPDATE)
    if actor.tenant_id != tenant.id:
        raise PermissionDenied("Not found.")
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise SettingsError(f"Unknown setting {', '.join(sorted(unknown))}.")
    settings, _ = TenantGroupSettings.objects.select_for_update().get_or_create(tenant=tenant)
    before = settings_snapshot(settings, changes)
    for name, value in changes.items():
        setattr(settings, name, value)
    _check_settings(settings, tenant)
    after = settings_snapshot(settings, changes)
    changed = [name for name in changes if before[name] != after[name]]
    if not changed:
        return settings
    settings.save()
    tenant.group_settings = settings
    if actor.tenant is not tenant:
        actor.tenant.group_settings = settings
    from portal.authz import forget

    forget(actor)
    audit_record(
        tenant=tenant,
        actor=actor,
        activity="Update group settings",
        target=tenant,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        category="GroupSettings",
    )
    return settings


# --- sign-ins -----------------------------------------------------------------------------------


class UnknownUser:
    """A userPrincipalName that matched no account: the audit log keeps its name (type "unknownUser")."""

    pk = ""

    def __init__(self, user_principal_name: str) -> None:
        self.user_principal_name = user_principal_name


def sign_in_record(
    *, upn: str, user: User | None, succeeded: bool, ip: str = "", user_agent: str = ""
) -> None:
    """Record a sign-in attempt in the tenant's audit log.

    Failures for a userPrincipalName of no tenant (no such user and no verified domain) are not recorded:
    an audit event needs a tenant, and such noise tells no tenant anything.
    """
    upn = upn.strip().lower()[:256]
    if user is None:
        user = User.objects.filter(user_principal_name__iexact=upn).select_related("tenant").first()
    tenant = user.tenant if user is not None else None
    if tenant is None and not succeeded and "@" in upn:
        domain = upn.rsplit("@", 1)[1]
        tenant = Tenant.objects.filter(verified_domains__icontains=f'"{domain}"').first()
        tenant = tenant if tenant is not None and domain in tenant.verified_domains else None
    if tenant is None:
        return
    if succeeded:
        reason = ""
    elif user is None:
        reason = "No account with this userPrincipalName."
    elif not user.is_active:
        reason = "The account is disabled or deleted."
    else:
        reason = "Wrong password."
    audit_record(
        tenant=tenant,
        actor=user if user is not None else UnknownUser(upn),
        activity="Sign-in",
        target=user if user is not None else UnknownUser(upn),
        after={"ipAddress": ip, "userAgent": user_agent[:256]},
        reason=reason,
        result="success" if succeeded else "failure",
        category="SignInLogs",
    )
