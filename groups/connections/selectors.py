"""Tenant-scoped reads of external connections, and the loaders that feed the access rule.

The access rule itself is ``groups.connections.access`` (plain data). Here:
- ``user_nesting``: everything above one user (their directory groups at any depth, then the external
  groups of the given connections that hold them or those groups, at any depth): four queries whatever
  the depth, each a recursive query (``WITH RECURSIVE``, SQLite and PostgreSQL alike);
- ``item_audience``: everything below one item's ACL entries, for "Who can see this?";
- ``search_items``: the items of some connections that match a query string, trimmed to what one user
  may see *before* paging, so neither the hits nor the total tell anything of the others.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection as db
from django.db.models import Case, IntegerField, Max, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from groups.connections.access import (
    EVERYONE,
    EVERYONE_EXCEPT_GUESTS,
    Entry,
    Nesting,
    Node,
    Person,
    Reach,
    Verdict,
    audience,
    external_node,
    group_node,
    user_node,
    verdict,
)
from groups.connections.authz import READ, ConnectionScope
from groups.connections.models import (
    AccessType,
    AclType,
    ExternalAclEntry,
    ExternalConnection,
    ExternalGroup,
    ExternalGroupMember,
    ExternalItem,
)
from groups.models import Group
from groups.selectors import transitive_group_ids
from portal import selectors as portal_selectors
from portal.authz import authorize
from portal.models import User, UserType

# How many people "Who can see this?" lists for an everyone entry (the rest are counted, not listed).
EVERYONE_LISTED = 500


def _db_id(value: Any) -> Any:
    return ExternalGroup._meta.pk.get_db_prep_value(value, db)


def _sid(value: Any) -> str:
    """An id from a row (uuid on PostgreSQL, hex text on SQLite) as the access rule's text."""
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def _in(values: list) -> tuple[str, list]:
    """``(%s, %s ...)`` and its parameters; ``(NULL)`` for none (``IN ()`` isn't SQL)."""
    return ("(" + ", ".join(["%s"] * len(values)) + ")", values) if values else ("(NULL)", [])


# --- reaching connections, groups and items: scoped to the actor's tenant, then authorized -----------


def connections_for(actor: Any) -> QuerySet[ExternalConnection]:
    authorize(actor, READ, ConnectionScope(actor.tenant_id))
    return ExternalConnection.objects.for_tenant(actor.tenant)


def get_connection_for(actor: Any, connection_id: str, action: str = READ) -> ExternalConnection:
    """The actor's tenant's connection of that Graph id (404 for anything else), authorized (403)."""
    found = ExternalConnection.objects.for_tenant(actor.tenant).select_related("tenant")
    connection = get_object_or_404(found, connection_id=connection_id[:64])
    authorize(actor, action, connection)
    return connection


def get_external_group(connection: ExternalConnection, group_id: str) -> ExternalGroup:
    return get_object_or_404(
        ExternalGroup.objects.select_related("connection__tenant"),
        connection=connection,
        group_id=group_id[:200],
    )


def get_item(connection: ExternalConnection, item_id: str) -> ExternalItem:
    return get_object_or_404(
        ExternalItem.objects.select_related("connection__tenant"),
        connection=connection,
        item_id=item_id[:200],
    )


def external_groups(connection: ExternalConnection) -> QuerySet[ExternalGroup]:
    return ExternalGroup.objects.filter(connection=connection).order_by("group_id")


def external_group_members(group: ExternalGroup) -> QuerySet[ExternalGroupMember]:
    return (
        ExternalGroupMember.objects.filter(group=group)
        .select_related("member_user", "member_group", "member_external")
        .order_by("member_external__group_id", "member_group__display_name", "member_user__display_name")
    )


def items(connection: ExternalConnection) -> QuerySet[ExternalItem]:
    return ExternalItem.objects.filter(connection=connection).order_by("item_id")


def connection_members(connection: ExternalConnection) -> list[ExternalGroupMember]:
    """Every membership of the connection's external groups, with names (one query): the picture."""
    return list(
        ExternalGroupMember.objects.filter(group__connection=connection)
        .select_related("group", "member_user", "member_group", "member_external")
        .order_by("group__group_id", "id")
    )


# --- from rows to the access rule's nodes ---------------------------------------------------------


def person(user: User) -> Person:
    return Person(str(user.pk), active=user.is_active, guest=user.user_type == UserType.GUEST)


def principal(acl_type: str, value: str, connection_pk: Any) -> Node:
    if acl_type == AclType.USER:
        return user_node(value)
    if acl_type == AclType.GROUP:
        return group_node(value)
    if acl_type == AclType.EXTERNAL_GROUP:
        return external_node(str(connection_pk), value)
    return EVERYONE if acl_type == AclType.EVERYONE else EVERYONE_EXCEPT_GUESTS


def entries(item: ExternalItem) -> list[Entry]:
    rows = ExternalAclEntry.objects.filter(item=item).order_by("position")
    return [Entry(e.access_type, principal(e.type, e.value, item.connection_id), e.position) for e in rows]


# Everything above one user in one query: the directory edges among their groups (found by
# groups.selectors.transitive_group_ids), each with whether the containing group is deleted, then the
# external groups of the connections that hold the user or those groups, at any depth. Ids as text
# (PostgreSQL's uuid, SQLite's hex) so both halves have the same column types.
_UP_SQL = """
WITH RECURSIVE up(id) AS (
    SELECT m.group_id FROM groups_externalgroupmember m JOIN groups_externalgroup g ON g.id = m.group_id
    WHERE g.connection_id IN {connections} AND (m.member_user_id = %s OR m.member_group_id IN {groups})
    UNION
    SELECT m.group_id FROM groups_externalgroupmember m JOIN up ON m.member_external_id = up.id
)
SELECT 'd', CAST(m.member_user_id AS text), CAST(m.member_group_id AS text), NULL, NULL,
       CAST(m.group_id AS text), CASE WHEN g.deleted_date_time IS NULL THEN 0 ELSE 1 END
FROM groups_membership m JOIN groups_group g ON g.id = m.group_id
WHERE m.group_id IN {groups} AND (m.member_user_id = %s OR m.member_group_id IN {groups})
UNION ALL
SELECT 'x', CAST(m.member_user_id AS text), CAST(m.member_group_id AS text), c.group_id,
       CAST(g.connection_id AS text), g.group_id, 0
FROM groups_externalgroupmember m
JOIN groups_externalgroup g ON g.id = m.group_id
LEFT JOIN groups_externalgroup c ON c.id = m.member_external_id
WHERE m.group_id IN (SELECT id FROM up)
  AND (m.member_user_id = %s OR m.member_group_id IN {groups} OR m.member_external_id IN (SELECT id FROM up))
"""


def user_nesting(user: User, connections: Iterable[Any]) -> Nesting:
    """Every edge above ``user`` (two queries at any depth): directory nesting, deleted groups dead, and
    the external groups of ``connections`` (pks) that hold the user or their groups, at any depth. A
    group reached only through a deleted one is cut off when the rule walks the edges."""
    groups_sql, groups_params = _in([_db_id(g) for g in transitive_group_ids(user)])
    connection_sql, connection_params = _in([_db_id(c) for c in connections])
    sql = _UP_SQL.format(connections=connection_sql, groups=groups_sql)
    me = _db_id(user.pk)
    params = [*connection_params, me, *groups_params]  # the recursive part
    params += [*groups_params, me, *groups_params]  # directory edges
    params += [me, *groups_params]  # external edges
    edges: list[tuple[Node, Node]] = []
    dead: set[Node] = set()
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        for (
            kind,
            member_user,
            member_group,
            member_external,
            connection_pk,
            parent,
            deleted,
        ) in cursor.fetchall():
            if kind == "d":
                group = group_node(_sid(parent))
                if deleted:
                    dead.add(group)
            else:
                group = external_node(_sid(connection_pk), parent)
            if member_user:
                member: Node = user_node(_sid(member_user))
            elif member_group:
                member = group_node(_sid(member_group))
            else:
                member = (*group[:2], member_external)
            edges.append((member, group))
    return Nesting(edges, dead=dead)


def user_reach(user: User, connections: Iterable[Any]) -> Reach:
    return Reach(person(user), user_nesting(user, connections))


def can_user_see(item: ExternalItem, user: User) -> Verdict:
    """ "Can this user see it?" with the path that grants and the deny that removes."""
    return verdict(entries(item), user_reach(user, [item.connection_id]))


# --- search with security trimming ----------------------------------------------------------------


def _words(query_string: str) -> list[str]:
    return [w for w in query_string.lower().split() if w != "*"]


def matching_items(connections: Iterable[Any], query_string: str) -> QuerySet[ExternalItem]:
    """Items of ``connections`` whose title, properties or content hold every word of the query
    (``*`` or nothing: every item)."""
    found = ExternalItem.objects.filter(connection_id__in=list(connections))
    for word in _words(query_string):
        found = found.filter(search_text__contains=word)
    return found.order_by("connection_id", "item_id")


def naming(reached: set[Node]) -> Q:
    """ACL entries that name one of ``reached`` (a person's reach): a condition on ``ExternalAclEntry``."""
    everyone = [n[0] for n in reached if n in (EVERYONE, EVERYONE_EXCEPT_GUESTS)]
    external: dict[str, list[str]] = {}
    for node in reached:
        if node[0] == "externalGroup":
            external.setdefault(node[1], []).append(node[2])
    named = Q(type__in=everyone)
    for kind in (AclType.USER, AclType.GROUP):
        values = [n[1] for n in reached if n[0] == kind]
        if values:
            named |= Q(type=kind, value__in=values)
    for connection_pk, values in external.items():
        named |= Q(type=AclType.EXTERNAL_GROUP, value__in=values, item__connection_id=connection_pk)
    return named


def visible_item_ids(user: User, connections: list[Any], query_string: str) -> list:
    """The ids of the items of ``connections`` matching the query that ``user`` may see, in the order of
    ``matching_items``: the trimming of search. Three queries whatever the depth: the user's groups, the
    edges above them (``Reach``: the nesting rule, in Python), then the items that some entry naming
    something reached grants and no such entry denies (deny wins; the database counts, per item, the
    grants and denies among the entries that name something the user reaches: the others can't change
    the answer). The ACL suite checks every case against ``verdict``."""
    reached = user_reach(user, connections).nodes
    if not reached:
        return []
    entries = ExternalAclEntry.objects.filter(naming(reached), item__connection_id__in=list(connections))
    for word in _words(query_string):
        entries = entries.filter(item__search_text__contains=word)

    def flag(access: str) -> Max:
        return Max(
            Case(When(access_type=access, then=Value(1)), default=Value(0), output_field=IntegerField())
        )

    return list(
        entries.values("item_id", "item__connection_id", "item__item_id")
        .annotate(
            granted=flag(AccessType.GRANT),
            denied=flag(AccessType.DENY),
        )
        .filter(granted=1, denied=0)
        .order_by("item__connection_id", "item__item_id")
        .values_list("item_id", flat=True)
    )


@dataclass(frozen=True)
class SearchPage:
    hits: list[ExternalItem]
    total: int
    more: bool


def search_items(
    user: User, connections: list[Any], query_string: str, *, start: int = 0, size: int = 25
) -> SearchPage:
    ids = visible_item_ids(user, connections, query_string)
    page_ids = ids[start : start + size]
    by_id = ExternalItem.objects.select_related("connection").in_bulk(page_ids)
    return SearchPage([by_id[pk] for pk in page_ids], len(ids), start + size < len(ids))


# --- who can see an item: everything below its entries ---------------------------------------------

_DIRECTORY_DOWN_SQL = """
WITH RECURSIVE down(id) AS (
    SELECT id FROM groups_group WHERE id IN {roots}
    UNION
    SELECT m.member_group_id FROM groups_membership m JOIN down ON m.group_id = down.id
    WHERE m.member_group_id IS NOT NULL
)
SELECT m.group_id, m.member_user_id, m.member_group_id, g.deleted_date_time
FROM groups_membership m JOIN groups_group g ON g.id = m.group_id
WHERE m.group_id IN (SELECT id FROM down) AND (m.member_user_id IS NOT NULL OR m.member_group_id IS NOT NULL)
"""


def _connection_edges(connection: ExternalConnection) -> list[tuple[Node, Node]]:
    conn = str(connection.pk)
    rows = ExternalGroupMember.objects.filter(group__connection=connection).values_list(
        "member_user_id", "member_group_id", "member_external__group_id", "group__group_id"
    )
    return [
        (
            user_node(u) if u else group_node(g) if g else external_node(conn, x),
            external_node(conn, parent),
        )
        for u, g, x, parent in rows
    ]


def _directory_edges(roots: set[str]) -> tuple[list[tuple[Node, Node]], set[Node]]:
    sql, params = _in([_db_id(r) for r in sorted(roots)])
    edges, dead = [], set()
    if not params:
        return edges, dead
    with db.cursor() as cursor:
        cursor.execute(_DIRECTORY_DOWN_SQL.format(roots=sql), params)
        for parent, member_user, member_group, deleted in cursor.fetchall():
            member = user_node(_sid(member_user)) if member_user else group_node(_sid(member_group))
            edges.append((member, group_node(_sid(parent))))
            if deleted is not None:
                dead.add(group_node(_sid(parent)))
    return edges, dead


@dataclass(frozen=True)
class Audience:
    verdicts: dict[str, Verdict]  # person id → verdict, for everyone an entry reaches
    people: dict[str, User]
    everyone: bool  # an everyone entry grants: more people may see it than are listed
    everyone_total: int


def item_audience(item: ExternalItem) -> Audience:
    """ "Who can see this?": every person an entry reaches, with the path that grants and the deny that
    removes them. An everyone entry lists the first ``EVERYONE_LISTED`` people by name (and counts all)."""
    acl = entries(item)
    edges = _connection_edges(item.connection)
    roots = {p[1] for p in [e.principal for e in acl] + [m for m, _ in edges] if p[0] == "group"}
    directory, dead = _directory_edges(roots)
    nesting = Nesting(edges + directory, dead=dead)
    user_ids = {
        n[1] for n in [e.principal for e in acl] + [m for m, _ in edges + directory] if n[0] == "user"
    }
    users = User.objects.for_tenant(item.connection.tenant)
    everyone = any(e.principal in (EVERYONE, EVERYONE_EXCEPT_GUESTS) for e in acl)
    people = {str(u.pk): u for u in users.filter(pk__in=user_ids)}
    total = 0
    if everyone:
        live = users.filter(account_enabled=True, deleted_date_time__isnull=True)
        total = live.count()
        people |= {str(u.pk): u for u in live.order_by("display_name")[:EVERYONE_LISTED]}
    verdicts = audience(acl, nesting, {pk: person(u) for pk, u in people.items()})
    return Audience(verdicts, people, everyone, total)


def node_names(tenant: Any, nodes: Iterable[Node]) -> dict[Node, str]:
    """A readable name for each node of some paths (three queries at most)."""
    nodes = set(nodes)
    names: dict[Node, str] = {EVERYONE: "Everyone", EVERYONE_EXCEPT_GUESTS: "Everyone except guests"}
    users = [n[1] for n in nodes if n[0] == "user"]
    groups = [n[1] for n in nodes if n[0] == "group"]
    external = [n for n in nodes if n[0] == "externalGroup"]
    if users:
        for u in (
            User.objects.for_tenant(tenant).filter(pk__in=users).only("display_name", "user_principal_name")
        ):
            names[user_node(u.pk)] = u.display_name or u.user_principal_name
    if groups:
        for g in (
            Group.objects.for_tenant(tenant).filter(pk__in=groups).only("display_name", "deleted_date_time")
        ):
            names[group_node(g.pk)] = g.display_name + (" (deleted)" if g.deleted_date_time else "")
    if external:
        query = Q()
        for _, conn, gid in external:
            query |= Q(connection_id=conn, group_id=gid)
        for g in ExternalGroup.objects.filter(connection__tenant=tenant).filter(query):
            names[external_node(str(g.connection_id), g.group_id)] = g.display_name or g.group_id
    for node in nodes:
        names.setdefault(
            node, f"{node[-1]} (not found)" if node[0] != "externalGroup" else f"{node[-1]} (not created yet)"
        )
    return names


# --- a user's page: the items they reach --------------------------------------------------------------

USER_ITEMS_SHOWN = 50


@dataclass(frozen=True)
class ReachedItem:
    item: ExternalItem
    verdict: Verdict
    path: list[str]  # the names from the person up to the entry that grants


def user_external_items(user: User) -> list[ReachedItem]:
    """Up to ``USER_ITEMS_SHOWN`` items of the tenant ``user`` may see, each with the entry and path
    that grant it: the candidates are the items with a grant entry naming something the user reaches."""
    connections = list(ExternalConnection.objects.for_tenant(user.tenant).values_list("pk", flat=True))
    if not connections:
        return []
    reach = user_reach(user, connections)
    if not reach.nodes:
        return []
    named = naming(reach.nodes)
    candidates = (
        ExternalItem.objects.filter(connection_id__in=connections)
        .filter(pk__in=ExternalAclEntry.objects.filter(named, access_type="grant").values("item_id"))
        .select_related("connection")
        .prefetch_related("acl_entries")
        .order_by("connection__name", "item_id")
    )
    found = []
    for item in candidates[: USER_ITEMS_SHOWN * 10]:
        acl = [
            Entry(e.access_type, principal(e.type, e.value, item.connection_id), e.position)
            for e in item.acl_entries.all()
        ]
        result = verdict(acl, reach)
        if result.allowed:
            found.append((item, result))
            if len(found) == USER_ITEMS_SHOWN:
                break
    names = node_names(user.tenant, [n for _, result in found for n in result.grant_path])
    return [ReachedItem(item, result, [names[n] for n in result.grant_path]) for item, result in found]


def register() -> None:
    """Add "Items they can see" to the user page (from ``GroupsConfig.ready``): lazy, so it costs
    nothing unless the page shows it (to those who manage connections)."""
    portal_selectors.register_user_section("external_items", lambda user: lambda: user_external_items(user))


def external_group_member(group: ExternalGroup, member_id: str) -> ExternalGroupMember | None:
    """The member of ``group`` an id names: a directory object id or an external group's id."""
    query = Q(member_external__group_id=member_id[:128])
    try:
        object_id = uuid.UUID(member_id)
    except ValueError:
        pass
    else:
        query |= Q(member_user_id=object_id) | Q(member_group_id=object_id)
    return external_group_members(group).filter(query).first()
