"""Seed 003's permission catalog and the built-in directory roles, as data."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "microsoft.directory/"

# Seed 003's subtypes: what each covers, in its words (used in every permission's description).
SUBTYPES: dict[str, str] = {
    "groups": "Security groups and Microsoft 365 groups, excluding role-assignable groups",
    "groups.unified": "Microsoft 365 groups, excluding role-assignable groups",
    "groups.unified.assignedMembership": "Microsoft 365 groups of assigned membership type, excluding role-assignable groups",
    "groups.security": "Security groups, excluding role-assignable groups",
    "groups.security.assignedMembership": "Security groups of assigned membership type, excluding role-assignable groups",
}
SUBTYPE_TITLES: dict[str, str] = {
    "groups": "Security and Microsoft 365 groups",
    "groups.unified": "Microsoft 365 groups",
    "groups.unified.assignedMembership": "Microsoft 365 groups of assigned membership",
    "groups.security": "Security groups",
    "groups.security.assignedMembership": "Security groups of assigned membership",
}
# Seed 003: reads on ``groups`` include role-assignable groups.
_GROUPS_READ_SCOPE = "Security groups and Microsoft 365 groups, including role-assignable groups"

# Group actions in catalog order, each as seed 003 words it ("{}" is the subtype's scope).
GROUP_ACTIONS: dict[str, str] = {
    "create": "Create {}",
    "createAsOwner": "Create {}. Creator is added as the first owner.",
    "delete": "Delete {}",
    "allProperties/read": "Read all properties (including privileged properties) on {}",
    "standard/read": "Read standard properties of {}",
    "members/read": "Read members of {}",
    "memberOf/read": "Read the memberOf property on {}",
    "owners/read": "Read owners of {}",
    "allProperties/update": "Update all properties (including privileged properties) on {}",
    "basic/update": "Update basic properties on {}",
    "classification/update": "Update the classification property on {}",
    "dynamicMembershipRule/update": "Update the rule for dynamic membership groups on {}",
    "members/update": "Update members of {}",
    "owners/update": "Update owners of {}",
}
READ_ACTIONS = frozenset(
    {"allProperties/read", "standard/read", "members/read", "memberOf/read", "owners/read"}
)
# Assigned-only subtypes have no dynamic groups, so no rule permission.
_ASSIGNED_ONLY = ("groups.unified.assignedMembership", "groups.security.assignedMembership")


def _catalog() -> dict[str, str]:
    catalog: dict[str, str] = {}
    for subtype, scope in SUBTYPES.items():
        for action, wording in GROUP_ACTIONS.items():
            if action == "dynamicMembershipRule/update" and subtype in _ASSIGNED_ONLY:
                continue
            if subtype == "groups" and action in READ_ACTIONS:
                scope = _GROUPS_READ_SCOPE
            else:
                scope = SUBTYPES[subtype]
            catalog[f"{PREFIX}{subtype}/{action}"] = wording.format(scope)
    return catalog


def split(permission: str) -> tuple[str, str]:
    """("groups.security", "members/update") from a group permission string."""
    subtype, _, action = permission.removeprefix(PREFIX).partition("/")
    return subtype, action


AUDIT_READ = f"{PREFIX}auditLogs/allProperties/read"
SETTINGS_READ = f"{PREFIX}groupSettings/standard/read"
SETTINGS_UPDATE = f"{PREFIX}groupSettings/allProperties/update"
USERS_READ = f"{PREFIX}users/standard/read"
USERS_UPDATE = f"{PREFIX}users/basic/update"
USERS_CREATE = f"{PREFIX}users/create"
ROLES_READ = f"{PREFIX}roleDefinitions/standard/read"
ROLES_UPDATE = f"{PREFIX}roleAssignments/allProperties/update"
# The directory read policy (Graph's authorizationPolicy: allowedToReadOtherUsers, guestUserRoleId).
AUTHORIZATION_POLICY_UPDATE = f"{PREFIX}authorizationPolicy/allProperties/update"
# Not in seed 003's catalog: managing role-assignable groups is reserved to the privileged roles.
ROLE_ASSIGNABLE_GROUPS_MANAGE = f"{PREFIX}groups.roleAssignable/allProperties/update"

GROUP_PERMISSIONS: dict[str, str] = _catalog()
TENANT_PERMISSIONS: dict[str, str] = {
    AUDIT_READ: "Read all properties in audit logs",
    SETTINGS_READ: "Read tenant-wide group settings",
    SETTINGS_UPDATE: "Update tenant-wide group settings",
    USERS_READ: "Read standard properties of users",
    USERS_UPDATE: "Update basic properties of users",
    USERS_CREATE: "Create users",
    ROLES_READ: "Read role definitions and assignments",
    ROLES_UPDATE: "Create, update and delete custom roles and role assignments",
    AUTHORIZATION_POLICY_UPDATE: "Update the directory read policy: reading other users, guest access",
}
CATALOG: dict[str, str] = {**GROUP_PERMISSIONS, **TENANT_PERMISSIONS}
# Permissions a custom role may hold: seed 003's group catalog, audit-log read and editing the
# tenant's group settings (which includes reading them).
CUSTOM_ROLE_PERMISSIONS: tuple[str, ...] = (*GROUP_PERMISSIONS, AUDIT_READ, SETTINGS_UPDATE)
# A tenant permission that includes another.
TENANT_IMPLIED_BY = {SETTINGS_READ: SETTINGS_UPDATE, ROLES_READ: ROLES_UPDATE}
MAX_CUSTOM_ROLES = 100
MAX_ROLE_ASSIGNABLE_GROUPS = 500

_ALL_GROUPS = [p for p in GROUP_PERMISSIONS if p.startswith(f"{PREFIX}groups/")]
_GROUP_READS = [f"{PREFIX}groups/{a}" for a in sorted(READ_ACTIONS)]


def describe(permission: str) -> str:
    return CATALOG.get(permission) or (
        "Manage role-assignable groups" if permission == ROLE_ASSIGNABLE_GROUPS_MANAGE else permission
    )


@dataclass(frozen=True)
class BuiltinRole:
    key: str
    display_name: str
    description: str
    permissions: frozenset[str]
    privileged: bool = False  # may manage role-assignable groups and role assignments


BUILTIN_ROLES: dict[str, BuiltinRole] = {
    role.key: role
    for role in [
        BuiltinRole(
            "globalAdministrator",
            "Global Administrator",
            "Can manage all aspects of the tenant.",
            frozenset([*CATALOG, ROLE_ASSIGNABLE_GROUPS_MANAGE]),
            privileged=True,
        ),
        BuiltinRole(
            "privilegedRoleAdministrator",
            "Privileged Role Administrator",
            "Can manage role assignments and role-assignable groups.",
            frozenset(
                [
                    *_GROUP_READS,
                    ROLES_READ,
                    ROLES_UPDATE,
                    USERS_READ,
                    ROLE_ASSIGNABLE_GROUPS_MANAGE,
                    AUTHORIZATION_POLICY_UPDATE,
                ]
            ),
            privileged=True,
        ),
        BuiltinRole(
            "groupsAdministrator",
            "Groups Administrator",
            "Can manage all aspects of groups and group settings, excluding role-assignable groups.",
            frozenset([*_ALL_GROUPS, SETTINGS_READ, SETTINGS_UPDATE, USERS_READ, ROLES_READ]),
        ),
        BuiltinRole(
            "userAdministrator",
            "User Administrator",
            "Can manage users and groups, excluding role-assignable groups.",
            frozenset([*_ALL_GROUPS, USERS_READ, USERS_UPDATE, USERS_CREATE, SETTINGS_READ]),
        ),
        BuiltinRole(
            "directoryReaders",
            "Directory Readers",
            "Can read basic directory information.",
            frozenset([*_GROUP_READS, USERS_READ, SETTINGS_READ, ROLES_READ]),
        ),
        BuiltinRole(
            "reportsReader",
            "Reports Reader",
            "Can read sign-in and audit reports.",
            frozenset([AUDIT_READ]),
        ),
    ]
}
