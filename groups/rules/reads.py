"""What a rule reads: which properties of the user or device, which groups (``memberOf``), the clock.

A rule's answer for an object can change only when something it reads changes. Dynamic membership
(groups.dynamic.index) indexes the tenant's rules by these, so that one attribute change evaluates only
the rules that read that attribute, and one membership change only the ``memberOf`` rules that look at
that group. Property names are Graph's (portal.directory), as the services that change users and
devices name what they changed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from groups.rules import properties as P
from groups.rules.ast import And, Comparison, DirectReports, Node, Now, Quantified, Rule, walk
from groups.rules.evaluator import build

MEMBER_OF = "memberOf"
MANAGER = "manager"


@dataclass(frozen=True)
class Reads:
    """``properties``: Graph names of the object's properties the rule reads (``memberOf`` for a
    ``memberOf`` clause, ``manager`` for Direct Reports). ``groups``: the group ids a ``memberOf`` clause
    names. ``any_group``: a ``memberOf`` clause whose answer also depends on groups it doesn't name
    (``-all``, or ``-any`` of a negated test): any membership change may change it. ``clock``: the rule
    reads ``system.now``, so its answer may change with nothing changed."""

    properties: frozenset[str]
    groups: frozenset[uuid.UUID]
    any_group: bool
    clock: bool


def _reads_unnamed_groups(node: Quantified, named: set[uuid.UUID]) -> bool:
    """Whether a ``memberOf`` clause's answer depends on groups its body doesn't name: the body gives
    one answer ``c`` for every unnamed group; ``-any`` with ``c`` true or ``-all`` with ``c`` false
    then depends on all of them."""
    unnamed = uuid.UUID(int=max((g.int for g in named), default=0) + 1)
    answer = build(node.body, datetime.now(UTC))(unnamed)
    return answer if node.quantifier == "any" else not answer


def reads(rule: Rule) -> Reads:
    properties: set[str] = set()
    groups: set[uuid.UUID] = set()
    any_group = clock = False
    for node in walk(rule.body):
        if isinstance(node, DirectReports):
            properties.add(MANAGER)
        elif isinstance(node, Comparison | Quantified) and node.prop.obj in ("user", "device"):
            properties.add(P.graph_name(node.prop, rule.kind))
            if isinstance(node, Quantified) and node.prop.name == MEMBER_OF:
                named = _named_groups(node.body)
                groups |= named
                any_group = any_group or _reads_unnamed_groups(node, named)
        if isinstance(node, Comparison) and isinstance(node.value, Now):
            clock = True
    return Reads(frozenset(properties), frozenset(groups), any_group, clock)


def _named_groups(body: Node) -> set[uuid.UUID]:
    ids: set[uuid.UUID] = set()
    for node in walk(body):
        if isinstance(node, Comparison) and node.prop.obj == "group":
            values = node.value if isinstance(node.value, tuple) else (node.value,)
            ids.update(v for v in values if isinstance(v, uuid.UUID))
    return ids


@dataclass(frozen=True)
class Guard:
    """Conditions the rule can't be true without: the object's text attributes ``fields``, lowercased,
    are one of the tuples in ``values``. A rule whose guard fails for an object is false for it, whatever
    else the object is, so it needs no evaluation unless the object is in its group now (and must leave)."""

    fields: tuple[str, ...]
    values: frozenset[tuple[str, ...]]


MAX_GUARD_TUPLES = 256


def guard(rule: Rule) -> Guard | None:
    """The rule's top-level ``-eq "text"`` and ``-in [...]`` conjuncts on text properties, if any (the
    first ones, while their combinations stay under MAX_GUARD_TUPLES)."""
    conjuncts = rule.body.operands if isinstance(rule.body, And) else (rule.body,)
    fields: list[str] = []
    tuples: list[tuple[str, ...]] = [()]
    for node in conjuncts:
        allowed = _allowed(node)
        if allowed is None or allowed[0] in fields:
            continue
        field_name, values = allowed
        if fields and len(tuples) * len(values) > MAX_GUARD_TUPLES:
            break
        fields.append(field_name)
        tuples = [(*t, v) for t in tuples for v in sorted(values)]
    return Guard(tuple(fields), frozenset(tuples)) if fields else None


def _allowed(node: Node) -> tuple[str, set[str]] | None:
    """(field, the lowercased values it must have) of an ``-eq "text"`` or ``-in [...]`` on a text
    property of the object; else None."""
    if not isinstance(node, Comparison) or node.prop.obj not in ("user", "device"):
        return None
    info = P.info_of(node.prop)
    if info.type != P.STRING:
        return None
    if node.op == "eq" and isinstance(node.value, str):
        return info.field, {node.value.lower()}
    if node.op == "in" and isinstance(node.value, tuple):
        return info.field, {v.lower() for v in node.value}
    return None
