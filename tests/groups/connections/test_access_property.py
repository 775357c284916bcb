"""The access computation (groups.connections.access) against a plain reference search, on random graphs.

The reference walks *down* from each ACL entry with a recursive search, looking at deletion and existence
at every step; the computation walks *up* from the person once (``Reach``) or down once per entry
(``audience``). Each example compares every (person, item) pair: 2 × 800 examples of 1 to 5 people and 2 to
4 items give about 13,000 comparisons per run (counted once by hand), in seconds, without a database.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groups.connections.access import (
    DENY,
    EVERYONE,
    EVERYONE_EXCEPT_GUESTS,
    GRANT,
    Entry,
    Nesting,
    Person,
    Reach,
    audience,
    external_node,
    group_node,
    verdict,
    visible,
)

CONNECTION = "c1"


@dataclass
class World:
    people: dict[str, Person]
    deleted_groups: set
    existing_external: set
    edges: list  # (member node, group node)
    items: list  # lists of Entry


@st.composite
def worlds(draw) -> World:
    people = {
        f"u{i}": Person(f"u{i}", active=draw(st.booleans()) or draw(st.booleans()), guest=draw(st.booleans()))
        for i in range(draw(st.integers(1, 5)))
    }
    users = [p.node for p in people.values()]
    directory = [group_node(f"g{i}") for i in range(draw(st.integers(0, 4)))]
    deleted = {g for g in directory if draw(st.integers(0, 4)) == 0}
    external_ids = [f"x{i}" for i in range(draw(st.integers(0, 5)))]
    existing = {external_node(CONNECTION, x) for x in external_ids if draw(st.integers(0, 3)) > 0}
    external = sorted(existing)
    edges = []
    if directory:
        edges += draw(
            st.lists(st.tuples(st.sampled_from(users + directory), st.sampled_from(directory)), max_size=8)
        )
    if external:
        members = users + directory + external
        edges += draw(st.lists(st.tuples(st.sampled_from(members), st.sampled_from(external)), max_size=10))
    principals = users + directory + [external_node(CONNECTION, x) for x in external_ids]
    principals += [EVERYONE, EVERYONE_EXCEPT_GUESTS]
    entry = st.builds(Entry, st.sampled_from([GRANT, GRANT, DENY]), st.sampled_from(principals))
    items = draw(st.lists(st.lists(entry, max_size=5), min_size=2, max_size=4))
    return World(people, deleted, existing, edges, items)


def _contains(world: World, node, target, seen: set) -> bool:
    """Plain recursive search: is ``target`` inside ``node`` (itself, or a member at any depth)?"""
    if node == target:
        return True
    if node in seen or node in world.deleted_groups:
        return False
    if node[0] == "externalGroup" and node not in world.existing_external:
        return False
    seen.add(node)
    return any(
        _contains(world, member, target, seen)
        for member, group in world.edges
        if group == node and member not in world.deleted_groups
    )


def _reference(world: World, person: Person, entries: list) -> bool:
    def reaches(entry: Entry) -> bool:
        if not person.active:
            return False
        if entry.principal == EVERYONE:
            return True
        if entry.principal == EVERYONE_EXCEPT_GUESTS:
            return not person.guest
        return _contains(world, entry.principal, person.node, set())

    granted = any(reaches(e) for e in entries if e.access == GRANT)
    return granted and not any(reaches(e) for e in entries if e.access == DENY)


def _nesting(world: World) -> Nesting:
    return Nesting(world.edges, dead=world.deleted_groups)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_it_gives_each_person_what_the_reference_search_gives(world):
    nesting = _nesting(world)
    for person in world.people.values():
        reach = Reach(person, nesting)
        for entries in world.items:
            expected = _reference(world, person, entries)
            result = verdict(entries, reach)
            assert result.allowed == expected
            assert visible([(e.access, e.principal) for e in entries], reach.nodes) == expected
            if result.allowed:  # the path leads from the person to the granting entry's principal
                assert result.grant_path[0] == person.node and result.grant_path[-1] == result.grant.principal
            if result.deny is not None:
                assert result.deny_path[-1] == result.deny.principal


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_it_lists_the_audience_the_reference_search_gives(world):
    nesting = _nesting(world)
    for entries in world.items:
        seen = audience(entries, nesting, world.people)
        for person in world.people.values():
            expected = _reference(world, person, entries)
            assert (person.id in seen and seen[person.id].allowed) == expected
            if person.id in seen and seen[person.id].grant is not None:
                path = seen[person.id].grant_path
                assert path[0] == person.node and path[-1] == seen[person.id].grant.principal


def test_it_walks_nested_external_groups_and_cycles():
    a, b, c = (external_node(CONNECTION, x) for x in "abc")
    person = Person("u1")
    nesting = Nesting([(person.node, c), (c, b), (b, a), (a, c)])  # a cycle a → c → b → a
    result = verdict([Entry(GRANT, a)], Reach(person, nesting))
    assert result.allowed
    assert result.grant_path == (person.node, c, b, a)


def test_it_lets_deny_win_and_says_which_entry_and_path():
    group, external = group_node("g1"), external_node(CONNECTION, "sales")
    person = Person("u1")
    nesting = Nesting([(person.node, group), (group, external)])
    result = verdict([Entry(GRANT, EVERYONE), Entry(DENY, external)], Reach(person, nesting))
    assert not result.allowed
    assert result.deny.principal == external
    assert result.deny_path == (person.node, group, external)


def test_it_ignores_deleted_directory_groups_and_inactive_people():
    group, external = group_node("g1"), external_node(CONNECTION, "x")
    person = Person("u1")
    edges = [(person.node, group), (group, external)]
    assert not verdict([Entry(GRANT, external)], Reach(person, Nesting(edges, dead={group}))).allowed
    assert not verdict([Entry(GRANT, EVERYONE)], Reach(Person("u2", active=False), Nesting([]))).allowed


def test_it_keeps_guests_out_of_everyone_except_guests():
    guest = Person("u1", guest=True)
    assert not verdict([Entry(GRANT, EVERYONE_EXCEPT_GUESTS)], Reach(guest, Nesting([]))).allowed
    assert verdict([Entry(GRANT, EVERYONE)], Reach(guest, Nesting([]))).allowed
