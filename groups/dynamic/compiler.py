"""A rule → a Django ``Q`` over User or Device: a whole group in one query, on SQLite and PostgreSQL.

Every comparison compiles to a two-valued condition (a positive test is ``value IS NOT NULL AND
test``), so that ``-not`` and the negated operators turn "no value" into true, as the reference's
"(ours)" null rule says, instead of SQL's unknown.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, F, OuterRef, Q
from django.db.models.fields.json import KT
from django.db.models.lookups import (
    Contains,
    EndsWith,
    Exact,
    GreaterThanOrEqual,
    In,
    IsNull,
    LessThanOrEqual,
    StartsWith,
)
from django.utils import timezone

from groups.dynamic.db import CaseFold, RegexSearch
from groups.models import Membership
from groups.rules import properties as P
from groups.rules.ast import And, Comparison, DirectReports, Node, Not, Now, Or, Quantified, Rule
from groups.rules.evaluator import shift
from groups.rules.parser import NEGATED
from portal.models import AssignedPlan, Device, DeviceMultiValue, User, UserMultiValue

NOTHING = Q(pk__in=[])
_PATTERN_LOOKUPS = {"eq": Exact, "startsWith": StartsWith, "endsWith": EndsWith, "contains": Contains}


def resolve_now(value: Now, now: datetime) -> datetime:
    return shift(now, value)


def to_q(rule: Rule, *, now: datetime | None = None) -> Q:
    return _Compiler(rule.kind, now or timezone.now()).q(rule.body, rule.kind)


class _Compiler:
    def __init__(self, kind: str, now: datetime) -> None:
        self.kind = kind
        self.now = now

    def q(self, node: Node, scope: str) -> Q:
        if isinstance(node, And):
            result = self.q(node.operands[0], scope)
            for operand in node.operands[1:]:
                result &= self.q(operand, scope)
            return result
        if isinstance(node, Or):
            result = self.q(node.operands[0], scope)
            for operand in node.operands[1:]:
                result |= self.q(operand, scope)
            return result
        if isinstance(node, Not):
            return ~self.q(node.operand, scope)
        if isinstance(node, DirectReports):
            return Q(manager_id=node.manager_id)
        if isinstance(node, Quantified):
            return self.quantified(node)
        return self.comparison(node, scope)

    def items(self, prop) -> tuple[object, str]:
        """(queryset of the collection's rows for the outer object, scope of its items)."""
        info = P.info_of(prop)
        owner = self.kind
        if info.type == P.COLLECTION:
            model = UserMultiValue if owner == "user" else DeviceMultiValue
            return model.objects.filter(**{owner: OuterRef("pk"), "attribute": info.field}), "_"
        if info.type == P.PLANS:
            return AssignedPlan.objects.filter(user=OuterRef("pk")), "assignedPlan"
        return Membership.objects.filter(**{f"member_{owner}": OuterRef("pk")}), "group"

    def quantified(self, node: Quantified) -> Q:
        rows, scope = self.items(node.prop)
        body = self.q(node.body, scope)
        if node.quantifier == "any":
            return Q(Exists(rows.filter(body)))
        return ~Q(Exists(rows.filter(~body)))

    def comparison(self, node: Comparison, scope: str) -> Q:
        info = P.info_of(node.prop)
        if info.type == P.COLLECTION and scope in ("user", "device"):
            rows, _ = self.items(node.prop)
            if node.value is None:
                has_items = Q(Exists(rows))
                return ~has_items if node.op == "eq" else has_items
            positive = NEGATED.get(node.op, node.op)
            found = Q(Exists(rows.filter(self.test(F("value"), P.STRING, positive, node.value))))
            return ~found if node.op in NEGATED else found
        expr = KT(f"extensions__{info.field}") if info.type == P.EXTENSION else F(info.field)
        if node.value is None:
            is_null = Q(IsNull(expr, True))
            return is_null if node.op == "eq" else ~is_null
        if node.op in NEGATED:
            return ~self.test(expr, info.type, NEGATED[node.op], node.value)
        return self.test(expr, info.type, node.op, node.value)

    def test(self, expr, type_: str, op: str, value) -> Q:
        """A positive, two-valued test of ``expr``."""
        if type_ == P.DIRSYNC:
            synced = Q(Exact(expr, "synced"))
            return synced if value else ~synced
        if type_ in (P.BOOL, P.UUID):
            if op == "in":
                return Q(In(expr, list(value))) if value else NOTHING
            return Q(Exact(expr, value))
        present = Q(IsNull(expr, False))
        if type_ == P.DATE:
            moment = resolve_now(value, self.now) if isinstance(value, Now) else value
            lookup = {"eq": Exact, "ge": GreaterThanOrEqual, "le": LessThanOrEqual}[op]
            return present & Q(lookup(expr, moment))
        # strings
        if op == "match":
            return present & Q(RegexSearch(expr, value))
        if op == "in":
            if not value:
                return NOTHING
            return present & Q(In(CaseFold(expr), sorted({v.lower() for v in value})))
        return present & Q(_PATTERN_LOOKUPS[op](CaseFold(expr), value.lower()))


def queryset_for(rule: Rule, tenant, *, now: datetime | None = None):
    """The tenant's objects that satisfy ``rule`` (users: not deleted)."""
    if rule.kind == "device":
        base = Device.objects.filter(tenant=tenant)
    else:
        base = User.objects.filter(tenant=tenant, deleted_date_time__isnull=True)
    return base.filter(to_q(rule, now=now))
