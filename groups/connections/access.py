"""Who reaches an external item: the access rule on plain data (no Django, no database).

A person reaches an item when some *grant* entry of its ACL reaches them and no *deny* entry does (deny
wins). An entry reaches a person when it names them, names a directory group or an external group they
are in at any depth (external groups hold users, directory groups and other external groups), or is
``everyone`` (every enabled person of the tenant) or ``everyoneExceptGuests``. A disabled or deleted
person reaches nothing; a deleted directory group is no node at all (it counts neither as a principal
nor as a step); an entry naming an external group that doesn't exist yet reaches nobody until the group
appears with members; cycles among external groups are harmless (each node is visited once).

Nodes are tuples: ``("user", id)``, ``("group", id)``, ``("externalGroup", connection, id)``,
``EVERYONE``, ``EVERYONE_EXCEPT_GUESTS``. The loaders in ``selectors`` turn rows into these; the
property test (tests/groups/connections/test_access_property.py) compares ``reach`` + ``verdict``
with a plain downward search on random graphs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Node = tuple
EVERYONE: Node = ("everyone",)
EVERYONE_EXCEPT_GUESTS: Node = ("everyoneExceptGuests",)
GRANT = "grant"
DENY = "deny"


def user_node(user_id: str) -> Node:
    return ("user", str(user_id))


def group_node(group_id: str) -> Node:
    return ("group", str(group_id))


def external_node(connection_id: str, group_id: str) -> Node:
    return ("externalGroup", str(connection_id), group_id)


@dataclass(frozen=True)
class Person:
    id: str
    active: bool = True  # enabled and not deleted
    guest: bool = False

    @property
    def node(self) -> Node:
        return user_node(self.id)


@dataclass(frozen=True)
class Entry:
    access: str  # GRANT or DENY
    principal: Node
    position: int = 0


class Nesting:
    """Who is directly in which group: edges (member, group), less every edge that touches a dead node
    (a deleted directory group)."""

    def __init__(self, edges: Iterable[tuple[Node, Node]], *, dead: Iterable[Node] = ()) -> None:
        dead = set(dead)
        self.parents: dict[Node, list[Node]] = {}
        self.children: dict[Node, list[Node]] = {}
        for member, group in edges:
            if member in dead or group in dead or member == group:
                continue
            self.parents.setdefault(member, []).append(group)
            self.children.setdefault(group, []).append(member)


def _walk(start: Iterable[Node], step: Mapping[Node, list[Node]]) -> dict[Node, Node | None]:
    """Breadth-first from ``start`` along ``step``: every node reached, with the node it was reached from
    (None for a start). Shortest paths; each node once, so cycles end."""
    came_from: dict[Node, Node | None] = {}
    queue: deque[Node] = deque()
    for node in start:
        if node not in came_from:
            came_from[node] = None
            queue.append(node)
    while queue:
        node = queue.popleft()
        for nxt in step.get(node, ()):
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return came_from


def path_to(came_from: Mapping[Node, Node | None], node: Node) -> tuple[Node, ...]:
    """The path from the walk's start to ``node`` (both included)."""
    path = [node]
    while (prev := came_from[path[-1]]) is not None:
        path.append(prev)
    return tuple(reversed(path))


class Reach:
    """Everything that reaches one person: the person, their groups (directory and external, at any
    depth) and the everyone principals that include them, each with the path that leads there."""

    def __init__(self, person: Person, nesting: Nesting) -> None:
        self.person = person
        self.came_from: dict[Node, Node | None] = {}
        if not person.active:
            return
        self.came_from = _walk([person.node], nesting.parents)
        self.came_from[EVERYONE] = person.node
        if not person.guest:
            self.came_from[EVERYONE_EXCEPT_GUESTS] = person.node

    def __contains__(self, node: Node) -> bool:
        return node in self.came_from

    @property
    def nodes(self) -> set[Node]:
        return set(self.came_from)

    def path(self, node: Node) -> tuple[Node, ...]:
        return path_to(self.came_from, node)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    grant: Entry | None = None  # the first grant entry that reaches the person
    deny: Entry | None = None  # the first deny entry that reaches them (it wins)
    grant_path: tuple[Node, ...] = ()  # from the person up to the grant's principal
    deny_path: tuple[Node, ...] = ()


def verdict(entries: Iterable[Entry], reach: Reach) -> Verdict:
    """Whether the person of ``reach`` sees an item with these ACL entries, and why."""
    grant = deny = None
    for entry in entries:
        if entry.principal not in reach:
            continue
        if entry.access == DENY:
            deny = deny or entry
        else:
            grant = grant or entry
    return Verdict(
        allowed=grant is not None and deny is None,
        grant=grant,
        deny=deny,
        grant_path=reach.path(grant.principal) if grant else (),
        deny_path=reach.path(deny.principal) if deny else (),
    )


def visible(entries: Iterable[tuple[str, Node]], reached: set[Node] | Reach) -> bool:
    """The fast form of ``verdict(...).allowed`` on (access, principal) pairs: search trimming."""
    granted = False
    for access, principal in entries:
        if principal in reached:
            if access == DENY:
                return False
            granted = True
    return granted


def _down(principal: Node, nesting: Nesting, people: Mapping[str, Person]) -> dict[str, tuple[Node, ...]]:
    """The active people an entry's principal reaches, each with the path from them up to it."""
    if principal in (EVERYONE, EVERYONE_EXCEPT_GUESTS):
        return {
            p.id: (p.node, principal)
            for p in people.values()
            if p.active and not (p.guest and principal == EVERYONE_EXCEPT_GUESTS)
        }
    came_from = _walk([principal], nesting.children)
    reached = {}
    for node in came_from:
        if node[0] == "user" and (person := people.get(node[1])) is not None and person.active:
            reached[person.id] = tuple(reversed(path_to(came_from, node)))
    return reached


def audience(entries: Iterable[Entry], nesting: Nesting, people: Mapping[str, Person]) -> dict[str, Verdict]:
    """Every person some entry reaches (looked up in ``people``), with their verdict: "who can see this"
    (allowed) and who a deny removes (not allowed, with ``deny`` set)."""
    grants: dict[str, tuple[Entry, tuple[Node, ...]]] = {}
    denies: dict[str, tuple[Entry, tuple[Node, ...]]] = {}
    for entry in entries:
        found = denies if entry.access == DENY else grants
        for person_id, path in _down(entry.principal, nesting, people).items():
            found.setdefault(person_id, (entry, path))
    verdicts = {}
    for person_id in grants.keys() | denies.keys():
        grant, deny = grants.get(person_id), denies.get(person_id)
        verdicts[person_id] = Verdict(
            allowed=grant is not None and deny is None,
            grant=grant[0] if grant else None,
            deny=deny[0] if deny else None,
            grant_path=grant[1] if grant else (),
            deny_path=deny[1] if deny else (),
        )
    return verdicts
