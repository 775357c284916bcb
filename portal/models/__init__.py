"""The tenancy core: tenants, directory objects (users, devices, service principals), tenant group
settings, directory roles, API tokens and the append-only audit log.

Every tenant-owned model inherits ``TenantOwned``; its manager's ``for_tenant(tenant)`` is the one
mechanism through which views and services scope their reads. The models live in the modules of this
package and are all importable from ``portal.models`` (app label ``portal``, tables unchanged).
"""

from __future__ import annotations

from portal.models.audit import AuditEvent
from portal.models.directory import (
    AssignedPlan,
    CreationType,
    Device,
    DeviceMultiValue,
    DeviceOwnership,
    ExternalUserState,
    MultiValueAttribute,
    ServicePrincipal,
    Source,
    User,
    UserManager,
    UserMultiValue,
    UserType,
)
from portal.models.group_settings import (
    AllowInvitesFrom,
    CollaborationRestriction,
    ExpirationScope,
    GuestUserRole,
    OwnerAssigners,
    TenantGroupSettings,
)
from portal.models.roles import CustomRole, RoleAssignment
from portal.models.tenancy import Plan, Tenant, TenantOwned, TenantQuerySet
from portal.models.tokens import ApiToken, ProvisioningOperation

__all__ = [
    "AllowInvitesFrom",
    "ApiToken",
    "CollaborationRestriction",
    "CreationType",
    "ExternalUserState",
    "AssignedPlan",
    "AuditEvent",
    "CustomRole",
    "Device",
    "DeviceMultiValue",
    "DeviceOwnership",
    "ExpirationScope",
    "AllowInvitesFrom",
    "GuestUserRole",
    "MultiValueAttribute",
    "OwnerAssigners",
    "Plan",
    "ProvisioningOperation",
    "RoleAssignment",
    "ServicePrincipal",
    "Source",
    "Tenant",
    "TenantGroupSettings",
    "TenantOwned",
    "TenantQuerySet",
    "User",
    "UserManager",
    "UserMultiValue",
    "UserType",
]
