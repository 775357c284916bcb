"""Groups as principals of role assignments: only live role-assignable groups of the tenant."""

from __future__ import annotations

from groups.models import Group
from portal.errors import Invalid, NotFound
from portal.models import Tenant
from portal.services.roles import register_role_principal


def check_role_principal(tenant: Tenant, group: Group) -> None:
    """Refuse assigning a role to ``group`` unless it's a live role-assignable group of ``tenant``."""
    if group.tenant_id != tenant.id:
        raise NotFound("That group belongs to another organization.")
    if not group.is_assignable_to_role:
        raise Invalid(
            "Roles can be assigned only to groups created with “Microsoft Entra roles can be assigned "
            "to the group”."
        )
    if group.is_deleted:
        raise NotFound("That group has been deleted.")


def register() -> None:
    """Let roles be assigned to groups (from ``GroupsConfig.ready``)."""
    register_role_principal(Group, field="principal_group", check=check_role_principal)
