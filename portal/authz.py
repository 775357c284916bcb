"""The one authorization function: ``decide(actor, action, target)``.

Every view, service and API call asks here; nothing else checks roles. ``can`` is its boolean,
``authorize`` raises ``PermissionDenied`` with the reason and, when the refused action was a change,
records the refused attempt in the audit log (``portal.refusals``: in a transaction of its own).

Targets and actions:
- a ``Group``: seed 003's catalog suffixes (``"members/update"``, ``"basic/update"`` ...) plus
  ``restore``, ``requests/decide`` and the self-service verbs ``join``, ``request``, ``leave``.
  Pass ``member=`` with ``members/update`` when adding someone: guests are checked against the
  tenant's "members can add guests" setting.
- a ``GroupSpec``: ``create`` / ``createAsOwner``.
- a ``JoinRequest``: ``cancel`` (its requester) or anything else (deciding it: ``requests/decide``).
- nothing, or one tenant-owned object (a custom role, a user ...): a tenant permission from
  ``portal.roles`` (``AUDIT_READ``, ``SETTINGS_UPDATE`` ...) or ``MY_GROUPS_ACCESS``.

The rules are the two tables ``GROUP_RULES`` and ``TENANT_RULES`` below, read top to bottom:
guards (deleted, synced), then role grants, then owners, then every user; and for actions that change
who is in a group, privilege dominance (``_dominance``): nobody adds anyone to a group that confers
roles the actor doesn't hold.

Grants are loaded once per actor object, that is once per HTTP request (a handful of queries): a
revoked role or a removed ownership is refused on the very next request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied

from portal import roles
from portal.models import OwnerAssigners, Plan

if TYPE_CHECKING:
    from groups.models import Group
    from portal.models import User

MY_GROUPS_ACCESS = "myGroups/access"
# Tenant action: administrators are exempt from the group naming policy (Entra's admin override).
NAMING_POLICY_EXEMPT = "groups/namingPolicy/exempt"
# What lets an ordinary user create a group (no role): such a creator becomes its first owner.
USERS_CAN_CREATE = "Tenant setting: users can create groups"
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


# --- what the actor holds ------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    permission: str
    scope_group_id: Any  # None: the whole tenant
    source: str  # the role's display name
    privileged: bool


class AppActor:
    """An application calling the JSON API with an app token: a service principal holding one built-in
    role. It owns nothing, belongs to nothing and has no self-service rights: only its role's grants
    allow anything (see ``decide``)."""

    is_authenticated = True
    is_anonymous = False
    is_guest = False

    def __init__(self, *, service_principal: Any, role: str) -> None:
        self.service_principal = service_principal
        self.role = role
        self.id = self.pk = service_principal.pk
        self.tenant = service_principal.tenant
        self.tenant_id = service_principal.tenant_id
        self.display_name = service_principal.display_name

    @property
    def is_active(self) -> bool:
        return self.service_principal.account_enabled and self.role in roles.BUILTIN_ROLES

    def __str__(self) -> str:
        return self.display_name


def acting_user(actor: Any) -> User | None:
    """The user behind an actor, for "created by" and "added by" columns: None for an app."""
    return None if isinstance(actor, AppActor) else actor


class ActorContext:
    """What the actor holds, loaded once (three queries) and kept on the actor object.

    ``conferred`` maps each live role-assignable group that holds roles to the grants its members
    get: what privilege dominance compares the actor's own grants with.
    """

    def __init__(self, actor: User) -> None:
        from django.db.models import Q

        from groups.models import Membership, Ownership
        from portal.models import RoleAssignment

        self.tenant = actor.tenant
        self.settings = group_settings_for(actor.tenant)
        if isinstance(actor, AppActor):
            # An app holds its token's built-in role, tenant-wide; it owns and belongs to nothing.
            role = roles.BUILTIN_ROLES[actor.role]
            self.owned_group_ids, self.member_group_ids = set(), set()
            self.grants = [Grant(p, None, role.display_name, role.privileged) for p in role.permissions]
            self.conferred = {}
            for assignment in RoleAssignment.objects.filter(
                tenant=actor.tenant,
                principal_group__is_assignable_to_role=True,
                principal_group__deleted_date_time=None,
            ).select_related("custom_role"):
                self.conferred.setdefault(assignment.principal_group_id, []).extend(
                    self._grants_of(assignment)
                )
            return
        self.owned_group_ids = set(Ownership.objects.filter(user=actor).values_list("group_id", flat=True))
        self.member_group_ids = set(
            Membership.objects.filter(member_user=actor).values_list("group_id", flat=True)
        )
        self.grants: list[Grant] = []
        self.conferred: dict[Any, list[Grant]] = {}
        # Roles reach a user directly or through a live role-assignable group (never any other group).
        assignments = (
            RoleAssignment.objects.filter(tenant=actor.tenant)
            .filter(
                Q(principal_user=actor)
                | Q(principal_group__is_assignable_to_role=True, principal_group__deleted_date_time=None)
            )
            .select_related("custom_role")
        )
        for assignment in assignments:
            grants = list(self._grants_of(assignment))
            if assignment.principal_group_id is not None:
                self.conferred.setdefault(assignment.principal_group_id, []).extend(grants)
            if (
                assignment.principal_user_id == actor.id
                or assignment.principal_group_id in self.member_group_ids
            ):
                self.grants.extend(grants)

    def _grants_of(self, assignment):
        if assignment.builtin_role:
            role = roles.BUILTIN_ROLES.get(assignment.builtin_role)
            if role is None:
                return
            perms, name, privileged = role.permissions, role.display_name, role.privileged
        else:
            if not self.tenant.is_premium:  # custom roles are a P1 feature
                return
            perms, name, privileged = (
                assignment.custom_role.permissions,
                assignment.custom_role.display_name,
                False,
            )
        for permission in perms:
            yield Grant(permission, assignment.scope_group_id, name, privileged)

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


# --- which catalog permissions cover a group ------------------------------------------------------


def group_subtypes(group: Group | GroupSpec) -> list[str]:
    """The catalog subtypes that cover this group (none for role-assignable groups).

    ``groups`` covers every kind managed here (distribution lists included), ``.security`` security
    and mail-enabled security groups, ``.unified`` Microsoft 365 groups; ``.assignedMembership`` only
    groups of assigned membership.
    """
    from groups.models import GroupKind, MembershipType

    if group.is_assignable_to_role:
        return []
    subtypes = ["groups"]
    assigned = group.membership_type == MembershipType.ASSIGNED
    family = {
        GroupKind.MICROSOFT_365: "groups.unified",
        GroupKind.SECURITY: "groups.security",
        GroupKind.MAIL_ENABLED_SECURITY: "groups.security",
    }.get(group.kind)
    if family:
        subtypes += [family, f"{family}.assignedMembership"] if assigned else [family]
    return subtypes


def _role_grants(ctx: ActorContext, group: Group | GroupSpec, action: str) -> list[str]:
    """Roles of the actor that allow ``action`` on ``group``.

    Role-assignable groups: seed 003's reads include them; every change is reserved to the roles
    holding ``ROLE_ASSIGNABLE_GROUPS_MANAGE`` (Global and Privileged Role Administrators).
    """
    group_id = None if isinstance(group, GroupSpec) else group.id
    actions = [action] + ([IMPLIED_BY[action]] if action in IMPLIED_BY else [])
    if group.is_assignable_to_role:
        if action in roles.READ_ACTIONS:
            return [n for a in actions for n in ctx.holders(f"{roles.PREFIX}groups/{a}", group_id)]
        return ctx.holders(roles.ROLE_ASSIGNABLE_GROUPS_MANAGE, group_id)
    return [
        name
        for subtype in group_subtypes(group)
        for a in actions
        for name in ctx.holders(f"{roles.PREFIX}{subtype}/{a}", group_id)
    ]


# --- the checks the tables name: each returns the decision for owners or for every user ----------

Check = Callable[["User", ActorContext, "Group", Any], Decision]


def _yes(actor, ctx, group, member) -> Decision:
    return _allow("Group owner")


def _may_browse(actor, ctx, group, member) -> Decision:
    if (
        actor.is_guest
        and group.id not in ctx.member_group_ids
        and not ctx.settings.allow_guests_to_access_groups
    ):
        return _deny("Guests can't browse groups in this organization.")
    return _allow("Every user of the tenant")


def _may_see_members(actor, ctx, group, member) -> Decision:
    from groups.models import Visibility

    if group.visibility == Visibility.HIDDEN_MEMBERSHIP and group.id not in ctx.member_group_ids:
        return _deny("This group's membership is hidden.")
    return _may_browse(actor, ctx, group, member)


def _may_change_owned(actor, ctx, group, member) -> Decision:
    """Seed 002: with "users can create … groups" = No, owners can't change their groups (they still
    manage members and requests)."""
    from groups.models import GroupKind

    if group.is_assignable_to_role:
        return _deny("Only Global and Privileged Role Administrators change role-assignable groups.")
    if group.kind not in (GroupKind.SECURITY, GroupKind.MICROSOFT_365):
        return _deny("Only administrators change groups of this kind.")
    if not _users_may_create(ctx, group.kind):
        return _deny("Your organization doesn't let users create or change groups of this kind.")
    return _allow("Group owner")


def _may_manage_members(actor, ctx, group, member) -> Decision:
    if group.is_dynamic:
        return _deny("Membership of a dynamic group is set by its rule.")
    if _is_guest(member) and not ctx.settings.allow_to_add_guests:
        return _deny("Your organization doesn't let owners add guests to groups.")
    return _allow("Group owner")


def _may_assign_owners(actor, ctx, group, member) -> Decision:
    policy = ctx.settings.owners_who_can_assign_owners
    if group.is_assignable_to_role:
        return _deny(
            "Only Global and Privileged Role Administrators change owners of role-assignable groups."
        )
    if policy == OwnerAssigners.NONE:
        return _deny("Your organization doesn't let owners add owners.")
    if (
        policy == OwnerAssigners.SELECTED
        and ctx.settings.owner_assigners_group_id not in ctx.member_group_ids
    ):
        return _deny("Only selected users may make members owners.")
    return _allow("Group owner")


def _may_decide_requests(actor, ctx, group, member) -> Decision:
    if not ctx.settings.owners_can_manage_requests:
        return _deny("Owners can't manage membership requests in this organization.")
    return _allow("Group owner")


def _may_join(actor, ctx, group, member) -> Decision:
    from groups.models import JoinPolicy

    if (refusal := _self_service_refusal(actor, ctx, group)) is not None:
        return refusal
    if group.join_policy == JoinPolicy.OPEN:
        return _allow("Open group")
    if group.join_policy == JoinPolicy.OWNER_APPROVAL:
        return _deny("This group needs an owner's approval: send a request.")
    return _deny("Only owners add members.")


def _may_request(actor, ctx, group, member) -> Decision:
    from groups.models import JoinPolicy

    if (refusal := _self_service_refusal(actor, ctx, group)) is not None:
        return refusal
    if group.join_policy == JoinPolicy.OPEN:
        return _deny("This group is open: join it directly.")
    if group.join_policy == JoinPolicy.CLOSED:
        return _deny("Only owners add members.")
    if not ctx.tenant.is_premium:
        return _deny("Requests to join need Microsoft Entra ID P1 or P2.")
    if not ctx.settings.owners_can_manage_requests:
        return _deny("This organization doesn't accept membership requests in My Groups.")
    return _allow("Owner approval group")


def _may_leave(actor, ctx, group, member) -> Decision:
    if group.id not in ctx.member_group_ids:
        return _deny("You're not a direct member of this group.")
    if group.is_dynamic:
        return _deny("Membership of this group is set by a rule.")
    return _allow("Every member")


# --- the rules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    via: str | None  # the catalog action whose role grants allow this; None: no role does
    owners: Check | None  # owners of the group may, as this check decides
    anyone: Check | None  # every user of the tenant may, as this check decides
    writes: bool = True  # a change: refused on synced groups, its refusal audited
    membership: bool = False  # changes who gets the group's rights: privilege dominance applies
    when_deleted: bool = False  # also allowed on a soft-deleted group


_ = None
# fmt: off
GROUP_RULES: dict[str, Rule] = {
    # action                         roles via                            owners may            anyone may        writes member deleted
    "standard/read":                 Rule("standard/read",                _yes,                 _may_browse,      False, False, True),
    "allProperties/read":            Rule("allProperties/read",           _yes,                 _may_browse,      False, False, True),
    "memberOf/read":                 Rule("memberOf/read",                _yes,                 _may_browse,      False, False, False),
    "owners/read":                   Rule("owners/read",                  _yes,                 _may_browse,      False, False, False),
    "members/read":                  Rule("members/read",                 _yes,                 _may_see_members, False, False, False),
    "basic/update":                  Rule("basic/update",                 _may_change_owned,    _,                True,  False, False),
    "classification/update":         Rule("classification/update",        _may_change_owned,    _,                True,  False, False),
    "allProperties/update":          Rule("allProperties/update",         _may_change_owned,    _,                True,  False, False),
    "dynamicMembershipRule/update":  Rule("dynamicMembershipRule/update", _may_change_owned,    _,                True,  True,  False),
    "delete":                        Rule("delete",                       _may_change_owned,    _,                True,  False, True),
    "restore":                       Rule("delete",                       _,                    _,                True,  False, True),
    "members/update":                Rule("members/update",               _may_manage_members,  _,                True,  True,  False),
    "owners/update":                 Rule("owners/update",                _may_assign_owners,   _,                True,  True,  False),
    "requests/decide":               Rule("members/update",               _may_decide_requests, _,                True,  True,  False),
    "join":                          Rule(_,                              _,                    _may_join,        True,  True,  False),
    "request":                       Rule(_,                              _,                    _may_request,     True,  True,  False),
    "leave":                         Rule(_,                              _,                    _may_leave,       True,  False, False),
    # Expiration policy: owners renew their groups, and so do administrators who may update them.
    "renew":                         Rule("basic/update",                 _yes,                 _,                True,  False, False),
}
# Tenant actions: role grants decide, except these, which every (member) user also has.
TENANT_RULES: dict[str, Callable[[User, ActorContext], Decision]] = {
    MY_GROUPS_ACCESS: lambda actor, ctx: (
        _allow("My Groups") if not ctx.settings.restrict_my_groups or ctx.is_group_admin
        else _deny("My Groups is turned off for your organization. Ask your administrator.")),
    # Every member reads standard user properties (the owner typeahead needs it); guests don't.
    roles.USERS_READ: lambda actor, ctx: (
        _deny("Guests can't list the users of this organization.") if actor.is_guest
        else _allow("Every member of the tenant")),
    # Administrators (a tenant-wide right to create or change groups) are exempt from the naming policy.
    NAMING_POLICY_EXEMPT: lambda actor, ctx: (
        _allow(*writes) if (writes := [
            g.source for g in ctx.grants
            if g.scope_group_id is None and g.permission.startswith(f"{roles.PREFIX}groups")
            and not g.permission.endswith("/read")])
        else _deny("The naming policy applies to you.")),
}
# fmt: on
PREMIUM_ACTIONS = {"requests/decide": "Join requests need Microsoft Entra ID P1 or P2."}


def _decide_group(actor: User, ctx: ActorContext, action: str, group: Group, member: Any) -> Decision:
    rule = GROUP_RULES.get(action)
    if rule is None:
        raise ValueError(f"unknown group action {action!r}")
    if group.is_deleted and not rule.when_deleted:
        return _deny("This group has been deleted.")
    if rule.writes and group.is_synced:
        return _deny("This group is synced from on-premises and is managed there, not here.")
    if action in PREMIUM_ACTIONS and not ctx.tenant.is_premium:
        return _deny(PREMIUM_ACTIONS[action])
    granted = _role_grants(ctx, group, rule.via) if rule.via else []
    if granted:
        decision = _allow(*granted)
    elif rule.owners and _is_owner(actor, ctx, group):
        decision = rule.owners(actor, ctx, group, member)
    elif rule.anyone:
        decision = rule.anyone(actor, ctx, group, member)
    elif rule.via == "delete" and action == "restore":
        decision = _deny("Only administrators restore deleted groups.")
    elif group.is_assignable_to_role:
        decision = _deny(
            "Only Global and Privileged Role Administrators (and its owners, for members) change "
            "role-assignable groups."
        )
    else:
        decision = _deny("Only the group's owners and administrators can do this.")
    if decision.allowed and rule.membership and (refusal := _dominance(ctx, group)) is not None:
        return refusal
    return decision


def _dominance(ctx: ActorContext, group: Group) -> Decision | None:
    """Refuse changing who is in a group that confers roles the actor doesn't hold itself.

    Holders of ``ROLES_UPDATE`` (Global and Privileged Role Administrators) can assign any role
    directly, so a group confers nothing they couldn't grant: they pass.
    """
    conferred = ctx.conferred.get(group.id)
    if not conferred or ctx.has_tenant_permission(roles.ROLES_UPDATE):
        return None
    unheld = sorted({g.source for g in conferred if not ctx.holders(g.permission, g.scope_group_id)})
    if not unheld:
        return None
    return _deny(
        f"Members of this group hold {', '.join(unheld)}: only people who hold those rights "
        "themselves can change who is in it."
    )


def _is_owner(actor: User, ctx: ActorContext, group: Group) -> bool:
    # A guest's ownership counts only while the tenant lets guests be owners.
    return group.id in ctx.owned_group_ids and (
        not actor.is_guest or ctx.settings.allow_guests_to_be_group_owner
    )


def _is_guest(member: Any) -> bool:
    return getattr(member, "user_type", None) == "Guest"


def _self_service_refusal(actor: User, ctx: ActorContext, group: Group) -> Decision | None:
    if not group.self_service_available:
        if group.is_dynamic:
            return _deny("Membership of this group is set by a rule.")
        if group.is_assignable_to_role:
            return _deny("Role-assignable groups can't be joined or requested.")
        return _deny("Self-service isn't available for mail-enabled security groups and distribution lists.")
    if group.id in ctx.member_group_ids:
        return _deny("You're already a member of this group.")
    if actor.is_guest and not ctx.settings.allow_guests_to_access_groups:
        return _deny("Guests can't join groups in this organization.")
    return None


def _users_may_create(ctx: ActorContext, kind: str) -> bool:
    from groups.models import GroupKind

    s = ctx.settings
    if kind == GroupKind.SECURITY:
        return s.users_can_create_security_groups
    if kind == GroupKind.MICROSOFT_365:
        allowed = s.group_creation_allowed_group_id
        return s.users_can_create_m365_groups and (allowed is None or allowed in ctx.member_group_ids)
    return False  # mail-enabled security and distribution groups: administrators only


def _decide_create(actor: User, ctx: ActorContext, action: str, spec: GroupSpec) -> Decision:
    from groups.models import GroupKind, MembershipType

    if spec.membership_type == MembershipType.DYNAMIC and not ctx.tenant.is_premium:
        return _deny("Dynamic membership groups need Microsoft Entra ID P1 or P2.")
    if spec.is_assignable_to_role:
        granted = ctx.holders(roles.ROLE_ASSIGNABLE_GROUPS_MANAGE)
        if granted:
            return _allow(*granted)
        return _deny(
            "Only Global Administrators and Privileged Role Administrators create role-assignable groups."
        )
    # Whoever may create may also create as owner; createAsOwner alone doesn't give create.
    granted = _role_grants(ctx, spec, action)
    if action == "createAsOwner":
        granted += _role_grants(ctx, spec, "create")
    if granted:
        return _allow(*granted)
    if spec.kind in (GroupKind.MAIL_ENABLED_SECURITY, GroupKind.DISTRIBUTION):
        return _deny(f"Only administrators create {GroupKind(spec.kind).label.lower()} groups.")
    if actor.is_guest:
        return _deny("Guests can't create groups.")
    if _users_may_create(ctx, spec.kind):
        return _allow(USERS_CAN_CREATE)
    return _deny(f"Your organization doesn't let users create {GroupKind(spec.kind).label} groups.")


def _decide_tenant(actor: User, ctx: ActorContext, action: str) -> Decision:
    granted = ctx.has_tenant_permission(action)
    if action in roles.TENANT_IMPLIED_BY:
        granted += ctx.has_tenant_permission(roles.TENANT_IMPLIED_BY[action])
    if granted:
        return _allow(*granted)
    if action in TENANT_RULES:
        return TENANT_RULES[action](actor, ctx)
    return _deny("You don't have permission to do this. Ask an administrator.")


def decide(actor: User | AppActor | None, action: str, target: Any = None, *, member: Any = None) -> Decision:
    """Answer "may ``actor`` do ``action`` to ``target``?" with the reason and what grants it."""
    decision = _decide(actor, action, target, member=member)
    if isinstance(actor, AppActor) and decision.allowed:
        # An app has no ownerships, memberships or self-service rights: only its role may allow.
        role = roles.BUILTIN_ROLES[actor.role].display_name
        if role not in decision.granted_by:
            return _deny(f"The app's role ({role}) doesn't grant this.")
    return decision


def _decide(
    actor: User | AppActor | None, action: str, target: Any = None, *, member: Any = None
) -> Decision:
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
        return _decide_group(actor, ctx, "requests/decide", target.group, member)
    if isinstance(target, Group):
        return _decide_group(actor, ctx, action, target, member)
    if target is None or action in TENANT_RULES or action.startswith(roles.PREFIX):
        # A tenant permission, about nothing or about one tenant-owned object (a role, a user ...).
        decision = _decide_tenant(actor, ctx, action)
        if (
            decision.allowed
            and action == roles.USERS_UPDATE
            and not ctx.is_privileged
            and _holds_privileged_role(target)
        ):
            return _deny(
                "Only Global Administrators and Privileged Role Administrators change the account of"
                " a privileged administrator."
            )
        return decision
    raise TypeError(f"no authorization rules for {type(target).__name__}")


def _holds_privileged_role(target: Any) -> bool:
    """Whether ``target`` is a user holding a privileged role (directly or through a role-assignable
    group): as in Entra, a User Administrator can't edit, disable or delete such an account."""
    from portal.models import User

    if not isinstance(target, User):
        return False
    return ActorContext(target).is_privileged


def can(actor: User | None, action: str, target: Any = None, *, member: Any = None) -> bool:
    return decide(actor, action, target, member=member).allowed


def is_change(action: str, target: Any = None) -> bool:
    """Whether ``action`` changes something (its refusals are audited) rather than reads."""
    if action in GROUP_RULES:
        return GROUP_RULES[action].writes
    if (
        action in ("create", "createAsOwner", "cancel")
        or target is not None
        and not action.startswith(roles.PREFIX)
    ):
        return True
    return action.rsplit("/", 1)[-1] in ("update", "create", "delete")


def authorize(actor: User | None, action: str, target: Any = None, *, member: Any = None) -> Decision:
    decision = decide(actor, action, target, member=member)
    if not decision.allowed:
        if is_change(action, target):
            from access_requests.models import JoinRequest
            from portal.refusals import record_refusal

            if isinstance(target, JoinRequest):  # logged as what it is: a decision on a group's members
                action = "cancel" if action == "cancel" else "requests/decide"
                target, member = target.group, target.requester
            record_refusal(actor=actor, action=action, target=target, member=member, reason=decision.reason)
        raise PermissionDenied(decision.reason)
    return decision


__all__ = [
    "AppActor",
    "acting_user",
    "GroupSpec",
    "Decision",
    "decide",
    "can",
    "authorize",
    "forget",
    "actor_context",
    "MY_GROUPS_ACCESS",
    "NAMING_POLICY_EXEMPT",
    "USERS_CAN_CREATE",
    "GROUP_RULES",
    "TENANT_RULES",
    "Plan",
]
