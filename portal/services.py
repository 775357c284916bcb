"""State changes of tenants and directory users: authorize → change → audit, in one transaction."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from portal import roles
from portal.audit import audit_record
from portal.authz import authorize, forget
from portal.directory import (
    USER_BOOLEAN_PROPERTIES,
    USER_COLLECTION_PROPERTIES,
    USER_DATETIME_PROPERTIES,
    USER_PROPERTY_ALIASES,
    USER_STRING_PROPERTIES,
)
from portal.models import (
    CustomRole,
    MultiValueAttribute,
    Plan,
    RoleAssignment,
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
    from groups.dynamic import reevaluate

    reevaluate(tenant=tenant, objects=users)


def on_device_attributes_changed(*, tenant: Tenant, devices: list, actor: Any) -> None:
    """The same for devices (import_devices, device edits)."""
    from groups.dynamic import reevaluate

    reevaluate(tenant=tenant, objects=devices)


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


# --- custom roles and role assignments ------------------------------------------------------------


def _role_error(message: str) -> Exception:
    from groups.services import ServiceError

    return ServiceError(message)


def custom_role_snapshot(role: CustomRole) -> dict[str, Any]:
    return {
        "displayName": role.display_name,
        "description": role.description,
        "permissions": sorted(role.permissions),
    }


def _clean_custom_role(*, tenant: Tenant, display_name: str, permissions: Iterable[str], role_id=None):
    display_name = (display_name or "").strip()
    if not display_name:
        raise _role_error("A custom role needs a name.")
    if len(display_name) > CustomRole._meta.get_field("display_name").max_length:
        raise _role_error("The name is longer than 256 characters.")
    if display_name.lower() in {r.display_name.lower() for r in roles.BUILTIN_ROLES.values()}:
        raise _role_error(f"“{display_name}” is the name of a built-in role.")
    same_name = CustomRole.objects.for_tenant(tenant).filter(display_name__iexact=display_name)
    if same_name.exclude(pk=role_id).exists():
        raise _role_error(f"A custom role named “{display_name}” already exists.")
    chosen = list(dict.fromkeys(permissions))
    unknown = [p for p in chosen if p not in roles.CUSTOM_ROLE_PERMISSIONS]
    if unknown:
        raise _role_error(f"Not a permission a custom role can hold: {', '.join(unknown)}.")
    if not chosen:
        raise _role_error("Choose at least one permission.")
    # Catalog order, so the stored list reads like the picker.
    order = {p: i for i, p in enumerate(roles.CUSTOM_ROLE_PERMISSIONS)}
    return display_name, sorted(chosen, key=order.__getitem__)


@transaction.atomic
def custom_role_create(
    *, actor: User, display_name: str, permissions: Iterable[str], description: str = ""
) -> CustomRole:
    authorize(actor, roles.ROLES_UPDATE)
    tenant = Tenant.objects.select_for_update().get(pk=actor.tenant_id)  # serializes the count below
    if not tenant.is_premium:
        raise _role_error("Custom roles need Microsoft Entra ID P1 or P2.")
    display_name, permissions = _clean_custom_role(
        tenant=tenant, display_name=display_name, permissions=permissions
    )
    if CustomRole.objects.for_tenant(tenant).count() >= roles.MAX_CUSTOM_ROLES:
        raise _role_error(f"An organization can have at most {roles.MAX_CUSTOM_ROLES} custom roles.")
    role = CustomRole.objects.create(
        tenant=tenant, display_name=display_name, description=description.strip(), permissions=permissions
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        activity="Add role definition",
        target=role,
        after=custom_role_snapshot(role),
        category="RoleManagement",
    )
    return role


@transaction.atomic
def custom_role_update(
    *, actor: User, role: CustomRole, display_name: str, permissions: Iterable[str], description: str = ""
) -> CustomRole:
    authorize(actor, roles.ROLES_UPDATE, role)
    if not actor.tenant.is_premium:
        raise _role_error("Custom roles need Microsoft Entra ID P1 or P2.")
    before = custom_role_snapshot(role)
    role.display_name, role.permissions = _clean_custom_role(
        tenant=actor.tenant, display_name=display_name, permissions=permissions, role_id=role.pk
    )
    role.description = description.strip()
    role.save(update_fields=["display_name", "description", "permissions"])
    audit_record(
        tenant=actor.tenant,
        actor=actor,
        activity="Update role definition",
        target=role,
        before=before,
        after=custom_role_snapshot(role),
        category="RoleManagement",
    )
    return role


@transaction.atomic
def custom_role_delete(*, actor: User, role: CustomRole) -> None:
    """Delete a custom role and, with it, its assignments (each audited)."""
    authorize(actor, roles.ROLES_UPDATE, role)
    for assignment in role.roleassignment_set.select_related(
        "principal_user", "principal_group", "scope_group"
    ):
        audit_record(
            tenant=actor.tenant,
            actor=actor,
            activity="Remove member from role",
            target=role,
            before=role_assignment_snapshot(assignment),
            category="RoleManagement",
        )
    before = custom_role_snapshot(role)
    role.delete()
    audit_record(
        tenant=actor.tenant,
        actor=actor,
        activity="Delete role definition",
        target=role,
        before=before,
        category="RoleManagement",
    )


def role_name(assignment: RoleAssignment) -> str:
    if assignment.custom_role_id:
        return assignment.custom_role.display_name
    builtin = roles.BUILTIN_ROLES.get(assignment.builtin_role)
    return builtin.display_name if builtin else assignment.builtin_role


def role_assignment_snapshot(assignment: RoleAssignment) -> dict[str, Any]:
    principal = assignment.principal_user or assignment.principal_group
    return {
        "role": role_name(assignment),
        "principal": getattr(principal, "user_principal_name", None) or principal.display_name,
        "principalType": "user" if assignment.principal_user_id else "group",
        "scope": assignment.scope_group.display_name if assignment.scope_group_id else "/",
    }


@transaction.atomic
def role_assignment_create(
    *, actor: User, role: str | CustomRole, principal: Any, scope_group: Any = None
) -> RoleAssignment:
    """Assign a built-in role (by key) or a custom role to a user or a role-assignable group, over
    the whole tenant (``scope_group=None``) or one group."""
    from groups.models import Group

    authorize(actor, roles.ROLES_UPDATE)
    tenant = actor.tenant
    if isinstance(role, CustomRole):
        if role.tenant_id != tenant.id:
            raise _role_error("That role belongs to another organization.")
        if not tenant.is_premium:
            raise _role_error("Custom roles need Microsoft Entra ID P1 or P2.")
        fields: dict[str, Any] = {"custom_role": role}
    else:
        builtin = roles.BUILTIN_ROLES.get(role)
        if builtin is None:
            raise _role_error(f"There is no role “{role}”.")
        if builtin.privileged and scope_group is not None:
            raise _role_error(
                f"{builtin.display_name} applies to the whole organization, never to one group."
            )
        fields = {"builtin_role": role}
    if isinstance(principal, User):
        if principal.tenant_id != tenant.id:
            raise _role_error("That user belongs to another organization.")
        if principal.deleted_date_time is not None:
            raise _role_error("That user has been deleted.")
        fields["principal_user"] = principal
    elif isinstance(principal, Group):
        if principal.tenant_id != tenant.id:
            raise _role_error("That group belongs to another organization.")
        if not principal.is_assignable_to_role:
            raise _role_error(
                "Roles can be assigned only to groups created with “Microsoft Entra roles can be assigned "
                "to the group”."
            )
        if principal.is_deleted:
            raise _role_error("That group has been deleted.")
        fields["principal_group"] = principal
    else:
        raise _role_error("Roles are assigned to users and role-assignable groups.")
    if scope_group is not None and (scope_group.tenant_id != tenant.id or scope_group.is_deleted):
        raise _role_error("The scope must be a group of this organization.")
    if RoleAssignment.objects.for_tenant(tenant).filter(scope_group=scope_group, **fields).exists():
        raise _role_error("This assignment already exists.")
    assignment = RoleAssignment.objects.create(tenant=tenant, scope_group=scope_group, **fields)
    audit_record(
        tenant=tenant,
        actor=actor,
        activity="Add member to role",
        target=principal,
        after=role_assignment_snapshot(assignment),
        category="RoleManagement",
    )
    if principal == actor:
        forget(actor)
    return assignment


@transaction.atomic
def role_assignment_delete(*, actor: User, assignment: RoleAssignment) -> None:
    """Remove an assignment; it takes effect on the principal's next request. The organization keeps
    at least one Global Administrator assigned directly to a user, so it can't lock itself out."""
    authorize(actor, roles.ROLES_UPDATE, assignment)
    if (
        assignment.builtin_role == "globalAdministrator"
        and assignment.principal_user_id
        and assignment.scope_group_id is None
    ):
        others = (
            RoleAssignment.objects.for_tenant(actor.tenant)
            .filter(builtin_role="globalAdministrator", principal_user__isnull=False, scope_group=None)
            .exclude(pk=assignment.pk)
        )
        if not others.select_for_update().exists():
            raise _role_error("The organization must keep at least one Global Administrator.")
    before = role_assignment_snapshot(assignment)
    principal = assignment.principal_user or assignment.principal_group
    assignment.delete()
    audit_record(
        tenant=actor.tenant,
        actor=actor,
        activity="Remove member from role",
        target=principal,
        before=before,
        category="RoleManagement",
    )
    forget(actor)


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
    if {"group_lifetime_days", "expiration_scope"} & set(changed):
        from groups.expiration import sync_expiration_dates

        sync_expiration_dates(settings, now=timezone.now(), recompute="group_lifetime_days" in changed)
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


# --- users: attribute edits, leavers, restore ----------------------------------------------------

OFFBOARD_ACTIVITY = "Remove leaver from groups"
RESTORE_ACTIVITY = "Restore leaver's groups"
RESTORE_WINDOW_DAYS = 30


class UserError(ValueError):
    """A user change refused for a reason the administrator can fix; ``field`` names the attribute."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class OffboardReport:
    memberships: list[dict] = field(default_factory=list)
    ownerships: list[dict] = field(default_factory=list)
    cancelled_requests: list[str] = field(default_factory=list)
    ownerless_groups: list[Any] = field(default_factory=list)


def _authorize_user_change(actor: User, user: User) -> None:
    from portal import roles
    from portal.authz import authorize

    authorize(actor, roles.USERS_UPDATE)
    if user.tenant_id != actor.tenant_id:
        raise PermissionDenied("Not found.")


def _field_value(user: User, name: str) -> Any:
    if name == "manager":
        return user.manager.user_principal_name if user.manager_id else None
    value = getattr(user, name)
    return value.isoformat() if hasattr(value, "isoformat") else value


@transaction.atomic
def user_update(*, actor: User, user: User, changes: dict[str, Any]) -> User:
    """The one function that edits a user's attributes (model field names → values).

    Disabling removes the user's memberships and ownerships (a leaver); enabling again within 30 days
    puts them back. Ends with ``on_user_attributes_changed`` so dynamic groups follow.
    """
    from portal.directory import USER_EDITABLE_FIELDS

    _authorize_user_change(actor, user)
    user = User.objects.select_for_update(of=("self",)).select_related("manager", "tenant").get(pk=user.pk)
    if user.deleted_date_time is not None:
        raise UserError("This user is deleted: restore them first.")
    unknown = set(changes) - set(USER_EDITABLE_FIELDS)
    if unknown:
        raise UserError(f"These attributes can't be edited here: {', '.join(sorted(unknown))}.")
    if user.dir_sync_enabled and set(changes) - {"account_enabled"}:
        changed_synced = [
            k for k in changes if k != "account_enabled" and _field_value(user, k) != changes[k]
        ]
        if changed_synced:
            raise UserError("This user is synced from on-premises: edit their attributes there.")
    if "display_name" in changes and not (changes["display_name"] or "").strip():
        raise UserError("A user needs a display name.", "display_name")
    manager = changes.get("manager")
    if manager is not None and (manager.tenant_id != user.tenant_id or manager.pk == user.pk):
        raise UserError("Choose a manager of this organization other than the user.", "manager")
    if changes.get("account_enabled") is False and user.pk == actor.pk:
        raise UserError("You can't disable your own account.", "account_enabled")
    before = {name: _field_value(user, name) for name in changes}
    was_enabled = user.account_enabled
    for name, value in changes.items():
        setattr(user, name, value)
    after = {name: _field_value(user, name) for name in changes}
    changed = [name for name in changes if before[name] != after[name]]
    if not changed:
        return user
    user.save()
    audit_record(
        tenant=user.tenant,
        actor=actor,
        activity="Update user",
        target=user,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        category="UserManagement",
    )
    if was_enabled and not user.account_enabled:
        # A disabled account stays in the dynamic groups its rule selects (as in Entra: a rule can say
        # user.accountEnabled -eq true); a deleted one leaves them too.
        user.offboard_report = _offboard(
            actor=actor, user=user, reason="User disabled", keep_rule_memberships=True
        )
    elif not was_enabled and user.account_enabled:
        _restore_groups(actor=actor, user=user)
    on_user_attributes_changed(tenant=user.tenant, users=[user], actor=actor)
    return user


@transaction.atomic
def user_delete(*, actor: User, user: User) -> OffboardReport:
    """Soft delete: the user can't sign in, leaves every group, and is restorable for 30 days."""
    _authorize_user_change(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == actor.pk:
        raise UserError("You can't delete your own account.")
    if user.deleted_date_time is not None:
        raise UserError("This user is already deleted.")
    if user.dir_sync_enabled:
        raise UserError("This user is synced from on-premises: delete them there.")
    user.deleted_date_time = timezone.now()
    user.save(update_fields=["deleted_date_time"])
    audit_record(
        tenant=user.tenant,
        actor=actor,
        activity="Delete user",
        target=user,
        before=user_snapshot(user),
        category="UserManagement",
    )
    report = _offboard(actor=actor, user=user, reason="User deleted")
    on_user_attributes_changed(tenant=user.tenant, users=[user], actor=actor)
    return report


@transaction.atomic
def user_restore(*, actor: User, user: User) -> User:
    """Undo a deletion within 30 days, with the memberships and ownerships it removed."""
    _authorize_user_change(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.deleted_date_time is None:
        raise UserError("This user isn't deleted.")
    if timezone.now() - user.deleted_date_time > timedelta(days=RESTORE_WINDOW_DAYS):
        raise UserError(f"Users can be restored for {RESTORE_WINDOW_DAYS} days after deletion.")
    user.deleted_date_time = None
    user.save(update_fields=["deleted_date_time"])
    audit_record(
        tenant=user.tenant, actor=actor, activity="Restore user", target=user, category="UserManagement"
    )
    _restore_groups(actor=actor, user=user)
    on_user_attributes_changed(tenant=user.tenant, users=[user], actor=actor)
    return user


def _offboard(*, actor: User, user: User, reason: str, keep_rule_memberships: bool = False) -> OffboardReport:
    """Remove a leaver from every group and ownership and cancel their pending requests, keeping what
    was removed in the audit event's ``before`` so a restore can put it back."""
    from django.db.models import Count

    from access_requests.models import JoinRequest, RequestStatus
    from groups.models import Group, Membership, Ownership

    report = OffboardReport()
    tenant = user.tenant
    from groups.models import MembershipSource

    memberships = Membership.objects.filter(member_user=user).select_related("group")
    if keep_rule_memberships:
        memberships = memberships.exclude(source=MembershipSource.RULE)
    memberships = list(memberships)
    ownerships = list(Ownership.objects.filter(user=user).select_related("group"))
    for m in memberships:
        report.memberships.append(
            {"group": str(m.group_id), "groupName": m.group.display_name, "source": m.source}
        )
    for o in ownerships:
        report.ownerships.append({"group": str(o.group_id), "groupName": o.group.display_name})
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).delete()
    Ownership.objects.filter(pk__in=[o.pk for o in ownerships]).delete()
    pending = JoinRequest.objects.filter(requester=user, status=RequestStatus.PENDING)
    report.cancelled_requests = [str(pk) for pk in pending.values_list("pk", flat=True)]
    pending.update(status=RequestStatus.CANCELLED, decided_date_time=timezone.now(), reason=reason)
    for m in memberships:
        audit_record(
            tenant=tenant,
            actor=actor,
            activity="Remove member from group",
            target=m.group,
            before={"member": user.user_principal_name},
            reason=reason,
        )
    for o in ownerships:
        audit_record(
            tenant=tenant,
            actor=actor,
            activity="Remove owner from group",
            target=o.group,
            before={"owner": user.user_principal_name},
            reason=reason,
        )
    owned_ids = [o.group_id for o in ownerships]
    report.ownerless_groups = list(
        Group.objects.filter(pk__in=owned_ids)
        .alive()
        .annotate(owner_count=Count("ownerships"))
        .filter(owner_count=0)
        .order_by("display_name")
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        activity=OFFBOARD_ACTIVITY,
        target=user,
        before={
            "memberships": report.memberships,
            "ownerships": report.ownerships,
            "pendingRequests": report.cancelled_requests,
        },
        after={"groupsWithoutOwner": [g.display_name for g in report.ownerless_groups]},
        reason=reason,
        category="UserManagement",
    )
    if memberships:
        from groups.licensing.services import licenses_after_membership_change

        licenses_after_membership_change(memberships[0].group)
    if report.ownerless_groups:
        _tell_administrators(tenant=tenant, user=user, groups=report.ownerless_groups, reason=reason)
    return report


def _tell_administrators(*, tenant: Tenant, user: User, groups: list, reason: str) -> None:
    """Email the tenant's group administrators about groups a leaver left without an owner."""
    from django.core.mail import send_mail

    from portal.models import RoleAssignment

    admins = (
        RoleAssignment.objects.for_tenant(tenant)
        .filter(builtin_role__in=["globalAdministrator", "groupsAdministrator"], principal_user__isnull=False)
        .filter(principal_user__account_enabled=True, principal_user__deleted_date_time__isnull=True)
        .values_list("principal_user__mail", "principal_user__user_principal_name")
    )
    to = sorted({mail or upn for mail, upn in admins})
    if not to:
        return
    names = "\n".join(f"- {g.display_name}" for g in groups)
    subject = f"{len(groups)} group{'s' if len(groups) != 1 else ''} left without an owner"
    body = (
        f"{user.display_name} ({user.user_principal_name}) left these groups ({reason.lower()}), "
        f"and they now have no owner:\n\n{names}\n\nAssign an owner in Groupdesk: Groups, filter “Has no owner”."
    )
    transaction.on_commit(lambda: send_mail(subject, body, None, to, fail_silently=True))


def _restore_groups(*, actor: User, user: User) -> None:
    """Put back what the last offboarding removed, if it happened within the restore window and was
    not already undone. Deleted groups, dynamic groups (their rule decides) and full owner lists are
    skipped."""
    from groups.models import MAX_OWNERS, Group, Membership, MembershipSource, Ownership
    from portal.models import AuditEvent

    last = (
        AuditEvent.objects.for_tenant(user.tenant)
        .filter(target_id=str(user.pk), activity__in=[OFFBOARD_ACTIVITY, RESTORE_ACTIVITY])
        .order_by("-activity_date_time", "-id")
        .first()
    )
    if last is None or last.activity != OFFBOARD_ACTIVITY:
        return
    if timezone.now() - last.activity_date_time > timedelta(days=RESTORE_WINDOW_DAYS):
        return
    before = last.before or {}
    wanted = {m["group"] for m in before.get("memberships", [])} | {
        o["group"] for o in before.get("ownerships", [])
    }
    groups = {str(g.pk): g for g in Group.objects.for_tenant(user.tenant).alive().filter(pk__in=wanted)}
    restored_members, restored_owners = [], []
    for m in before.get("memberships", []):
        group = groups.get(m["group"])
        if group is None or group.is_dynamic or m.get("source") == MembershipSource.RULE:
            continue
        _, created = Membership.objects.get_or_create(
            group=group, member_user=user, defaults={"source": m.get("source", "direct"), "added_by": actor}
        )
        if created:
            restored_members.append(group.display_name)
    for o in before.get("ownerships", []):
        group = groups.get(o["group"])
        if group is None or Ownership.objects.filter(group=group).count() >= MAX_OWNERS:
            continue
        _, created = Ownership.objects.get_or_create(group=group, user=user, defaults={"added_by": actor})
        if created:
            restored_owners.append(group.display_name)
    audit_record(
        tenant=user.tenant,
        actor=actor,
        activity=RESTORE_ACTIVITY,
        target=user,
        after={"memberships": restored_members, "ownerships": restored_owners},
        category="UserManagement",
    )
    if restored_members:
        from groups.licensing.services import licenses_after_membership_change

        licenses_after_membership_change(next(iter(groups.values())))
