"""The one authorization function: ``decide(actor, action, target)``.

Every view, service and API call asks here; nothing else checks roles. ``can`` is its boolean,
``authorize`` raises ``PermissionDenied`` with the reason. Answers are computed from the actor's
role grants (built-in and custom, at tenant or group scope, directly or through a role-assignable
group), ownership, and the tenant's self-service settings. Grants are loaded once per actor object,
that is once per HTTP request: revoking a role applies to the very next request.

Actions on a group are seed 003's catalog suffixes (``"members/update"``, ``"basic/update"`` ...) plus
the self-service verbs ``join``, ``request`` and ``leave``. ``create``/``createAsOwner`` take a
``GroupSpec``. ``decide`` takes a JoinRequest. Tenant actions take no target and are full permission
strings from ``portal.roles`` (``AUDIT_READ``, ``SETTINGS_UPDATE`` ...) or ``"myGroups/access"``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied

from portal import roles
from portal.models import OwnerAssigners, Plan

if TYPE_CHECKING:
    from groups.models import Group
    from portal.models import User

MY_GROUPS_ACCESS = "myGroups/access"
SELF_SERVICE_ACTIONS = frozenset({"join", "request", "leave"})
# Updates an owner makes to "their" group that seed 002 calls changing the group: refused when users
# may not create groups of that kind. Membership, owners and requests stay with the owner.
OWNER_CHANGE_ACTIONS = frozenset(
    {
        "basic/update",
        "classification/update",
        "allProperties/update",
        "dynamicMembershipRule/update",
        "delete",
    }
)
# allProperties covers the narrower property rights.
IMPLIED_BY = {
    "standard/read": "allProperties/read",
    "basic/update": "allProperties/update",
    "classification/update": "allProperties/update",
    "dynamicMembershipRule/update": "allProperties/update",
}


@dataclass(frozen=True)
class GroupSpec:
    """What a group about to be created will be: enough to decide who may create it."""

    kind: str
    membership_type: str = "assigned"
    is_assignable_to_role: bool = False
    tenant_id: Any = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    granted_by: tuple[str, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return self.allowed


def _allow(*granted_by: str) -> Decision:
    return Decision(True, "", tuple(granted_by))


def _deny(reason: str) -> Decision:
    return Decision(False, reason)


@dataclass
class Grant:
    permission: str
    scope_group_id: Any  # None: the whole tenant
    source: str  # the role's display name
    privileged: bool


class ActorContext:
    """What the actor holds, loaded once (a handful of queries) and kept on the actor object."""

    def __init__(self, actor: User) -> None:
        from groups.models import Group, Membership, Ownership
        from portal.models import RoleAssignment

        self.tenant = actor.tenant
        self.settings = group_settings_for(actor.tenant)
        self.owned_group_ids = set(Ownership.objects.filter(user=actor).values_list("group_id", flat=True))
        self.member_group_ids = set(
            Membership.objects.filter(member_user=actor).values_list("group_id", flat=True)
        )
        role_group_ids = set(
            Group.objects.filter(id__in=self.member_group_ids, is_assignable_to_role=True).values_list(
                "id", flat=True
            )
        )
        self.grants: list[Grant] = []
        assignments = RoleAssignment.objects.filter(tenant=actor.tenant).select_related("custom_role")
        for assignment in assignments.filter(principal_user=actor) | assignments.filter(
            principal_group_id__in=role_group_ids
        ):
            if assignment.builtin_role:
                role = roles.BUILTIN_ROLES.get(assignment.builtin_role)
                if role is None:
                    continue
                perms, name, privileged = role.permissions, role.display_name, role.privileged
            else:
                if not self.tenant.is_premium:  # custom roles are a P1 feature
                    continue
                perms, name, privileged = (
                    assignment.custom_role.permissions,
                    assignment.custom_role.display_name,
                    False,
                )
            for permission in perms:
                self.grants.append(Grant(permission, assignment.scope_group_id, name, privileged))

    def holders(self, permission: str, group_id: Any = None) -> list[str]:
        """Names of the roles that grant ``permission`` (tenant-wide, or scoped to ``group_id``)."""
        return [
            g.source
            for g in self.grants
            if g.permission == permission and (g.scope_group_id is None or g.scope_group_id == group_id)
        ]

    def has_tenant_permission(self, permission: str) -> list[str]:
        return [g.source for g in self.grants if g.permission == permission and g.scope_group_id is None]

    @property
    def is_privileged(self) -> bool:
        return any(g.privileged and g.scope_group_id is None for g in self.grants)

    @property
    def is_group_admin(self) -> bool:
        """Holds some tenant-wide right over groups: an administrator in the portal's sense."""
        return any(
            g.scope_group_id is None and g.permission.startswith(f"{roles.PREFIX}groups") for g in self.grants
        )


def group_settings_for(tenant):
    from portal.models import TenantGroupSettings

    if tenant is None:
        return None
    try:
        return tenant.group_settings  # loaded with the user by portal.backends: no extra query
    except TenantGroupSettings.DoesNotExist:
        settings, _ = TenantGroupSettings.objects.get_or_create(tenant=tenant)
        tenant.group_settings = settings
        return settings


def actor_context(actor: User) -> ActorContext:
    ctx = getattr(actor, "_groupdesk_authz", None)
    if ctx is None:
        ctx = ActorContext(actor)
        actor._groupdesk_authz = ctx
    return ctx


def forget(actor: User) -> None:
    """Drop the cached grants (after the actor's own roles, ownerships or memberships changed)."""
    # delattr, not __dict__.pop: request.user is a SimpleLazyObject, whose __dict__ isn't the user's.
    with contextlib.suppress(AttributeError):
        delattr(actor, "_groupdesk_authz")


def group_subtypes(group: Group | GroupSpec) -> list[str]:
    """The catalog subtypes that cover this group (none for role-assignable groups)."""
    from groups.models import GroupKind, MembershipType

    if group.is_assignable_to_role:
        return []
    subtypes = ["groups"]
    assigned = group.membership_type == MembershipType.ASSIGNED
    if group.kind == GroupKind.MICROSOFT_365:
        subtypes.append("groups.unified")
        if assigned:
            subtypes.append("groups.unified.assignedMembership")
    elif group.kind in (GroupKind.SECURITY, GroupKind.MAIL_ENABLED_SECURITY):
        subtypes.append("groups.security")
        if assigned:
            subtypes.append("groups.security.assignedMembership")
    return subtypes


def _role_grants(ctx: ActorContext, group: Group | GroupSpec, action: str) -> list[str]:
    group_id = getattr(group, "id", None) if not isinstance(group, GroupSpec) else None
    actions = [action] + ([IMPLIED_BY[action]] if action in IMPLIED_BY else [])
    granted: list[str] = []
    if group.is_assignable_to_role:
        if action in roles.READ_ACTIONS:
            # Seed 003: the read permissions include role-assignable groups.
            for a in actions:
                granted += ctx.holders(f"{roles.PREFIX}groups/{a}", group_id)
        granted += ctx.holders(roles.ROLE_ASSIGNABLE_GROUPS_MANAGE, group_id)
        return granted
    for subtype in group_subtypes(group):
        for a in actions:
            granted += ctx.holders(f"{roles.PREFIX}{subtype}/{a}", group_id)
    return granted


def _users_may_create(ctx: ActorContext, kind: str) -> bool:
    from groups.models import GroupKind

    s = ctx.settings
    if kind == GroupKind.SECURITY:
        return s.users_can_create_security_groups
    if kind == GroupKind.MICROSOFT_365:
        if not s.users_can_create_m365_groups:
            return False
        allowed = s.group_creation_allowed_group_id
        return allowed is None or allowed in ctx.member_group_ids
    return False  # mail-enabled security and distribution groups: administrators only


def _decide_create(actor: User, ctx: ActorContext, action: str, spec: GroupSpec) -> Decision:
    from groups.models import GroupKind, MembershipType

    if spec.membership_type == MembershipType.DYNAMIC and not ctx.tenant.is_premium:
        return _deny("Dynamic membership groups need Microsoft Entra ID P1 or P2.")
    granted = _role_grants(ctx, spec, action)
    if spec.is_assignable_to_role:
        granted = ctx.holders(roles.ROLE_ASSIGNABLE_GROUPS_MANAGE)
        return (
            _allow(*granted)
            if granted
            else _deny(
                "Only Global Administrators and Privileged Role Administrators create role-assignable groups."
            )
        )
    if action == "createAsOwner":
        granted += _role_grants(ctx, spec, "create")
    if granted:
        return _allow(*granted)
    if spec.kind in (GroupKind.MAIL_ENABLED_SECURITY, GroupKind.DISTRIBUTION):
        return _deny(f"Only administrators create {GroupKind(spec.kind).label.lower()} groups.")
    if actor.is_guest:
        return _deny("Guests can't create groups.")
    if _users_may_create(ctx, spec.kind):
        return _allow("Tenant setting: users can create groups")
    return _deny(f"Your organization doesn't let users create {GroupKind(spec.kind).label} groups.")


def _decide_group(actor: User, ctx: ActorContext, action: str, group: Group) -> Decision:
    from groups.models import GroupKind, Visibility

    owner = group.id in ctx.owned_group_ids
    member = group.id in ctx.member_group_ids
    # Deciding a join request is a change of members: the same rights cover it.
    granted = _role_grants(ctx, group, "members/update" if action == "requests/decide" else action)
    if action == "requests/decide" and not ctx.tenant.is_premium:
        return _deny("Join requests need Microsoft Entra ID P1 or P2.")

    if group.is_deleted and action not in ("standard/read", "allProperties/read", "delete", "restore"):
        return _deny("This group has been deleted.")
    if action == "restore":
        granted = _role_grants(ctx, group, "delete")
        return _allow(*granted) if granted else _deny("Only administrators restore deleted groups.")

    if action in roles.READ_ACTIONS:
        if granted:
            return _allow(*granted)
        if owner:
            return _allow("Group owner")
        if action == "members/read" and group.visibility == Visibility.HIDDEN_MEMBERSHIP and not member:
            return _deny("This group's membership is hidden.")
        if group.is_deleted:
            return _deny("This group has been deleted.")
        if actor.is_guest and not member and not ctx.settings.allow_guests_to_access_groups:
            return _deny("Guests can't browse groups in this organization.")
        return _allow("Every user of the tenant")

    if action in SELF_SERVICE_ACTIONS:
        return _decide_self_service(actor, ctx, action, group, member)

    if group.is_synced:
        return _deny("This group is synced from on-premises and is managed there, not here.")
    if granted:
        return _allow(*granted)
    if not owner:
        return _deny("Only the group's owners and administrators can do this.")
    if group.is_dynamic and action == "members/update":
        return _deny("Membership of a dynamic group is set by its rule.")
    if action in OWNER_CHANGE_ACTIONS and not _users_may_create(ctx, group.kind):
        if group.kind not in (GroupKind.SECURITY, GroupKind.MICROSOFT_365):
            return _deny("Only administrators change groups of this kind.")
        return _deny("Your organization doesn't let users create or change groups of this kind.")
    if action == "owners/update":
        policy = ctx.settings.owners_who_can_assign_owners
        if policy == OwnerAssigners.NONE:
            return _deny("Your organization doesn't let owners add owners.")
        if (
            policy == OwnerAssigners.SELECTED
            and ctx.settings.owner_assigners_group_id not in ctx.member_group_ids
        ):
            return _deny("Only selected users may make members owners.")
    if action == "requests/decide" and not ctx.settings.owners_can_manage_requests:
        return _deny("Owners can't manage membership requests in this organization.")
    if action in ("requests/decide", "members/update", "owners/update", *OWNER_CHANGE_ACTIONS):
        return _allow("Group owner")
    return _deny("Only administrators can do this.")


def _decide_self_service(actor: User, ctx: ActorContext, action: str, group: Group, member: bool) -> Decision:
    from groups.models import JoinPolicy

    if action == "leave":
        if not member:
            return _deny("You're not a direct member of this group.")
        if group.is_dynamic:
            return _deny("Membership of this group is set by a rule.")
        if group.is_synced:
            return _deny("This group is synced from on-premises and is managed there.")
        return _allow("Every member")
    if not group.self_service_available:
        if group.is_dynamic:
            return _deny("Membership of this group is set by a rule.")
        if group.is_synced:
            return _deny("This group is synced from on-premises and is managed there.")
        if group.is_assignable_to_role:
            return _deny("Role-assignable groups can't be joined or requested.")
        return _deny("Self-service isn't available for mail-enabled security groups and distribution lists.")
    if member:
        return _deny("You're already a member of this group.")
    if actor.is_guest and not ctx.settings.allow_guests_to_access_groups:
        return _deny("Guests can't join groups in this organization.")
    if action == "join":
        if group.join_policy == JoinPolicy.OPEN:
            return _allow("Open group")
        if group.join_policy == JoinPolicy.OWNER_APPROVAL:
            return _deny("This group needs an owner's approval: send a request.")
        return _deny("Only owners add members.")
    # request
    if group.join_policy == JoinPolicy.OPEN:
        return _deny("This group is open: join it directly.")
    if group.join_policy == JoinPolicy.CLOSED:
        return _deny("Only owners add members.")
    if not ctx.tenant.is_premium:
        return _deny("Requests to join need Microsoft Entra ID P1 or P2.")
    if not ctx.settings.owners_can_manage_requests:
        return _deny("This organization doesn't accept membership requests in My Groups.")
    return _allow("Owner approval group")


def _decide_tenant(actor: User, ctx: ActorContext, action: str) -> Decision:
    if action == MY_GROUPS_ACCESS:
        if not ctx.settings.restrict_my_groups or ctx.is_group_admin:
            return _allow("My Groups")
        return _deny("My Groups is turned off for your organization. Ask your administrator.")
    if action == roles.USERS_READ and not actor.is_guest:
        # Every member reads standard user properties (the typeahead of owners needs it).
        return _allow(*(ctx.has_tenant_permission(action) or ["Every member of the tenant"]))
    granted = ctx.has_tenant_permission(action)
    if granted:
        return _allow(*granted)
    return _deny("You don't have permission to do this. Ask an administrator.")


def decide(actor: User | None, action: str, target: Any = None) -> Decision:
    """Answer "may ``actor`` do ``action`` to ``target``?" with the reason and what grants it."""
    from access_requests.models import JoinRequest
    from groups.models import Group

    if actor is None or not actor.is_authenticated or not actor.is_active or actor.tenant_id is None:
        return _deny("Sign in with an enabled account of this organization.")
    target_tenant = getattr(target, "tenant_id", None)
    if target is not None and target_tenant is not None and target_tenant != actor.tenant_id:
        return _deny("Not found.")
    ctx = actor_context(actor)
    if isinstance(target, GroupSpec):
        return _decide_create(actor, ctx, action, target)
    if isinstance(target, JoinRequest):
        if action == "cancel":
            if target.requester_id != actor.id:
                return _deny("Only the person who sent a request can cancel it.")
            return (
                _allow("Requester") if target.is_pending else _deny("Only pending requests can be cancelled.")
            )
        return _decide_group(actor, ctx, "requests/decide", target.group)
    if isinstance(target, Group):
        return _decide_group(actor, ctx, action, target)
    if target is None:
        return _decide_tenant(actor, ctx, action)
    raise TypeError(f"no authorization rules for {type(target).__name__}")


def can(actor: User | None, action: str, target: Any = None) -> bool:
    return decide(actor, action, target).allowed


def authorize(actor: User | None, action: str, target: Any = None) -> Decision:
    decision = decide(actor, action, target)
    if not decision.allowed:
        raise PermissionDenied(decision.reason)
    return decision


__all__ = ["GroupSpec", "Decision", "decide", "can", "authorize", "forget", "MY_GROUPS_ACCESS", "Plan"]
