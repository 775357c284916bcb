"""A rule → a Python predicate over one user or device, and the per-clause explanation of its answer.

Gives the same answer as the Q compiler for every rule and object (tests/groups/test_rules_differential.py).
A ``Subject`` carries what a rule can ask about one object, as plain data: the object's attributes,
its collections, plans and group ids (groups.dynamic.subjects builds one from a User or Device with three
small queries; callers may build one from prefetched rows). The clock is UTC; nothing here needs Django.
"""

from __future__ import annotations

import calendar
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from groups.rules import properties as P
from groups.rules import regex
from groups.rules.ast import And, Comparison, DirectReports, Node, Not, Now, Or, Quantified, Rule, walk
from groups.rules.parser import _DURATION, NEGATED, parse
from groups.rules.printer import node_text


@dataclass
class Subject:
    obj: Any  # a User or a Device
    collections: dict[str, list[str]] = field(default_factory=dict)
    plans: list[Any] = field(default_factory=list)  # AssignedPlan rows
    member_of: set[uuid.UUID] = field(default_factory=set)


def shift(now: datetime, value: Now) -> datetime:
    """``system.now -plus/-minus duration``: years and months move on the calendar, the rest exactly."""
    if not value.sign:
        return now
    m = _DURATION.match(value.duration)
    years, months, weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    months_total = value.sign * (years * 12 + months)
    if months_total:
        month_index = now.month - 1 + months_total
        year, month = now.year + month_index // 12, month_index % 12 + 1
        year = min(max(year, 1), 9999)
        now = now.replace(year=year, month=month, day=min(now.day, calendar.monthrange(year, month)[1]))
    delta = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    try:
        return now + value.sign * delta
    except OverflowError:
        return (
            datetime.max.replace(tzinfo=now.tzinfo)
            if value.sign > 0
            else datetime.min.replace(tzinfo=now.tzinfo)
        )


def _extension(obj: Any, key: str) -> str | None:
    value = (getattr(obj, "extensions", None) or {}).get(key)
    return value if value is None or isinstance(value, str) else str(value)


def getter(prop) -> Callable[[Any], Any]:
    """How to read ``prop`` from the thing in scope (a Subject, a collection item, a plan, a group id)."""
    info = P.info_of(prop)
    if prop.obj == "_":
        return lambda item: item
    if prop.obj == "group":
        return lambda group_id: group_id
    if prop.obj == "assignedPlan":
        return lambda plan: getattr(plan, info.field)
    name = info.field
    if info.type == P.COLLECTION:
        return lambda s: s.collections.get(name, ())
    if info.type == P.DIRSYNC:
        return lambda s: s.obj.source == "synced"
    if info.type == P.EXTENSION:
        return lambda s: _extension(s.obj, name)
    return lambda s: getattr(s.obj, name)


def test(type_: str, op: str, value: Any, now: datetime) -> Callable[[Any], bool]:
    """A positive test of one (non-null) comparison against a value read from an object."""
    if type_ in (P.BOOL, P.DIRSYNC, P.UUID):
        if op == "in":
            allowed = frozenset(value)
            return lambda v: v in allowed
        return lambda v: v == value
    if type_ == P.DATE:
        moment = shift(now, value) if isinstance(value, Now) else value
        if op == "ge":
            return lambda v: v is not None and v >= moment
        if op == "le":
            return lambda v: v is not None and v <= moment
        return lambda v: v is not None and v == moment
    if op == "match":
        pattern = regex.compiled(value)
        return lambda v: v is not None and pattern.search(v) is not None
    if op == "in":
        allowed = frozenset(v.lower() for v in value)
        return lambda v: v is not None and v.lower() in allowed
    target = value.lower()
    if op == "eq":
        return lambda v: v is not None and v.lower() == target
    if op == "startsWith":
        return lambda v: v is not None and v.lower().startswith(target)
    if op == "endsWith":
        return lambda v: v is not None and v.lower().endswith(target)
    if op == "contains":
        return lambda v: v is not None and target in v.lower()
    raise ValueError(op)


def _items(prop) -> Callable[[Subject], Any]:
    info = P.info_of(prop)
    if info.type == P.PLANS:
        return lambda s: s.plans
    if info.type == P.MEMBEROF:
        return lambda s: s.member_of
    return getter(prop)


def build(node: Node, now: datetime) -> Callable[[Any], bool]:
    if isinstance(node, And):
        parts = [build(o, now) for o in node.operands]
        return lambda s: all(p(s) for p in parts)
    if isinstance(node, Or):
        parts = [build(o, now) for o in node.operands]
        return lambda s: any(p(s) for p in parts)
    if isinstance(node, Not):
        inner = build(node.operand, now)
        return lambda s: not inner(s)
    if isinstance(node, DirectReports):
        manager_id = node.manager_id
        return lambda s: s.obj.manager_id == manager_id
    if isinstance(node, Quantified):
        items = _items(node.prop)
        body = build(node.body, now)
        if node.quantifier == "any":
            return lambda s: any(body(i) for i in items(s))
        return lambda s: all(body(i) for i in items(s))
    info = P.info_of(node.prop)
    read = getter(node.prop)
    is_top_collection = info.type == P.COLLECTION and node.prop.obj != "_"
    if node.value is None:
        if is_top_collection:
            return (lambda s: not read(s)) if node.op == "eq" else (lambda s: bool(read(s)))
        return (lambda s: read(s) is None) if node.op == "eq" else (lambda s: read(s) is not None)
    negated = node.op in NEGATED
    check = test(P.STRING if is_top_collection else info.type, NEGATED.get(node.op, node.op), node.value, now)
    if is_top_collection:
        if negated:
            return lambda s: not any(check(v) for v in read(s))
        return lambda s: any(check(v) for v in read(s))
    if negated:
        return lambda s: not check(read(s))
    return lambda s: check(read(s))


def predicate(rule: Rule, *, now: datetime | None = None) -> Callable[[Subject], bool]:
    return build(rule.body, now or datetime.now(UTC))


def _uses_now(text: str) -> bool:
    return re.search(r"system\.now", text, re.IGNORECASE) is not None


@dataclass(frozen=True)
class Compiled:
    rule: Rule
    predicate: Callable[[Subject], bool]
    uses_member_of: bool
    uses_collections: bool
    uses_plans: bool


@lru_cache(maxsize=8192)
def _cached(text: str) -> Compiled:
    rule = parse(text)
    types = {P.info_of(n.prop).type for n in walk(rule.body) if isinstance(n, Comparison | Quantified)}
    # A rule that reads the clock is rebuilt at each use; the others are built once per process.
    pred = None if _uses_now(text) else build(rule.body, datetime.now(UTC))
    return Compiled(rule, pred, P.MEMBEROF in types, P.COLLECTION in types, P.PLANS in types)


def compiled_predicate(text: str) -> tuple[Rule, Callable[[Subject], bool]]:
    """Parse and build once per process by rule text (raises RuleSyntaxError)."""
    c = compiled(text)
    return c.rule, c.predicate


def compiled(text: str) -> Compiled:
    c = _cached(text)
    if c.predicate is None:
        return Compiled(
            c.rule, build(c.rule.body, datetime.now(UTC)), c.uses_member_of, c.uses_collections, c.uses_plans
        )
    return c


# --- explanations -----------------------------------------------------------------------------------


@dataclass
class Clause:
    text: str
    result: bool
    depth: int
    leaf: bool
    # What the clause read from the subject: (property, value), for showing a person their own value.
    # None when it reads no single property of theirs (memberOf, assigned plans).
    reads: tuple[str, Any] | None = None


def reads_of(node: Node, subject: Subject) -> tuple[str, Any] | None:
    """The subject's own value that decided a leaf clause."""
    if isinstance(node, DirectReports):
        return "user.manager", subject.obj.manager_id
    if isinstance(node, Comparison) and node.prop.obj in ("user", "device"):
        return node.prop.text, getter(node.prop)(subject)
    if isinstance(node, Quantified) and P.info_of(node.prop).type == P.COLLECTION:
        return node.prop.text, list(getter(node.prop)(subject))
    return None


def explain(rule: Rule, subject: Subject, *, now: datetime | None = None) -> tuple[bool, list[Clause]]:
    """The answer and, in reading order, every clause with its own true/false."""
    now = now or datetime.now(UTC)
    clauses: list[Clause] = []

    def visit(node: Node, depth: int) -> bool:
        if isinstance(node, And | Or | Not):
            index = len(clauses)
            clauses.append(Clause(node_text(node), False, depth, False))
            if isinstance(node, Not):
                result = not visit(node.operand, depth + 1)
            else:
                results = [visit(o, depth + 1) for o in node.operands]  # every clause, no short cut
                result = all(results) if isinstance(node, And) else any(results)
            clauses[index].result = result
            return result
        result = build(node, now)(subject)
        clauses.append(Clause(node_text(node), result, depth, True, reads_of(node, subject)))
        return result

    return visit(rule.body, 0), clauses
