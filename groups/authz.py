"""The group rules of the one authorization function, registered into ``portal.authz`` (see ``register``).

Targets and actions:
- a ``Group``: seed 003's catalog suffixes (``"members/update"``, ``"basic/update"`` ...) plus
  ``restore``, ``requests/decide`` and the self-service verbs ``join``, ``request``, ``leave``.
  Pass ``member=`` with ``members/update`` when adding someone: guests are checked against the
  tenant's "members can add guests" setting.
- a ``GroupSpec``: ``create`` / ``createAsOwner``.

The rules are the table ``GROUP_RULES`` below, read top to bottom: guards (deleted, synced, provisioned over SCIM), then
role grants, then owners, then every user; and for actions that change who is in a group, privilege
dominance (``_dominance``): nobody adds anyone to a group that confers roles the actor doesn't hold.
Membership rules (``dynamicMembershipRule/update``, and creating a dynamic group) come from role grants
only, as in Entra: a rule's preview and checks read other people's attributes.
Callers ask ``portal.authz.decide`` / ``authorize``, never these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from groups.models import Group, GroupKind, JoinPolicy, Membership, MembershipType, Ownership, Visibility
from portal import authz, directory_policy, roles
from portal.authz import ActorContext, Decision
from portal.authz import allow as _allow
from portal.authz import deny as _deny
from portal.models import OwnerAssigners, User

# What lets an ordinary user create a group (no role): such a creator becomes its first owner.
USERS_CAN_CREATE = "Tenant setting: users can create groups"

# Entra: only a role holding dynamicMembershipRule/update writes, previews or checks membership rules.
RULES_NEED_A_ROLE = (
    "Only administrators whose role may update membership rules (for example Groups Administrators) "
    "write, preview or check dynamic membership rules."
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

    @property
    def audit_name(self) -> str:
        """What the audit log names a refused creation by: there is no row yet."""
        return f"new {self.kind} group"


# --- what the actor holds in groups: loaded into its ActorContext -----------------------------------


def actor_groups(actor: User) -> tuple[set, set]:
    """The ids of the groups ``actor`` owns and of those it is a direct member of (two queries)."""
    owned = set(Ownership.objects.filter(user=actor).values_list("group_id", flat=True))
    member = set(Membership.objects.filter(member_user=actor).values_list("group_id", flat=True))
    return owned, member


# --- which catalog permissions cover a group ------------------------------------------------------


def group_subtypes(group: Group | GroupSpec) -> list[str]:
    """The catalog subtypes that cover this group (none for role-assignable groups).

    ``groups`` covers every kind managed here (distribution lists included), ``.security`` security
    and mail-enabled security groups, ``.unified`` Microsoft 365 groups; ``.assignedMembership`` only
    groups of assigned membership.
    """
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
    """Guests see the groups they belong to; others only while the tenant lets guests access groups
    and their access level isn't restricted (portal.directory_policy)."""
    if (
        actor.is_guest
        and group.id not in ctx.member_group_ids
        and (
            not ctx.settings.allow_guests_to_access_groups
            or directory_policy.is_restricted_guest(actor, ctx.settings)
        )
    ):
        return _deny("Guests can't browse groups in this organization.")
    return _allow("Every user of the tenant")


def _may_see_related(actor, ctx, group, member) -> Decision:
    """Members, owners and memberOf: never for a restricted guest, even of their own groups."""
    if directory_policy.is_restricted_guest(actor, ctx.settings):
        return _deny("Guests of this organization can't see who is in a group.")
    return _may_browse(actor, ctx, group, member)


def _may_see_members(actor, ctx, group, member) -> Decision:
    if group.visibility == Visibility.HIDDEN_MEMBERSHIP and group.id not in ctx.member_group_ids:
        return _deny("This group's membership is hidden.")
    return _may_see_related(actor, ctx, group, member)


def _may_change_owned(actor, ctx, group, member) -> Decision:
    """Seed 002: with "users can create … groups" = No, owners can't change their groups (they still
    manage members and requests)."""
    if group.is_assignable_to_role:
        return _deny("Only Global and Privileged Role Administrators change role-assignable groups.")
    if group.kind not in (GroupKind.SECURITY, GroupKind.MICROSOFT_365):
        return _deny("Only administrators change groups of this kind.")
    if not _users_may_create(ctx, group.kind):
        return _deny("Your organization doesn't let users create or change groups of this kind.")
    return _allow("Group owner")


def _rules_need_a_role(actor, ctx, group, member) -> Decision:
    """Entra: writing a membership rule (and so testing it against other people's attributes) is an
    administrator's task, whoever owns the group."""
    return _deny(RULES_NEED_A_ROLE)


def _may_manage_members(actor, ctx, group, member) -> Decision:
    if group.is_dynamic:
        return _deny("Membership of a dynamic group is set by its rule.")
    return _allow("Group owner")


def _may_invite_into(actor, ctx, group, member) -> Decision:
    """Seed 000: members of a Microsoft 365 group invite guests into it, while the tenant lets owners add
    guests and guests access groups (whether they may invite at all is the tenant's invite setting,
    ``users/inviteGuest``, asked apart)."""
    if group.kind != GroupKind.MICROSOFT_365 or group.is_dynamic or group.is_assignable_to_role:
        return _deny("Only owners and administrators add guests to this group.")
    if group.id not in ctx.member_group_ids and group.id not in ctx.owned_group_ids:
        return _deny("Only members of this group invite guests into it.")
    if not (ctx.settings.allow_to_add_guests and ctx.settings.allow_guests_to_access_groups):
        return _deny("Your organization doesn't let members add guests to groups.")
    return _allow("Member of a Microsoft 365 group")


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
    if (refusal := _self_service_refusal(actor, ctx, group)) is not None:
        return refusal
    if group.join_policy == JoinPolicy.OPEN:
        return _allow("Open group")
    if group.join_policy == JoinPolicy.OWNER_APPROVAL:
        return _deny("This group needs an owner's approval: send a request.")
    return _deny("Only owners add members.")


def _may_request(actor, ctx, group, member) -> Decision:
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
    "memberOf/read":                 Rule("memberOf/read",                _yes,                 _may_see_related, False, False, False),
    "owners/read":                   Rule("owners/read",                  _yes,                 _may_see_related, False, False, False),
    "members/read":                  Rule("members/read",                 _yes,                 _may_see_members, False, False, False),
    "basic/update":                  Rule("basic/update",                 _may_change_owned,    _,                True,  False, False),
    "classification/update":         Rule("classification/update",        _may_change_owned,    _,                True,  False, False),
    "allProperties/update":          Rule("allProperties/update",         _may_change_owned,    _,                True,  False, False),
    "dynamicMembershipRule/update":  Rule("dynamicMembershipRule/update", _,                    _rules_need_a_role, True, True, False),
    "delete":                        Rule("delete",                       _may_change_owned,    _,                True,  False, True),
    "restore":                       Rule("delete",                       _,                    _,                True,  False, True),
    "members/update":                Rule("members/update",               _may_manage_members,  _,                True,  True,  False),
    # An invited guest put into the group at once (pass member=): owners and admins as for members/update.
    "guests/invite":                 Rule("members/update",               _may_manage_members,  _may_invite_into, True,  True,  False),
    "owners/update":                 Rule("owners/update",                _may_assign_owners,   _,                True,  True,  False),
    "requests/decide":               Rule("members/update",               _may_decide_requests, _,                True,  True,  False),
    "join":                          Rule(_,                              _,                    _may_join,        True,  True,  False),
    "request":                       Rule(_,                              _,                    _may_request,     True,  True,  False),
    "leave":                         Rule(_,                              _,                    _may_leave,       True,  False, False),
    # Expiration policy: owners renew their groups, and so do administrators who may update them.
    "renew":                         Rule("basic/update",                 _yes,                 _,                True,  False, False),
}
# fmt: on
PREMIUM_ACTIONS = {"requests/decide": "Join requests need Microsoft Entra ID P1 or P2."}


def decide_group(actor: User, ctx: ActorContext, action: str, group: Group, member: Any = None) -> Decision:
    rule = GROUP_RULES.get(action)
    if rule is None:
        raise ValueError(f"unknown group action {action!r}")
    if group.is_deleted and not rule.when_deleted:
        return _deny("This group has been deleted.")
    if rule.writes and group.is_synced:
        return _deny("This group is synced from on-premises and is managed there, not here.")
    if rule.writes and group.is_provisioned and not _is_provisioner(actor, group):
        return _deny(PROVISIONED_REFUSAL)
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
    if (
        decision.allowed
        and action in GUEST_ADDS
        and (refusal := _guest_refusal(actor, ctx, group, action, member)) is not None
    ):
        return refusal
    if decision.allowed and rule.membership and (refusal := _dominance(ctx, group)) is not None:
        return refusal
    return decision


PROVISIONED_REFUSAL = (
    "This group is provisioned by an identity provider (SCIM) and is managed there, not here."
)


def _is_provisioner(actor: Any, group: Group) -> bool:
    """The app whose SCIM requests made the group: the only writer of a provisioned group."""
    app = getattr(actor, "service_principal", None)
    return app is not None and app.pk == group.provisioned_by_id


# Every path that puts a user into a group: an owner's or an API add (one or many), approving a request,
# joining and asking to join.
GUEST_ADDS = frozenset({"members/update", "guests/invite", "requests/decide", "join", "request"})


def _guest_refusal(actor: User, ctx: ActorContext, group: Group, action: str, member: Any) -> Decision | None:
    """The tenant's "members can add guests" (AllowToAddGuests) on every path into a group, and the
    group's own (its Group.Unified.Guest settings: the tenant's "no" wins).

    Off, a guest gets in only through an administrator: a role that updates this group's members
    (Groups, User and Global Administrators ... as Entra exempts them). Owners can't add or approve
    guests, and a guest can't let itself in by joining an open group or asking to join.
    """
    newcomer = actor if action in ("join", "request") else member
    if not _is_guest(newcomer) or (
        ctx.settings.allow_to_add_guests and getattr(group, "allows_guests", True)
    ):
        return None
    if _role_grants(ctx, group, "members/update"):
        return None
    if not ctx.settings.allow_to_add_guests:
        if newcomer is actor:
            return _deny("Your organization doesn't let guests join groups themselves: ask an administrator.")
        return _deny("Your organization doesn't let owners add guests to groups: only administrators can.")
    return _deny(
        "This group doesn't take guests (its AllowToAddGuests setting): only administrators add them."
    )


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
    s = ctx.settings
    if kind == GroupKind.SECURITY:
        return s.users_can_create_security_groups
    if kind == GroupKind.MICROSOFT_365:
        allowed = s.group_creation_allowed_group_id
        return s.users_can_create_m365_groups and (allowed is None or allowed in ctx.member_group_ids)
    return False  # mail-enabled security and distribution groups: administrators only


def decide_create(
    actor: User, ctx: ActorContext, action: str, spec: GroupSpec, member: Any = None
) -> Decision:
    if spec.membership_type == MembershipType.DYNAMIC and not ctx.tenant.is_premium:
        return _deny("Dynamic membership groups need Microsoft Entra ID P1 or P2.")
    if spec.membership_type == MembershipType.DYNAMIC and not _role_grants(
        ctx, spec, "dynamicMembershipRule/update"
    ):
        return _deny(f"Creating a dynamic membership group writes its rule. {RULES_NEED_A_ROLE}")
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


def register() -> None:
    """Plug the group rules into ``portal.authz`` (from ``GroupsConfig.ready``)."""
    authz.register_target(Group, decide_group, is_change=lambda action: GROUP_RULES[action].writes)
    authz.register_target(GroupSpec, decide_create)
    authz.register_actor_groups(actor_groups)


__all__ = [
    "GROUP_RULES",
    "GroupSpec",
    "IMPLIED_BY",
    "PREMIUM_ACTIONS",
    "RULES_NEED_A_ROLE",
    "Rule",
    "USERS_CAN_CREATE",
    "actor_groups",
    "decide_create",
    "decide_group",
    "group_subtypes",
    "register",
]
