"""Tenant-scoped reads of groups and their nesting.

Transitive questions are answered by one recursive query each (``WITH RECURSIVE``, which SQLite and
PostgreSQL both speak), so a page's query count doesn't grow with nesting depth.
"""

from __future__ import annotations

import itertools
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from groups.models import Group, GroupKind, Membership, MembershipType, Ownership, Visibility
from portal import directory_policy
from portal import selectors as portal_selectors
from portal.authz import AppActor, actor_context, authorize, can
from portal.lookups import ArrayText
from portal.models import Tenant, User, UserType
from portal.selectors import DirectoryHit


def _db_id(value: Any) -> Any:
    """A UUID as the database stores it (hex text on SQLite, uuid on PostgreSQL)."""
    return Group._meta.pk.get_db_prep_value(value, connection)


_UP_SQL = """
WITH RECURSIVE up(group_id) AS (
    SELECT group_id FROM groups_membership WHERE {column} = %s
    UNION
    SELECT m.group_id FROM groups_membership m JOIN up ON m.member_group_id = up.group_id
)
SELECT group_id FROM up
"""

_DOWN_SQL = """
WITH RECURSIVE down(group_id) AS (
    SELECT member_group_id FROM groups_membership WHERE group_id = %s AND member_group_id IS NOT NULL
    UNION
    SELECT m.member_group_id FROM groups_membership m JOIN down ON m.group_id = down.group_id
    WHERE m.member_group_id IS NOT NULL
)
SELECT group_id FROM down
"""


def _uuid(value: Any):
    return value if isinstance(value, UUID) else UUID(str(value))


def _member_column(member: Any) -> str:
    return {
        "User": "member_user_id",
        "Group": "member_group_id",
        "Device": "member_device_id",
        "ServicePrincipal": "member_service_principal_id",
    }[member._meta.object_name]


def transitive_group_ids(member: Any) -> set:
    """Ids of every group ``member`` (a user, group, device or service principal) belongs to,
    directly or through nesting."""
    with connection.cursor() as cursor:
        cursor.execute(_UP_SQL.format(column=_member_column(member)), [_db_id(member.pk)])
        return {_uuid(row[0]) for row in cursor.fetchall()}


def transitive_group_ids_for_any_of(member: Any) -> set | ArrayText:
    """The ids of ``transitive_group_ids``, for ``id__any_of`` only: on PostgreSQL the array as the
    database writes it, handed back untouched (a member of a thousand groups: no UUID object, set entry
    and conversions per id, 2-3 ms of discover's page); elsewhere the set."""
    if connection.vendor != "postgresql":
        return transitive_group_ids(member)
    walk = _UP_SQL.format(column=_member_column(member))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT array_agg(group_id)::text FROM ({walk}) AS reached", [_db_id(member.pk)])
        return ArrayText(cursor.fetchone()[0] or "{}")


def transitive_group_ids_subquery(member: Any) -> RawSQL:
    """The ids of ``transitive_group_ids`` as a subquery, for ``filter(id__in=...)`` or ``id__any_of`` (the
    ids as an array built first, each group then probed by its key): the database walks the nesting
    inside the page's own query. For a member of a thousand groups that is a short statement
    instead of a thousand parameters, which Django and the driver turn into text one by one on every query
    (measured: a /my/groups/ page of such a member spent 15 ms of Python on them)."""
    return RawSQL(_UP_SQL.format(column=_member_column(member)), [_db_id(member.pk)])


_IS_IN_SQL = """
WITH RECURSIVE up(group_id) AS (
    SELECT group_id FROM groups_membership WHERE {column} = %s
    UNION
    SELECT m.group_id FROM groups_membership m JOIN up ON m.member_group_id = up.group_id
)
SELECT 1 FROM up WHERE group_id = %s LIMIT 1
"""


def is_transitive_member(member: Any, group: Group) -> bool:
    """Whether ``member`` is in ``group``, directly or through nesting. PostgreSQL walks the recursive
    query only as far as the first row asked for: the walk up stops at ``group``."""
    column = {
        "User": "member_user_id",
        "Group": "member_group_id",
        "Device": "member_device_id",
        "ServicePrincipal": "member_service_principal_id",
    }[member._meta.object_name]
    with connection.cursor() as cursor:
        cursor.execute(_IS_IN_SQL.format(column=column), [_db_id(member.pk), _db_id(group.pk)])
        return cursor.fetchone() is not None


def nested_group_ids(group: Group) -> set:
    """Ids of every group nested inside ``group``, at any depth."""
    with connection.cursor() as cursor:
        cursor.execute(_DOWN_SQL, [_db_id(group.pk)])
        return {_uuid(row[0]) for row in cursor.fetchall()}


_MEMBERS_SQL = """
WITH RECURSIVE down(group_id) AS (
    SELECT %s
    UNION
    SELECT m.member_group_id FROM groups_membership m JOIN down ON m.group_id = down.group_id
    WHERE m.member_group_id IS NOT NULL
)
SELECT DISTINCT member_user_id FROM groups_membership
WHERE group_id IN (SELECT group_id FROM down) AND member_user_id IS NOT NULL
"""


def transitive_member_user_ids(group: Group) -> set:
    """Ids of every user in ``group``, directly or through nested groups: one recursive query."""
    with connection.cursor() as cursor:
        cursor.execute(_MEMBERS_SQL, [_db_id(group.pk)])
        return {_uuid(row[0]) for row in cursor.fetchall()}


# --- what a transitive list may show: only through groups whose members the reader may see ---------

_DOWN_EDGES_SQL = """
WITH RECURSIVE down(parent_id, child_id) AS (
    SELECT group_id, member_group_id FROM groups_membership
    WHERE group_id = %s AND member_group_id IS NOT NULL
    UNION
    SELECT m.group_id, m.member_group_id FROM groups_membership m JOIN down ON m.group_id = down.child_id
    WHERE m.member_group_id IS NOT NULL
)
SELECT parent_id, child_id FROM down
"""

_UP_EDGES_SQL = """
WITH RECURSIVE up(child_id, parent_id) AS (
    SELECT {column}, group_id FROM groups_membership WHERE {column} = %s
    UNION
    SELECT m.member_group_id, m.group_id FROM groups_membership m JOIN up ON m.member_group_id = up.parent_id
)
SELECT child_id, parent_id FROM up
"""


def _through_readable(actor: Any, start: Any, sql: str, params: list) -> set:
    """The groups reached from ``start`` along the edges ``sql`` returns (from, to), stepping only into
    groups whose members ``actor`` may read: two or three queries at any depth."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        edges = [(_uuid(a), _uuid(b)) for a, b in cursor.fetchall()]
    # The read rule as SQL (readable_groups): loading ~200 whole groups to ask ``can`` about each one
    # was most of a transitive member list's time (41 + 18 ms at 10,000 groups under load; 20 ms now).
    reached = Group.objects.filter(pk__any_of={b for _, b in edges})
    readable = set(readable_groups(actor, reached, "members/read").values_list("pk", flat=True))
    steps: dict = {}
    for a, b in edges:
        if b in readable:
            steps.setdefault(a, []).append(b)
    found: set = set()
    frontier = [start]
    while frontier:  # each edge looked at once, not once per level
        newly = {b for a in frontier for b in steps.get(a, ())} - found
        found |= newly
        frontier = list(newly)
    return found


def readable_nested_group_ids(actor: Any, group: Group) -> set:
    """Ids of the groups nested in ``group`` at any depth that ``actor`` may list the members of,
    reached only through such groups. A transitive member list shows the members of these: someone
    reached only through a group whose members the actor can't read (a hidden-membership group they
    aren't in, say) stays hidden."""
    return _through_readable(actor, _uuid(group.pk), _DOWN_EDGES_SQL, [_db_id(group.pk)]) - {group.pk}


def readable_transitive_group_ids(actor: Any, member: Any) -> set:
    """Ids of the groups ``member`` (a user, group, device or service principal) belongs to, directly or
    through nesting, as far as ``actor`` may see: every group on the way up must be one whose members
    ``actor`` may read."""
    sql = _UP_EDGES_SQL.format(column=_member_column(member))
    return _through_readable(actor, _uuid(member.pk), sql, [_db_id(member.pk)])


def nesting_path(*, start: Group, goal: Group) -> list[Group]:
    """The chain of groups from ``start`` down to ``goal`` through nesting ([] when there is none).

    Used to refuse a cycle: adding ``start`` to ``goal`` closes a loop exactly when ``goal`` is already
    nested (at any depth) inside ``start``.
    """
    if goal.pk not in nested_group_ids(start):
        return []
    # Rebuild the path level by level; only runs when a cycle is about to be refused.
    parents: dict = {start.pk: None}
    frontier = [start.pk]
    while frontier and goal.pk not in parents:
        edges = Membership.objects.filter(group_id__in=frontier, member_group__isnull=False).values_list(
            "group_id", "member_group_id"
        )
        frontier = []
        for parent, child in edges:
            if child not in parents:
                parents[child] = parent
                frontier.append(child)
    chain = []
    node = goal.pk
    while node is not None:
        chain.append(node)
        node = parents[node]
    names = Group.objects.in_bulk(chain)
    return [names[pk] for pk in reversed(chain)]


def direct_memberships(group: Group, kind: str | None = None):
    """The direct members of ``group`` with their objects, users first then by name."""
    queryset = Membership.objects.filter(group=group).select_related(
        "member_user", "member_group", "member_device", "member_service_principal", "added_by"
    )
    if kind in ("member_user", "member_group", "member_device", "member_service_principal"):
        queryset = queryset.filter(**{f"{kind}__isnull": False})
    return queryset.annotate(
        sort_name=Coalesce(
            F("member_user__display_name"),
            F("member_group__display_name"),
            F("member_device__display_name"),
            F("member_service_principal__display_name"),
        )
    ).order_by("sort_name", "id")


class DirectMemberPages:
    """A group's direct members for a paginator, users first then groups, devices and service
    principals, each in name order. Its count is the one the membership writer stores on the group (no
    COUNT over 100,000 rows); a page of users is read along the tenant's user name index, each user
    probed in the group (no sort of every member to show 50)."""

    def __init__(self, group: Group) -> None:
        self.group = group

    def count(self) -> int:
        return self.group.member_count

    def _users(self) -> QuerySet:
        return (
            Membership.objects.filter(
                group=self.group, member_user__isnull=False, member_user__tenant_id=self.group.tenant_id
            )
            .select_related("member_user", "added_by")
            .order_by("member_user__display_name", "member_user__user_principal_name")
        )

    def _others(self) -> QuerySet:
        others = Q(member_group__isnull=False) | Q(member_device__isnull=False)
        return (
            direct_memberships(self.group)
            .filter(others | Q(member_service_principal__isnull=False))
            .order_by("sort_name", "id")
        )

    def __getitem__(self, window: slice) -> list:
        """Three queries whatever the page: how many members aren't users (their partial indexes),
        the page's users, and the page's other members (at least one asked for, so always a query)."""
        start, stop = window.start or 0, window.stop
        users = self.count() - self._others().count()
        rows = list(self._users()[start:stop])
        wanted = (stop - start if stop is not None else users) - len(rows)
        skip = max(0, start - users)
        rows += list(self._others()[skip : skip + max(1, wanted)])[: max(0, wanted)]
        return rows


GUEST_PROBE_ABOVE = 1_000  # members: past this, a group's guests are counted one tenant guest at a time


def guest_member_count(group: Group, *, cap: int | None = None) -> int:
    """How many of the group's direct members are guests. A small group is counted along its members; a
    large one (100,000 members) by probing the (group, user) index for each guest of the tenant: the
    cost is the smaller of the two, never a pass over every membership of the group.

    With ``cap``, at most ``cap + 1`` guests are counted (the overview says "99+ guests"): the probes stop
    there."""
    members = Membership.objects.filter(group=group)
    if group.member_count <= GUEST_PROBE_ABOVE:
        guest_members = members.filter(member_user__user_type=UserType.GUEST)
    else:
        # The guest ids first, then one scan of the index with all of them (= ANY(ARRAY(...))): 2,001
        # guests of a 98,000-member group in 2.7 / 3.6 ms (min / median), an EXISTS per guest row 3.1 / 4.3;
        # unlike that aggregate, it can stop at the cap.
        guests = User.objects.filter(tenant_id=group.tenant_id, user_type=UserType.GUEST).values("pk")
        guest_members = members.filter(member_user__any_of=guests)
    if cap is None:
        return guest_members.count()
    return guest_members.order_by()[: cap + 1].count()


def transitive_member_users(group: Group, actor: Any):
    """Every user in ``group`` directly or through nested groups whose members ``actor`` may read
    (deleted users left out)."""
    group_ids = readable_nested_group_ids(actor, group) | {group.pk}
    member_ids = Membership.objects.filter(group_id__in=group_ids, member_user__isnull=False).values(
        "member_user_id"
    )
    return (
        User.objects.for_tenant(group.tenant)
        .filter(pk__in=member_ids, deleted_date_time__isnull=True)
        .order_by("display_name", "user_principal_name")
    )


def group_owners(group: Group):
    return (
        Ownership.objects.filter(group=group)
        .select_related("user", "added_by")
        .order_by("user__display_name")
    )


def groups_for_admin_list(actor: Any):
    """Groups of the actor's tenant for /groups/, with owner counts (one subquery; member counts are
    stored on the group).

    Administrators (a tenant-wide groups right) see every group; others see the groups they own or
    hold a role on. ``None`` when there is nothing the actor may list.
    """
    ctx = actor_context(actor)
    groups = Group.objects.for_tenant(actor.tenant)
    if not (ctx.is_group_admin or ctx.is_privileged):
        scoped = {g.scope_group_id for g in ctx.grants if g.scope_group_id is not None}
        if not ctx.owned_group_ids and not scoped:
            return None
        groups = groups.filter(Q(id__in=ctx.owned_group_ids) | Q(id__in=scoped))

    def count_of(model: Any) -> Coalesce:
        counted = (
            model.objects.filter(group=OuterRef("pk"))
            .order_by()
            .values("group")
            .annotate(n=Count("*"))
            .values("n")
        )
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    return groups.annotate(owner_count=count_of(Ownership))  # member_count is stored on the group


# --- a user's groups (the user page) and groups in the directory typeahead ------------------------


def user_groups(user: User) -> list:
    """Groups the user is in, directly or through nesting (alive only), each marked ``direct``."""
    all_ids = transitive_group_ids(user)
    groups = list(
        Group.objects.for_tenant(user.tenant).alive().filter(id__in=all_ids).order_by("display_name")
    )
    direct = set(user.memberships.values_list("group_id", flat=True))
    for group in groups:
        group.direct = group.id in direct
    return groups


def user_owned_groups(user: User) -> QuerySet:
    return Group.objects.for_tenant(user.tenant).alive().owned_by(user).order_by("display_name")


def group_hits(tenant: Tenant, text: str, limit: int) -> list[DirectoryHit]:
    """Groups whose name or alias contains ``text``, for the directory typeahead."""
    groups = (
        Group.objects.for_tenant(tenant)
        .alive()
        .filter(Q(display_name__icontains=text) | Q(mail_nickname__icontains=text))
    )
    return [_group_hit(g) for g in groups.order_by("display_name")[:limit]]


def _group_hit(group: Group) -> DirectoryHit:
    return DirectoryHit("group", group.pk, group.display_name, group.get_kind_display() + " group", group)


def group_exact(tenant: Tenant, names: list[str], ids: list) -> list[tuple[set[str], DirectoryHit]]:
    """Groups whose display name or alias is one of ``names`` (lowered), or whose id is in ``ids``."""
    groups = (
        Group.objects.for_tenant(tenant)
        .alive()
        .annotate(name_key=Lower("display_name"), alias_key=Lower("mail_nickname"))
        .filter(Q(name_key__in=names) | Q(alias_key__in=names) | Q(pk__in=ids))
        .order_by("display_name")
    )
    return [({g.display_name, g.mail_nickname, str(g.pk)}, _group_hit(g)) for g in groups]


def register() -> None:
    """Add groups to the user page and the directory typeahead (from ``GroupsConfig.ready``)."""
    portal_selectors.register_user_section("groups", user_groups)
    portal_selectors.register_user_section("owned", user_owned_groups)
    portal_selectors.register_directory_kind(
        "group",
        objects=lambda tenant: Group.objects.for_tenant(tenant).alive(),
        search=group_hits,
        exact=group_exact,
    )


def get_group_for(actor, group_id: UUID, action: str, *, include_deleted: bool = False) -> Group:
    """The one way a page or the API reaches a group: scoped to the actor's tenant (404 for outsiders),
    then authorized (403 for insiders without the right)."""
    groups = Group.objects.for_tenant(actor.tenant).select_related("tenant")
    if not include_deleted:
        groups = groups.alive()
    group = get_object_or_404(groups, pk=group_id)
    authorize(actor, action, group)
    return group


# --- what a list may show, as a filter: the per-object rules of groups.authz, read as SQL -------------

READ_ACTIONS_AS_FILTERS = ("standard/read", "members/read")


def _read_scope(actor: Any, action: str) -> tuple[Q, Q]:
    """(sure, maybe) for ``action`` on the actor's groups: every group matching ``sure`` is allowed by
    the rule every user has (groups.authz ``_may_browse`` / ``_may_see_members``); the others matching
    ``maybe`` (owned, role-scoped, or all when a tenant-wide role might apply) are decided one by one;
    the rest are refused. The matrix test holds this to ``can`` for every kind of actor and group."""
    nothing = Q(pk__in=[])
    if action == "standard/read" and not isinstance(actor, AppActor) and not actor.is_guest:
        # Every member user browses every group (groups.authz ``_may_browse``): nothing to load (the
        # grants, ownerships and memberships of the actor are three queries a list would pay for nothing).
        return Q(), Q()
    ctx = actor_context(actor)
    settings, guest = ctx.settings, actor.is_guest
    if isinstance(actor, AppActor):  # an app reads by its role's grants only
        return nothing, Q() if any(g.scope_group_id is None for g in ctx.grants) else nothing
    # The actor's groups as an array the database builds first (hundreds of ids for some people: as a
    # parameter, each id cost Python conversions, once per query that names them: three for memberOf).
    member_of = Q(pk__any_of=Membership.objects.filter(member_user=actor).values("group_id"))
    restricted = guest and directory_policy.is_restricted_guest(actor, settings)
    browses = not guest or (settings.allow_guests_to_access_groups and not restricted)
    alive = Q(deleted_date_time__isnull=True)
    if action == "standard/read":
        sure = Q() if browses else member_of
    elif restricted:
        sure = nothing
    else:
        sure = alive & (member_of if not browses else ~Q(visibility=Visibility.HIDDEN_MEMBERSHIP) | member_of)
    if any(g.scope_group_id is None for g in ctx.grants):
        return sure, Q()
    scoped = {g.scope_group_id for g in ctx.grants}
    if not ctx.owned_group_ids and not scoped:
        return sure, sure  # nothing to decide one by one (most people): no query for it
    return sure, sure | Q(pk__any_of=ctx.owned_group_ids) | Q(pk__in=scoped)


def _app_read_scope(actor: AppActor, action: str) -> Q:
    """The groups an app may ``action`` when every grant of its role is tenant-wide. An app reads by its
    role alone (``portal.authz.decide``), and a tenant-wide role reads a group by what covers it
    (``groups.authz.group_subtypes``: kind, membership type, role-assignability) and whether it is
    deleted: so ``can`` is asked once per such combination, on a group that has only these, not once per
    group of the tenant (10,000 checks took 2.4 s). The matrix test holds this to ``can``."""
    allowed = Q(pk__in=[])
    for kind, membership, assignable, deleted in itertools.product(
        GroupKind.values, MembershipType.values, (False, True), (False, True)
    ):
        example = Group(
            tenant=actor_context(actor).tenant,
            kind=kind,
            membership_type=membership,
            is_assignable_to_role=assignable,
            deleted_date_time=timezone.now() if deleted else None,
        )
        if can(actor, action, example):
            allowed |= Q(
                kind=kind,
                membership_type=membership,
                is_assignable_to_role=assignable,
                deleted_date_time__isnull=not deleted,
            )
    return allowed


def readable_groups(actor: Any, groups: QuerySet, action: str) -> QuerySet:
    """``groups`` less those ``actor`` may not ``action`` (one of READ_ACTIONS_AS_FILTERS), as a queryset:
    for trimming a list before paging without loading every group (the per-object check runs only on
    the few groups the filter can't settle: owned, role-scoped, or all for a tenant-wide role holder)."""
    groups = groups.filter(tenant_id=actor.tenant_id)
    if not (actor.is_authenticated and actor.is_active):
        return groups.none()
    sure, maybe = _read_scope(actor, action)
    if sure == Q():
        return groups
    if isinstance(actor, AppActor) and all(g.scope_group_id is None for g in actor_context(actor).grants):
        return groups.filter(_app_read_scope(actor, action))
    if maybe is sure:
        return groups.filter(sure)
    undecided = groups.filter(maybe).exclude(sure).select_related("tenant")
    checked = [g.pk for g in undecided if can(actor, action, g)]
    return groups.filter(sure | Q(pk__in=checked))
