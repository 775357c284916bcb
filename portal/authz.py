"""The one authorization function: ``decide(actor, action, target)``.

Every view, service and API call asks here; nothing else checks roles. ``can`` is its boolean,
``authorize`` raises ``PermissionDenied`` with the reason and, when the refused action was a change,
records the refused attempt in the audit log (``portal.refusals``: in a transaction of its own).

Targets and actions:
- nothing, or one tenant-owned object (a custom role, a user ...): a tenant permission from
  ``portal.roles`` (``AUDIT_READ``, ``SETTINGS_UPDATE`` ...) or ``MY_GROUPS_ACCESS``; the rules are
  the table ``TENANT_RULES`` below (role grants first, then what every user has).
- the targets a feature app registers from its ``AppConfig.ready()`` with ``register_target``: the
  group rules (``Group``, ``GroupSpec``) in ``groups.authz``, the join-request rules in
  ``access_requests.authz``. What an actor holds in those apps (the groups it owns and belongs to)
  reaches its ``ActorContext`` through ``register_actor_groups``.

Grants are loaded once per actor object, that is once per HTTP request (a handful of queries): a
revoked role or a removed ownership is refused on the very next request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from portal import directory_policy, guest_policy, roles
from portal.directory_policy import EVERYTHING, UserReadAccess
from portal.models import Plan, RoleAssignment, TenantGroupSettings, User
from portal.refusals import record_refusal

if TYPE_CHECKING:
    from collections.abc import Iterable

MY_GROUPS_ACCESS = "myGroups/access"
# Tenant action: administrators are exempt from the group naming policy (Entra's admin override).
NAMING_POLICY_EXEMPT = "groups/namingPolicy/exempt"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    granted_by: tuple[str, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return self.allowed


def allow(*granted_by: str) -> Decision:
    return Decision(True, "", tuple(granted_by))


def deny(reason: str) -> Decision:
    return Decision(False, reason)


# --- what feature apps plug in (from their AppConfig.ready()) ------------------------------------

# decide(actor, ctx, action, target, member): the rules of one type of target.
Decider = Callable[[Any, "ActorContext", str, Any, Any], Decision]


@dataclass(frozen=True)
class TargetRules:
    decide: Decider
    is_change: Callable[[str], bool]  # whether the action changes something (its refusal is audited)
    # What a refusal is audited as: (action, target, member), e.g. a join request as its group.
    audited_as: Callable[[str, Any, Any], tuple[str, Any, Any]] | None


_TARGETS: dict[type, TargetRules] = {}
# The ids of the groups a user owns and of those it is a direct member of.
_ACTOR_GROUPS: list[Callable[[Any], tuple[set, set]]] = []


def _always(action: str) -> bool:
    return True


def register_target(
    target_type: type,
    decide: Decider,
    *,
    is_change: Callable[[str], bool] = _always,
    audited_as: Callable[[str, Any, Any], tuple[str, Any, Any]] | None = None,
) -> None:
    """Let ``decide`` answer for targets of ``target_type`` (registering twice replaces)."""
    _TARGETS[target_type] = TargetRules(decide, is_change, audited_as)


def register_actor_groups(loader: Callable[[Any], tuple[set, set]]) -> None:
    """``loader(user)`` gives (owned group ids, member group ids), loaded into each ActorContext."""
    if loader not in _ACTOR_GROUPS:
        _ACTOR_GROUPS.append(loader)


def _rules_for(target: Any) -> TargetRules | None:
    for target_type, rules in _TARGETS.items():
        if isinstance(target, target_type):
            return rules
    return None


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
    """The user behind an actor, for "created by" and "added by" columns: None for an app or the system."""
    return None if isinstance(actor, AppActor | str) else actor


class ActorContext:
    """What the actor holds, loaded once (three queries) and kept on the actor object.

    ``owned_group_ids`` and ``member_group_ids`` come from the registered loader (``groups``).
    ``conferred`` maps each live role-assignable group that holds roles to the grants its members
    get: what privilege dominance compares the actor's own grants with.
    """

    def __init__(self, actor: User) -> None:
        self.tenant = actor.tenant
        self.settings = group_settings_for(actor.tenant)
        self.owned_group_ids: set = set()
        self.member_group_ids: set = set()
        self.grants: list[Grant] = []
        self.conferred: dict[Any, list[Grant]] = {}
        # Roles reach a user directly or through a live role-assignable group (never any other group).
        role_groups = Q(principal_group__is_assignable_to_role=True, principal_group__deleted_date_time=None)
        if isinstance(actor, AppActor):
            # An app holds its token's built-in role, tenant-wide; it owns and belongs to nothing.
            role = roles.BUILTIN_ROLES[actor.role]
            self.grants = [Grant(p, None, role.display_name, role.privileged) for p in role.permissions]
            self._load_conferred(RoleAssignment.objects.filter(role_groups, tenant=actor.tenant))
            return
        for loader in _ACTOR_GROUPS:
            owned, member = loader(actor)
            self.owned_group_ids |= owned
            self.member_group_ids |= member
        assignments = RoleAssignment.objects.filter(tenant=actor.tenant).filter(
            Q(principal_user=actor) | role_groups
        )
        for assignment, grants in self._load_conferred(assignments):
            if (
                assignment.principal_user_id == actor.id
                or assignment.principal_group_id in self.member_group_ids
            ):
                self.grants.extend(grants)

    def _load_conferred(self, assignments) -> Iterable[tuple[RoleAssignment, list[Grant]]]:
        """Each assignment with its grants; those of groups are recorded in ``conferred``."""
        loaded = []
        for assignment in assignments.select_related("custom_role"):
            grants = list(self._grants_of(assignment))
            if assignment.principal_group_id is not None:
                self.conferred.setdefault(assignment.principal_group_id, []).extend(grants)
            loaded.append((assignment, grants))
        return loaded

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


# --- the tenant rules ----------------------------------------------------------------------------

# fmt: off
# Tenant actions: role grants decide, except these, which every (member) user also has.
TENANT_RULES: dict[str, Callable[[User, ActorContext], Decision]] = {
    MY_GROUPS_ACCESS: lambda actor, ctx: (
        allow("My Groups") if not ctx.settings.restrict_my_groups or ctx.is_group_admin
        else deny("My Groups is turned off for your organization. Ask your administrator.")),
    # Listing users (the user list, the owner typeahead, GET /users): the directory read policy.
    roles.USERS_READ: lambda actor, ctx: (
        deny(why) if (why := directory_policy.list_refusal(actor, ctx.settings))
        else allow("Every member of the tenant")),
    # Administrators (a tenant-wide right to create or change groups) are exempt from the naming policy.
    NAMING_POLICY_EXEMPT: lambda actor, ctx: (
        allow(*writes) if (writes := [
            g.source for g in ctx.grants
            if g.scope_group_id is None and g.permission.startswith(f"{roles.PREFIX}groups")
            and not g.permission.endswith("/read")])
        else deny("The naming policy applies to you.")),
}
# fmt: on


def _decide_invite(actor: User, ctx: ActorContext) -> Decision:
    """Inviting guests: the tenant's ``allowInvitesFrom`` decides, over every role (``none`` stops even
    administrators); the roles holding ``users/inviteGuest`` are the "admins and guest inviters"."""
    inviters = ctx.has_tenant_permission(roles.USERS_INVITE_GUEST)
    setting = ctx.settings.allow_invites_from
    why = guest_policy.invite_refusal(actor, setting, holds_inviter_role=bool(inviters))
    if why:
        return deny(why)
    return allow(*inviters) if inviters else allow(guest_policy.SETTING_GRANT)


def _decide_tenant(actor: User, ctx: ActorContext, action: str) -> Decision:
    if action == roles.USERS_INVITE_GUEST:
        return _decide_invite(actor, ctx)
    granted = ctx.has_tenant_permission(action)
    if action in roles.TENANT_IMPLIED_BY:
        granted += ctx.has_tenant_permission(roles.TENANT_IMPLIED_BY[action])
    if granted:
        return allow(*granted)
    if action in TENANT_RULES:
        return TENANT_RULES[action](actor, ctx)
    return deny("You don't have permission to do this. Ask an administrator.")


def decide(actor: User | AppActor | None, action: str, target: Any = None, *, member: Any = None) -> Decision:
    """Answer "may ``actor`` do ``action`` to ``target``?" with the reason and what grants it."""
    decision = _decide(actor, action, target, member=member)
    if isinstance(actor, AppActor) and decision.allowed:
        # An app has no ownerships, memberships or self-service rights: only its role may allow.
        role = roles.BUILTIN_ROLES[actor.role].display_name
        if role not in decision.granted_by:
            return deny(f"The app's role ({role}) doesn't grant this.")
    return decision


def _decide(
    actor: User | AppActor | None, action: str, target: Any = None, *, member: Any = None
) -> Decision:
    if actor is None or not actor.is_authenticated or not actor.is_active or actor.tenant_id is None:
        return deny("Sign in with an enabled account of this organization.")
    target_tenant = getattr(target, "tenant_id", None)
    if target is not None and target_tenant is not None and target_tenant != actor.tenant_id:
        return deny("Not found.")
    ctx = actor_context(actor)
    rules = _rules_for(target)
    if rules is not None:
        return rules.decide(actor, ctx, action, target, member)
    if target is None or action in TENANT_RULES or action.startswith(roles.PREFIX):
        # A tenant permission, about nothing or about one tenant-owned object (a role, a user ...).
        decision = _decide_tenant(actor, ctx, action)
        if (
            decision.allowed
            and action == roles.USERS_UPDATE
            and not ctx.is_privileged
            and _holds_privileged_role(target)
        ):
            return deny(
                "Only Global Administrators and Privileged Role Administrators change the account of"
                " a privileged administrator."
            )
        return decision
    raise TypeError(f"no authorization rules for {type(target).__name__}")


def _holds_privileged_role(target: Any) -> bool:
    """Whether ``target`` is a user holding a privileged role (directly or through a role-assignable
    group): as in Entra, a User Administrator can't edit, disable or delete such an account."""
    if not isinstance(target, User):
        return False
    return ActorContext(target).is_privileged


def user_read_access(actor: User | AppActor | None, subject: User | None = None) -> UserReadAccess:
    """Which properties of ``subject`` (None: of any other user) ``actor`` reads, by the directory read
    policy (``portal.directory_policy``): everything of their own account or with a role that reads
    users; otherwise what the tenant's switches give members and guests."""
    if (refusal := _read_refusal(actor)) is not None:
        return refusal
    if subject is not None and subject.pk == actor.pk and not isinstance(actor, AppActor):
        return EVERYTHING
    if subject is not None and subject.tenant_id != actor.tenant_id:
        return UserReadAccess(reason="Not found.")
    ctx = actor_context(actor)
    if ctx.has_tenant_permission(roles.USERS_READ):
        return EVERYTHING
    if isinstance(actor, AppActor):
        return UserReadAccess(reason=f"The app's role ({actor.role}) doesn't read users.")
    return directory_policy.other_users_access(actor, ctx.settings)


def user_read_access_for_each(actor: User | AppActor | None) -> Callable[[User], UserReadAccess]:
    """``user_read_access(actor, subject)`` for the many subjects of a list: what doesn't depend on the
    subject (the actor's grants and the tenant's policy) is decided once, not once per row."""
    if _read_refusal(actor) is not None:
        return lambda subject: user_read_access(actor, subject)
    others = user_read_access(actor)

    def access(subject: User) -> UserReadAccess:
        if subject.pk == actor.pk or subject.tenant_id != actor.tenant_id:
            return user_read_access(actor, subject)  # oneself, or another tenant's: the full answer
        return others

    return access


def _read_refusal(actor: User | AppActor | None) -> UserReadAccess | None:
    """No access at all for a signed-out, disabled or tenant-less actor."""
    if actor is None or not actor.is_authenticated or not actor.is_active or actor.tenant_id is None:
        return UserReadAccess(reason="Sign in with an enabled account of this organization.")
    return None


def can(actor: User | None, action: str, target: Any = None, *, member: Any = None) -> bool:
    return decide(actor, action, target, member=member).allowed


def is_change(action: str, target: Any = None) -> bool:
    """Whether ``action`` changes something (its refusals are audited) rather than reads."""
    rules = _rules_for(target)
    if rules is not None:
        return rules.is_change(action)
    if (
        action in ("create", "createAsOwner", "cancel")
        or target is not None
        and not action.startswith(roles.PREFIX)
    ):
        return True
    return action.rsplit("/", 1)[-1] in ("update", "create", "delete", "inviteGuest")


def authorize(actor: User | None, action: str, target: Any = None, *, member: Any = None) -> Decision:
    decision = decide(actor, action, target, member=member)
    if not decision.allowed:
        if is_change(action, target):
            rules = _rules_for(target)
            if rules is not None and rules.audited_as is not None:
                action, target, member = rules.audited_as(action, target, member)
            record_refusal(actor=actor, action=action, target=target, member=member, reason=decision.reason)
        raise PermissionDenied(decision.reason)
    return decision


__all__ = [
    "AppActor",
    "acting_user",
    "ActorContext",
    "Decision",
    "allow",
    "deny",
    "decide",
    "can",
    "authorize",
    "user_read_access",
    "forget",
    "actor_context",
    "group_settings_for",
    "register_target",
    "register_actor_groups",
    "MY_GROUPS_ACCESS",
    "NAMING_POLICY_EXEMPT",
    "TENANT_RULES",
    "Plan",
]
