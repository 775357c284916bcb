"""Only the affected rules give the same memberships as every rule: random rule sets × random changes
(SQLite and PostgreSQL).

A tenant gets a few assigned groups and a few dynamic groups with random rules (``memberOf`` clauses
name the assigned groups and earlier dynamic groups, so the rules settle), users get their memberships
from every rule, then one user changes: some attributes (re-evaluated with the names of what changed,
as the user services pass them) or an assigned group membership (through the one writer, whose
reaction re-evaluates the memberOf rules naming that group). Afterwards, every rule evaluated for that
user in Python, and every rule's whole-group query in the database, must agree with the memberships.
"""

from __future__ import annotations

import os
import uuid

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groups.dynamic import cache, queryset_for, reevaluate
from groups.models import Membership, MembershipType
from groups.rules import parse, print_rule
from groups.rules.ast import And, Comparison, Property, Rule, walk
from groups.rules.reads import reads
from groups.services import membership
from portal.directory import USER_GRAPH_NAME_OF_FIELD, changed_graph_names
from portal.models import AssignedPlan, User, UserMultiValue
from tests import factories
from tests.groups import rule_strategies as rs
from tests.groups.test_rules_differential import _make_users

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("GD_RULES_INDEX_EXAMPLES", "150"))
STATIC = [uuid.UUID(int=i + 100) for i in range(3)]
DYNAMIC = [uuid.UUID(int=i + 200) for i in range(5)]
MANAGER = uuid.UUID(int=300)
FIELDS = [
    "department",
    "city",
    "mail",
    "display_name",
    "extension_attribute_1",
    "user_type",
    "account_enabled",
    "source",
    "employee_hire_date",
]
OTHER = {  # what else changes, and its Graph name
    "manager": "manager",
    "extensions": "extension_app1_color",
    "otherMails": "otherMails",
    "proxyAddresses": "proxyAddresses",
    "plans": "assignedPlans",
}


class _Rollback(Exception):
    pass


@st.composite
def _rule_texts(draw) -> list[str]:
    count = draw(st.integers(1, len(DYNAMIC)))
    texts = []
    for i in range(count):
        shape = draw(st.integers(0, 9))
        if shape == 0:
            texts.append(f'Direct Reports for "{MANAGER}"')
        elif shape <= 2 and i:  # a memberOf rule on an earlier dynamic group: changes cascade
            named = draw(st.sampled_from(DYNAMIC[:i]))
            texts.append(f'user.memberOf -any (group.objectId -in ["{named}"])')
        elif shape <= 4:  # a guarded rule: an -eq or -in on a text property first
            first = Comparison(
                Property("user", draw(st.sampled_from(rs.STRING_PROPS))),
                "eq",
                draw(st.sampled_from(["a", "Ab", "é"])),
            )
            if draw(st.booleans()):
                first = Comparison(first.prop, "in", (first.value, draw(rs.WORDS)))
            rest = draw(st.one_of(rs.string_comparison(), rs.other_comparison(STATIC + DYNAMIC[:i])))
            texts.append(print_rule(And((first, rest)) if draw(st.booleans()) else first))
        else:
            # A memberOf clause that reads every membership (-all, or -any of a negated test) also reads
            # its own group's: such a rule need not settle, whichever rules run. Those are left out here.
            leaf = st.one_of(rs.string_comparison(), rs.other_comparison(STATIC + DYNAMIC[:i]))
            small = rs.combine(leaf, depth=1)  # small rules: a change flips them often
            tree = draw(small.filter(lambda t: not reads(Rule(t, "user")).any_group))
            texts.append(print_rule(tree))
    return texts


def _literals(texts: list[str]) -> list[str]:
    """The text values the rules compare with: a change to one of them often flips a rule."""
    found = []
    for text in texts:
        for node in walk(parse(text).body):
            if isinstance(node, Comparison):
                values = node.value if isinstance(node.value, tuple) else (node.value,)
                found += [v for v in values if isinstance(v, str)]
    return found


@st.composite
def _changes(draw, users: int, texts: list[str]) -> tuple:
    who = draw(st.integers(0, users - 1))
    if draw(st.integers(0, 3)) == 0:
        return who, "membership", draw(st.integers(0, len(STATIC) - 1))
    # Mostly change what the rules read: a change to anything else changes no rule's answer.
    read = set().union(*(reads(parse(t)).properties for t in texts))
    graph = {**USER_GRAPH_NAME_OF_FIELD, **OTHER}
    preferred = [k for k in graph if k in FIELDS + list(OTHER) and graph[k] in read]
    choices = preferred if preferred and draw(st.integers(0, 3)) else FIELDS + list(OTHER)
    keys = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=4, unique=True))
    return who, "attributes", (keys, draw(_rows(texts)), draw(st.booleans()))


@st.composite
def _rows(draw, texts: list[str]) -> dict:
    """A user's attributes, often equal to the rules' values."""
    row = draw(rs.user_rows())
    literals = _literals(texts)
    for key in ("department", "city", "mail", "display_name", "extension_attribute_1"):
        if literals and draw(st.booleans()):
            literal = draw(st.sampled_from(literals))
            row[key] = literal.swapcase() if draw(st.booleans()) else literal
    return row


def _apply_attributes(user: User, keys: list[str], row: dict, manager: User, with_manager: bool) -> set:
    """Change ``keys`` of ``user`` to ``row``'s values; the Graph names of what changed."""
    names = set()
    fields = [k for k in keys if k in FIELDS]
    for key in fields:
        setattr(user, key, row[key])
    names |= changed_graph_names(fields)
    if "manager" in keys:
        user.manager = manager if with_manager else None
        fields.append("manager")
        names.add("manager")
    if "extensions" in keys:
        user.extensions = row["extensions"]
        fields.append("extensions")
        names.add("extension_app1_color")
    user.save(update_fields=fields or None)
    for attribute in ("otherMails", "proxyAddresses"):
        if attribute in keys:
            UserMultiValue.objects.filter(user=user, attribute=attribute).delete()
            UserMultiValue.objects.bulk_create(
                UserMultiValue(user=user, attribute=attribute, value=v, position=p)
                for p, v in enumerate(row[attribute])
            )
            names.add(attribute)
    if "plans" in keys:
        AssignedPlan.objects.filter(user=user).delete()
        for plan_id, service, status in row["plans"]:
            AssignedPlan.objects.create(
                user=user, service_plan_id=plan_id, service=service, capability_status=status
            )
        names.add("assignedPlans")
    return names


def _check(tenant, user: User, texts: list[str]) -> None:
    in_groups = set(Membership.objects.filter(member_user=user).values_list("group_id", flat=True))
    # Every rule, in Python, for this user: nothing left to change.
    assert reevaluate(tenant=tenant, objects=[user], changed=None) == {"added": 0, "removed": 0}, texts
    # Every rule's whole-group query in the database: the same members.
    for group_id, text in zip(DYNAMIC, texts, strict=False):
        selected = queryset_for(parse(text), tenant).filter(pk=user.pk).exists()
        assert selected == (group_id in in_groups), (text, selected)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_it_gives_the_same_memberships_evaluating_only_the_affected_rules(tenant, data):
    texts = data.draw(_rule_texts(), label="rules")
    rows = data.draw(st.lists(_rows(texts), min_size=1, max_size=3), label="users")
    change = data.draw(_changes(len(rows), texts), label="change")
    try:
        with transaction.atomic():
            static = [factories.GroupFactory(tenant=tenant, id=pk) for pk in STATIC]
            manager = factories.UserFactory(tenant=tenant, id=MANAGER)
            users = _make_users(tenant, rows, static, manager)
            for pk, text in zip(DYNAMIC, texts, strict=False):
                factories.GroupFactory(
                    tenant=tenant, id=pk, membership_type=MembershipType.DYNAMIC, membership_rule=text
                )
            reevaluate(tenant=tenant, objects=users, changed=None)  # every rule: the starting state
            who, what, detail = change
            user = User.objects.get(pk=users[who].pk)
            if what == "membership":
                group = static[detail]
                if Membership.objects.filter(group=group, member_user=user).exists():
                    membership.member_remove(actor=membership.RULE_ACTOR, group=group, member=user)
                else:
                    membership.member_add(actor=membership.RULE_ACTOR, group=group, member=user)
            else:
                keys, row, with_manager = detail
                names = _apply_attributes(user, keys, row, manager, with_manager)
                reevaluate(tenant=tenant, objects=[user], changed=names)
            _check(tenant, user, texts)
            raise _Rollback
    except _Rollback:
        pass


def test_it_evaluates_no_rule_when_nothing_a_rule_reads_changed(tenant, django_assert_num_queries):
    factories.GroupFactory(
        tenant=tenant, membership_type=MembershipType.DYNAMIC, membership_rule='user.department -eq "x"'
    )
    user = factories.UserFactory(tenant=tenant, department="x")
    reevaluate(tenant=tenant, objects=[user], changed=None)
    assert Membership.objects.filter(member_user=user).count() == 1
    user.department = "y"
    user.save()
    with django_assert_num_queries(1):  # the tenant's rule token: no rule reads the city
        assert reevaluate(tenant=tenant, objects=[user], changed={"city"}) == {"added": 0, "removed": 0}
    assert reevaluate(tenant=tenant, objects=[user], changed={"department"}) == {"added": 0, "removed": 1}


def test_it_re_evaluates_a_memberof_rule_reading_every_group_when_any_group_changes(tenant):
    """``memberOf -any (group.objectId -notIn [...])`` reads every membership, not only the groups it
    names."""
    named, other = factories.GroupFactory(tenant=tenant), factories.GroupFactory(tenant=tenant)
    dynamic = factories.GroupFactory(
        tenant=tenant,
        membership_type=MembershipType.DYNAMIC,
        membership_rule=f'user.memberOf -any (group.objectId -notIn ["{named.pk}"])',
    )
    user = factories.UserFactory(tenant=tenant)
    membership.member_add(actor=membership.RULE_ACTOR, group=named, member=user)
    assert not Membership.objects.filter(group=dynamic, member_user=user).exists()
    membership.member_add(actor=membership.RULE_ACTOR, group=other, member=user)
    assert Membership.objects.filter(group=dynamic, member_user=user).exists()
    assert [r.group_id for r in cache.rules_for(tenant).user.naming({other.pk})] == [dynamic.pk]


def test_it_takes_a_deleted_user_out_of_every_dynamic_group_whatever_changed(tenant):
    factories.GroupFactory(
        tenant=tenant, membership_type=MembershipType.DYNAMIC, membership_rule='user.department -eq "x"'
    )
    user = factories.UserFactory(tenant=tenant, department="x")
    reevaluate(tenant=tenant, objects=[user])
    user.deleted_date_time = timezone.now()
    user.save()
    assert reevaluate(tenant=tenant, objects=[user], changed=set()) == {"added": 0, "removed": 1}
