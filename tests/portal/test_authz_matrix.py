"""The permission matrix: every catalog permission × every group subtype × the built-in roles and a
custom role at tenant scope, at the group's own scope and at another group's scope.

The expected answers come from the tables below, written from seed 003 independently of
portal.authz: which subtypes cover which kind of group, what each built-in role holds. They are
checked against decide() for every combination, and through the real services and views for the
actions that have them (each principal as a fresh request would load it).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from groups.authz import GroupSpec
from groups.models import GroupKind, MembershipType
from groups.services import (
    ServiceError,
    group_create,
    group_soft_delete,
    group_update,
    membership_add,
    membership_remove,
    ownership_add,
    ownership_remove,
)
from portal import roles
from portal.authz import decide
from portal.models import CustomRole, RoleAssignment, User
from tests import factories

pytestmark = pytest.mark.django_db

P = roles.PREFIX
ACTIONS = list(roles.GROUP_ACTIONS)  # create, createAsOwner, delete, reads ..., owners/update
READS = {"allProperties/read", "standard/read", "members/read", "memberOf/read", "owners/read"}
IMPLIED = {  # seed 003: "all properties" includes the narrower property rights
    "standard/read": "allProperties/read",
    "basic/update": "allProperties/update",
    "classification/update": "allProperties/update",
    "dynamicMembershipRule/update": "allProperties/update",
}


@dataclass(frozen=True)
class Kind:
    key: str
    kind: str
    membership_type: str = MembershipType.ASSIGNED
    role_assignable: bool = False
    synced: bool = False
    covered_by: frozenset = frozenset()  # the catalog subtypes whose permissions reach it


SEC = frozenset({"groups", "groups.security", "groups.security.assignedMembership"})
M365 = frozenset({"groups", "groups.unified", "groups.unified.assignedMembership"})
KINDS = [
    Kind("security", GroupKind.SECURITY, covered_by=SEC),
    Kind(
        "security-dynamic",
        GroupKind.SECURITY,
        MembershipType.DYNAMIC,
        covered_by=frozenset({"groups", "groups.security"}),
    ),
    Kind("m365", GroupKind.MICROSOFT_365, covered_by=M365),
    Kind(
        "m365-dynamic",
        GroupKind.MICROSOFT_365,
        MembershipType.DYNAMIC,
        covered_by=frozenset({"groups", "groups.unified"}),
    ),
    Kind("role-assignable", GroupKind.SECURITY, role_assignable=True),  # no subtype reaches it
    Kind("mail-enabled", GroupKind.MAIL_ENABLED_SECURITY, covered_by=SEC),
    Kind("distribution", GroupKind.DISTRIBUTION, covered_by=frozenset({"groups"})),
    Kind("synced", GroupKind.SECURITY, synced=True, covered_by=SEC),
]

# What each built-in role holds over groups, by catalog action on the ``groups`` subtype; and whether it
# manages role-assignable groups.
ALL = set(ACTIONS)
BUILTIN = {
    "globalAdministrator": (ALL, True),
    "privilegedRoleAdministrator": (READS, True),
    "groupsAdministrator": (ALL, False),
    "userAdministrator": (ALL, False),
    "directoryReaders": (READS, False),
    "reportsReader": (set(), False),
}


def expected_by_role(held: set[str], manages_role_assignable: bool, kind: Kind, action: str) -> bool:
    """Whether a holder of ``held`` (full permission strings that apply at the target's scope) may do
    ``action`` on a group of ``kind`` because of that role (not as an owner or as every user)."""
    if kind.synced and action not in READS:
        return False  # synced groups are managed on-premises: read-only here, for everyone
    wanted = {action, IMPLIED.get(action, action)}
    if action == "createAsOwner":
        wanted.add("create")  # who may create may create as owner
    if kind.role_assignable:
        if action in READS:
            return any(f"{P}groups/{a}" in held for a in wanted)  # reads include role-assignable groups
        return manages_role_assignable
    if action in ("create", "createAsOwner") and kind.membership_type == MembershipType.DYNAMIC:
        # Entra: creating a dynamic group writes its rule, which needs the rule right too (issue 10).
        rule = expected_by_role(held, manages_role_assignable, kind, "dynamicMembershipRule/update")
        if not rule:
            return False
    return any(f"{P}{sub}/{a}" in held for sub in kind.covered_by for a in wanted)


def baseline(kind: Kind, action: str) -> bool:
    """What a member of the tenant who holds no role and owns nothing may do (Entra's default user
    permissions: read every public group's properties, members and owners)."""
    return action in READS


# --- the world of one test: a target group of one kind and every principal ---------------------


@dataclass
class World:
    tenant: object
    target: object
    builtins: dict  # role key -> user
    custom: dict  # (permission, scope) -> user; scope "tenant" | "this" | "other"


def build_world(kind: Kind) -> World:
    tenant = factories.TenantFactory()
    s = tenant.group_settings
    s.users_can_create_security_groups = s.users_can_create_m365_groups = False  # no baseline create
    s.save()
    target = factories.GroupFactory(
        tenant=tenant,
        kind=kind.kind,
        membership_type=kind.membership_type,
        is_assignable_to_role=kind.role_assignable,
        source="synced" if kind.synced else "cloud",
        display_name=f"Target {kind.key}",
    )
    elsewhere = factories.GroupFactory(tenant=tenant, display_name="Elsewhere")
    builtins = {key: factories.UserFactory(tenant=tenant, role=key) for key in BUILTIN}
    perms = list(roles.GROUP_PERMISSIONS)
    custom_roles = CustomRole.objects.bulk_create(
        CustomRole(tenant=tenant, display_name=f"Only {p}", permissions=[p]) for p in perms
    )
    scopes = {"tenant": None, "this": target, "other": elsewhere}
    users = User.objects.bulk_create(
        User(
            tenant=tenant,
            user_principal_name=f"{i}.{scope}.{tenant.slug}@example.test",
            display_name=f"Holder {i} {scope}",
        )
        for i, scope in itertools.product(range(len(perms)), scopes)
    )
    custom = {}
    assignments = []
    for user, (i, scope) in zip(users, itertools.product(range(len(perms)), scopes), strict=True):
        custom[(perms[i], scope)] = user
        assignments.append(
            RoleAssignment(
                tenant=tenant, custom_role=custom_roles[i], principal_user=user, scope_group=scopes[scope]
            )
        )
    RoleAssignment.objects.bulk_create(assignments)
    return World(tenant, target, builtins, custom)


def fresh(user: User) -> User:
    return User.objects.select_related("tenant", "tenant__group_settings").get(pk=user.pk)


@dataclass(frozen=True)
class Principal:
    label: str
    user: User
    permission: str | None  # the custom role's one permission; None for a built-in role
    scope: str  # "tenant", "this" (the target group) or "other" (another group)
    held: frozenset  # permissions that apply on the target group
    manages_role_assignable: bool = False

    def held_for_create(self) -> frozenset:
        return self.held if self.scope == "tenant" else frozenset()  # a group scope creates nothing


def principals(world: World):
    for key, user in world.builtins.items():
        actions, manages = BUILTIN[key]
        yield Principal(key, user, None, "tenant", frozenset(f"{P}groups/{a}" for a in actions), manages)
    for (permission, scope), user in world.custom.items():
        held = frozenset({permission} if scope != "other" else ())
        yield Principal(f"custom {permission} @{scope}", user, permission, scope, held)


KIND_IDS = [k.key for k in KINDS]


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_it_decides_every_permission_on_every_subtype_as_the_table_says(kind):
    world = build_world(kind)
    mismatches = []
    for who in principals(world):
        role_names = {r.display_name for r in roles.BUILTIN_ROLES.values()} | {f"Only {who.permission}"}
        for action in ACTIONS:
            if action in ("create", "createAsOwner"):
                if kind.synced:
                    continue  # nobody creates a synced group here
                target = GroupSpec(kind.kind, kind.membership_type, kind.role_assignable)
                by_role = expected_by_role(who.held_for_create(), who.manages_role_assignable, kind, action)
                allowed = by_role  # the tenant lets no user create groups on their own
            else:
                target = world.target
                by_role = expected_by_role(who.held, who.manages_role_assignable, kind, action)
                allowed = by_role or baseline(kind, action)
            decision = decide(who.user, action, target)
            granted_by_role = bool(set(decision.granted_by) & role_names)
            if decision.allowed != allowed or granted_by_role != by_role:
                mismatches.append((who.label, action, decision))
    assert mismatches == [], "\n".join(map(str, mismatches))


# --- the same answers through the real services and views ------------------------------------


def reloaded(group):
    """The group as a new request loads it (a rolled-back call may have changed the object in memory)."""
    from groups.models import Group

    return Group.objects.select_related("tenant").get(pk=group.pk)


def service_calls(world: World, actor: User):
    """action -> a call of the real service doing it on the target."""
    tenant, target = world.tenant, reloaded(world.target)
    newcomer = factories.UserFactory(tenant=tenant)
    return {
        "members/update": lambda: membership_add(actor=actor, group=target, member=newcomer),
        "owners/update": lambda: ownership_add(actor=actor, group=target, user=newcomer),
        "basic/update": lambda: group_update(actor=actor, group=target, description="Changed"),
        "delete": lambda: group_soft_delete(actor=actor, group=target),
    }


def removal_calls(world: World, actor: User):
    _tenant, target = world.tenant, world.target
    return {
        "members/update": lambda: membership_remove(actor=actor, group=target, member=world.sitting_member),
        "owners/update": lambda: ownership_remove(actor=actor, group=target, user=world.sitting_owner),
    }


def attempt(call) -> str:
    """Run a service call and undo whatever it did: "allowed", "refused" or "invalid" (a rule of the
    group refused it, not a permission: e.g. no manual members in a dynamic group)."""
    try:
        with transaction.atomic():
            call()
            transaction.set_rollback(True)
    except PermissionDenied:
        return "refused"
    except ServiceError:
        return "invalid"
    return "allowed"


SERVICE_PERMISSIONS = [
    f"{P}{sub}/{action}"
    for sub in roles.SUBTYPES
    for action in ("members/update", "owners/update", "basic/update", "delete", "create", "createAsOwner")
]


def service_principals(world: World):
    """The built-in roles, and custom roles of the services' actions (another group's scope: only for
    the broadest subtype, which would reach the target if the scope were ignored)."""
    return [
        w
        for w in principals(world)
        if w.permission is None
        or (
            w.permission in SERVICE_PERMISSIONS
            and (w.scope != "other" or roles.split(w.permission)[0] == "groups")
        )
    ]


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_it_gives_the_same_answers_through_the_services(kind):
    world = build_world(kind)
    world.sitting_member = factories.UserFactory(tenant=world.tenant)
    world.sitting_owner = factories.UserFactory(tenant=world.tenant)
    from groups.models import Membership, Ownership

    if kind.membership_type != MembershipType.DYNAMIC:
        Membership.objects.create(group=world.target, member_user=world.sitting_member)
    Ownership.objects.create(group=world.target, user=world.sitting_owner)
    # A second owner, so the sitting one is never the last (the service keeps the last owner).
    Ownership.objects.create(group=world.target, user=factories.UserFactory(tenant=world.tenant))
    mismatches = []
    for who in service_principals(world):
        actor = fresh(who.user)
        for action, call in [*service_calls(world, actor).items(), *removal_calls(world, actor).items()]:
            expected = expected_by_role(who.held, who.manages_role_assignable, kind, action)
            outcome = attempt(call)
            if (outcome == "refused") == expected:
                mismatches.append((who.label, action, outcome))
            dynamic_members = kind.membership_type == MembershipType.DYNAMIC and action == "members/update"
            if outcome == "invalid" and not dynamic_members:
                mismatches.append((who.label, action, "refused by a rule of the group"))
        if kind.synced:
            continue
        for action in ("create", "createAsOwner"):
            expected = expected_by_role(who.held_for_create(), who.manages_role_assignable, kind, action)
            outcome = attempt(
                lambda actor=actor, action=action: group_create(
                    actor=actor,
                    display_name="New",
                    mail_nickname=f"new-{actor.pk.hex[:8]}",
                    kind=kind.kind,
                    membership_type=kind.membership_type,
                    membership_rule='user.department -eq "Sales"'
                    if kind.membership_type == "dynamic"
                    else "",
                    is_assignable_to_role=kind.role_assignable,
                    as_owner=action == "createAsOwner",
                )
            )
            if (outcome == "allowed") != expected:
                mismatches.append((who.label, action, outcome))
    assert mismatches == [], "\n".join(map(str, mismatches))


# View: url name -> (action it needs, method).
VIEWS = {
    "group_detail": ("standard/read", "get"),
    "group_members": ("members/read", "get"),
    "group_owners": ("owners/read", "get"),
    "group_edit": ("basic/update", "get"),
    "group_member_add": ("members/update", "post"),
}


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_it_gives_the_same_answers_through_the_views(client, kind):
    world = build_world(kind)
    newcomer = factories.UserFactory(tenant=world.tenant)
    mismatches = []
    # Pages are slower than decide(): the built-in roles, and custom roles of the views' actions on the
    # broadest subtype (tenant-wide) and on security groups (at this group's scope).
    wanted = {
        (f"{P}{sub}/{a}", scope)
        for a, _ in VIEWS.values()
        for sub, scope in (("groups", "tenant"), ("groups.security", "this"))
    }
    for who in principals(world):
        if who.permission is not None and (who.permission, who.scope) not in wanted:
            continue
        client.force_login(who.user)
        for name, (action, method) in VIEWS.items():
            try:
                url = reverse(name, args=[world.target.pk])
            except NoReverseMatch:
                continue
            allowed = expected_by_role(who.held, who.manages_role_assignable, kind, action) or baseline(
                kind, action
            )
            if name == "group_edit" and kind.synced:
                allowed = True  # a synced group's settings are shown read-only to whoever reads it
            if method == "get":
                status = client.get(url).status_code
            else:
                status = client.post(url, {"member": newcomer.user_principal_name}).status_code
            if (status == 403) == allowed or status >= 500:
                mismatches.append((who.label, name, status))
    assert mismatches == [], "\n".join(map(str, mismatches))
