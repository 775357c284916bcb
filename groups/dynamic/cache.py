"""The tenant's active dynamic rules, compiled once per process and indexed by what they read.

``rules_for(tenant)`` costs one small query (the tenant's RuleVersion token) while nothing changed; the
rules are loaded and compiled again only when the token differs: any change to the set of active rules,
in any process, gives a new token in the transaction of the change (groups/rule_version.py). The token is
read before the rules, so a cached index is never older than its token.

The index answers two questions: which rules can change their answer when these properties of an
object change (the rules that read one of them, and the rules that read the clock), and which
``memberOf`` rules can change when the object's membership of these groups changes (the rules naming one
of them, and those that read every membership). A rule that reads none of what changed gives the same
answer as before, so skipping it is exact.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from groups.models import Group, MembershipType, ProcessingState, ProcessingStatus, RuleVersion
from groups.rules import RuleSyntaxError
from groups.rules.evaluator import Subject, compiled
from groups.rules.reads import MEMBER_OF, Guard, Reads, guard, reads
from portal.models import Tenant


@dataclass(frozen=True)
class IndexedRule:
    group_id: uuid.UUID
    name: str
    rule_text: str
    kind: str
    reads: Reads
    uses_collections: bool
    uses_plans: bool
    guard: Guard | None
    _predicate: Callable[[Subject], bool] | None

    @property
    def uses_member_of(self) -> bool:
        return MEMBER_OF in self.reads.properties

    @property
    def predicate(self) -> Callable[[Subject], bool]:
        # A rule that reads the clock is built at each use (groups.rules.evaluator.compiled).
        return self._predicate or compiled(self.rule_text).predicate


@dataclass
class RuleIndex:
    """The active dynamic rules of one kind of object (users or devices) of a tenant."""

    rules: list[IndexedRule] = field(default_factory=list)
    group_ids: set[uuid.UUID] = field(default_factory=set)
    by_id: dict[uuid.UUID, IndexedRule] = field(default_factory=dict)
    member_of: list[IndexedRule] = field(default_factory=list)
    by_property: dict[str, list[IndexedRule]] = field(default_factory=lambda: defaultdict(list))
    by_group: dict[uuid.UUID, list[IndexedRule]] = field(default_factory=lambda: defaultdict(list))
    clock: list[IndexedRule] = field(default_factory=list)
    any_group: list[IndexedRule] = field(default_factory=list)
    # The rules reading a property: without a guard, and with one, by the guard's fields and values.
    unguarded: dict[str, list[IndexedRule]] = field(default_factory=lambda: defaultdict(list))
    guarded: dict[str, dict[tuple, dict[tuple, list[IndexedRule]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    )

    def add(self, rule: IndexedRule) -> None:
        self.rules.append(rule)
        self.group_ids.add(rule.group_id)
        self.by_id[rule.group_id] = rule
        if rule.uses_member_of:
            self.member_of.append(rule)
        for name in rule.reads.properties:
            self.by_property[name].append(rule)
            if rule.guard is None:
                self.unguarded[name].append(rule)
            else:
                for values in rule.guard.values:
                    self.guarded[name][rule.guard.fields][values].append(rule)
        for group_id in rule.reads.groups:
            self.by_group[group_id].append(rule)
        if rule.reads.clock:
            self.clock.append(rule)
        if rule.reads.any_group:
            self.any_group.append(rule)

    def reads_any(self, changed: Iterable[str] | None) -> bool:
        """Whether a change of ``changed`` (None: anything) may change any rule's answer."""
        return changed is None or bool(self.clock) or any(name in self.by_property for name in changed)

    def reading(self, changed: Iterable[str] | None, obj: Any, member_of: set) -> list[IndexedRule]:
        """The rules whose answer for ``obj`` may change when its properties ``changed`` (Graph names;
        None: unknown, every rule) changed: among the rules reading one of them (and those reading the
        clock), those whose guard passes on ``obj``'s values now, and those whose group ``obj`` is in
        (``member_of``). A rule whose guard fails is false now; if ``obj`` isn't in its group, it was
        false before too (the memberships were right before the change)."""
        if changed is None:
            return list(self.rules)
        changed = set(changed)
        found = {r.group_id: r for r in self.clock}
        for name in changed:
            found.update((r.group_id, r) for r in self.unguarded.get(name, ()))
            for fields, by_values in self.guarded.get(name, {}).items():
                values = tuple(getattr(obj, f, None) for f in fields)
                if all(isinstance(v, str) for v in values):
                    key = tuple(v.lower() for v in values)
                    found.update((r.group_id, r) for r in by_values.get(key, ()))
        for group_id in member_of:
            rule = self.by_id.get(group_id)
            if rule is not None and not changed.isdisjoint(rule.reads.properties):
                found[group_id] = rule
        return list(found.values())

    def naming(self, group_ids: Iterable[uuid.UUID]) -> list[IndexedRule]:
        """The ``memberOf`` rules whose answer may change when an object joins or leaves ``group_ids``."""
        group_ids = set(group_ids)
        if not group_ids:
            return []
        found = {r.group_id: r for r in self.any_group}
        for group_id in group_ids:
            found.update((r.group_id, r) for r in self.by_group.get(group_id, ()))
        return list(found.values())


@dataclass
class TenantRules:
    token: str | None
    user: RuleIndex
    device: RuleIndex

    def of(self, kind: str) -> RuleIndex:
        return self.device if kind == "device" else self.user


_cache: dict[Any, TenantRules] = {}


_UNREAD = object()


def token_query(tenant: Tenant):
    """The tenant's token, as a query (to read on its own, or inside another query as a subquery)."""
    return RuleVersion.objects.filter(tenant_id=tenant.pk).values_list("token", flat=True)


def rules_for(tenant: Tenant, *, token: Any = _UNREAD, cache: dict | None = None) -> TenantRules:
    """The tenant's active rules, from this process's cache while the tenant's token is unchanged.
    ``token``: the token the caller has just read in another query (else one query reads it)."""
    cache = _cache if cache is None else cache
    if token is _UNREAD:
        token = token_query(tenant).first()
    cached = cache.get(tenant.pk)
    if cached is not None and cached.token == token:
        return cached
    cached = _load(tenant, token, previous=cached)
    cache[tenant.pk] = cached
    return cached


def forget_all() -> None:
    """Empty this process's cache (tests, and a benchmark's "every rule from the database" baseline)."""
    _cache.clear()


def _load(tenant: Tenant, token: str | None, previous: TenantRules | None = None) -> TenantRules:
    """Load the active rules; a rule unchanged since ``previous`` is reused, not compiled again."""
    result = TenantRules(token, RuleIndex(), RuleIndex())
    known = {} if previous is None else {**previous.user.by_id, **previous.device.by_id}
    rows = (
        Group.objects.for_tenant(tenant)
        .alive()
        .filter(membership_type=MembershipType.DYNAMIC, membership_rule_processing_state=ProcessingState.ON)
        .exclude(processing_status=ProcessingStatus.HELD)
        .order_by("pk")
        .values_list("pk", "display_name", "membership_rule")
    )
    for pk, name, text in rows:
        same = known.get(pk)
        if same is not None and (same.name, same.rule_text) == (name, text):
            result.of(same.kind).add(same)
            continue
        try:
            c = compiled(text)
        except RuleSyntaxError:
            continue  # a broken stored rule selects nobody new; its page shows the error
        what = reads(c.rule)
        rule = IndexedRule(
            pk,
            name,
            text,
            c.rule.kind,
            what,
            c.uses_collections,
            c.uses_plans,
            guard(c.rule),
            None if what.clock else c.predicate,
        )
        result.of(c.rule.kind).add(rule)
    return result
