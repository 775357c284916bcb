"""Custom roles and role assignments (seed 003's catalog; P1 and up)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction

from portal import roles
from portal.audit import audit_record
from portal.authz import authorize, forget
from portal.errors import Conflict, Invalid, NotFound, Refused
from portal.models import (
    CustomRole,
    RoleAssignment,
    Tenant,
    User,
)

# --- custom roles and role assignments ------------------------------------------------------------


# What roles may be assigned to besides users, added by feature apps from their AppConfig.ready():
# model → (its RoleAssignment field, check(tenant, principal) raising ServiceError when it can't).
_PRINCIPALS: dict[type, tuple[str, Callable[[Tenant, Any], None]]] = {}


def register_role_principal(model: type, *, field: str, check: Callable[[Tenant, Any], None]) -> None:
    _PRINCIPALS[model] = (field, check)


def _principal_field(tenant: Tenant, principal: Any) -> str:
    """The RoleAssignment field ``principal`` goes in, once it's checked it may hold a role."""
    if isinstance(principal, User):
        if principal.tenant_id != tenant.id:
            raise NotFound("That user belongs to another organization.")
        if principal.deleted_date_time is not None:
            raise NotFound("That user has been deleted.")
        return "principal_user"
    for model, (field, check) in _PRINCIPALS.items():
        if isinstance(principal, model):
            check(tenant, principal)
            return field
    raise Invalid("Roles are assigned to users and role-assignable groups.")


def custom_role_snapshot(role: CustomRole) -> dict[str, Any]:
    return {
        "displayName": role.display_name,
        "description": role.description,
        "permissions": sorted(role.permissions),
    }


def _clean_custom_role(*, tenant: Tenant, display_name: str, permissions: Iterable[str], role_id=None):
    display_name = (display_name or "").strip()
    if not display_name:
        raise Invalid("A custom role needs a name.")
    if len(display_name) > CustomRole._meta.get_field("display_name").max_length:
        raise Invalid("The name is longer than 256 characters.")
    if display_name.lower() in {r.display_name.lower() for r in roles.BUILTIN_ROLES.values()}:
        raise Invalid(f"“{display_name}” is the name of a built-in role.")
    same_name = CustomRole.objects.for_tenant(tenant).filter(display_name__iexact=display_name)
    if same_name.exclude(pk=role_id).exists():
        raise Conflict(f"A custom role named “{display_name}” already exists.")
    chosen = list(dict.fromkeys(permissions))
    unknown = [p for p in chosen if p not in roles.CUSTOM_ROLE_PERMISSIONS]
    if unknown:
        raise Invalid(f"Not a permission a custom role can hold: {', '.join(unknown)}.")
    if not chosen:
        raise Invalid("Choose at least one permission.")
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
        raise Refused("Custom roles need Microsoft Entra ID P1 or P2.")
    display_name, permissions = _clean_custom_role(
        tenant=tenant, display_name=display_name, permissions=permissions
    )
    if CustomRole.objects.for_tenant(tenant).count() >= roles.MAX_CUSTOM_ROLES:
        raise Invalid(f"An organization can have at most {roles.MAX_CUSTOM_ROLES} custom roles.")
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
        raise Refused("Custom roles need Microsoft Entra ID P1 or P2.")
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
    authorize(actor, roles.ROLES_UPDATE)
    tenant = actor.tenant
    if isinstance(role, CustomRole):
        if role.tenant_id != tenant.id:
            raise NotFound("That role belongs to another organization.")
        if not tenant.is_premium:
            raise Refused("Custom roles need Microsoft Entra ID P1 or P2.")
        fields: dict[str, Any] = {"custom_role": role}
    else:
        builtin = roles.BUILTIN_ROLES.get(role)
        if builtin is None:
            raise Invalid(f"There is no role “{role}”.")
        if builtin.privileged and scope_group is not None:
            raise Invalid(f"{builtin.display_name} applies to the whole organization, never to one group.")
        fields = {"builtin_role": role}
    fields[_principal_field(tenant, principal)] = principal
    if scope_group is not None and (scope_group.tenant_id != tenant.id or scope_group.is_deleted):
        raise Invalid("The scope must be a group of this organization.")
    if RoleAssignment.objects.for_tenant(tenant).filter(scope_group=scope_group, **fields).exists():
        raise Conflict("This assignment already exists.")
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
            raise Conflict("The organization must keep at least one Global Administrator.")
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
