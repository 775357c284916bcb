"""The Q compiler and the Python predicate agree, for random rules × random users (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import uuid

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groups.dynamic.compiler import queryset_for
from groups.dynamic.subjects import subject_for
from groups.models import Membership
from groups.rules import parse, predicate, print_rule
from portal.models import AssignedPlan, User, UserMultiValue
from tests import factories
from tests.groups import rule_strategies as rs

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("GD_RULES_EXAMPLES", "150"))


class _Rollback(Exception):
    pass


def _make_users(tenant, rows, groups, manager) -> list[User]:
    users = []
    for i, row in enumerate(rows):
        row = dict(row)
        collections = {k: row.pop(k) for k in ("otherMails", "proxyAddresses")}
        plans = row.pop("plans")
        member_of = row.pop("groups")
        user = User.objects.create(
            tenant=tenant,
            user_principal_name=f"diff{i}-{tenant.slug}@example.test",
            manager=manager if i % 2 else None,
            **row,
        )
        for attribute, values in collections.items():
            UserMultiValue.objects.bulk_create(
                UserMultiValue(user=user, attribute=attribute, value=v, position=p)
                for p, v in enumerate(values)
            )
        for plan_id, service, status in plans:
            AssignedPlan.objects.create(
                user=user, service_plan_id=plan_id, service=service, capability_status=status
            )
        for g in member_of:
            Membership.objects.create(group=groups[g], member_user=user)
        users.append(user)
    return users


def _agree(rule_tree, tenant, users) -> None:
    text = print_rule(rule_tree)
    rule = parse(text)
    assert rule.body == rule_tree  # the printer and parser round-trip
    in_db = set(queryset_for(rule, tenant).values_list("pk", flat=True))
    test = predicate(rule)
    in_python = {u.pk for u in users if test(subject_for(u))}
    assert in_db == in_python, text


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_it_gives_the_same_answer_in_the_database_and_in_python(tenant, data):
    group_ids = [uuid.UUID(int=i + 100) for i in range(3)]
    rule_tree = data.draw(rs.rules(group_ids), label="rule")
    rows = data.draw(st.lists(rs.user_rows(), min_size=1, max_size=6), label="users")
    try:
        with transaction.atomic():
            groups = [factories.GroupFactory(tenant=tenant, id=pk) for pk in group_ids]
            manager = factories.UserFactory(tenant=tenant)
            users = _make_users(tenant, rows, groups, manager) + [manager]
            _agree(rule_tree, tenant, users)
            raise _Rollback
    except _Rollback:
        pass


def test_it_agrees_on_direct_reports(tenant):
    manager = factories.UserFactory(tenant=tenant)
    reports = [factories.UserFactory(tenant=tenant, manager=manager) for _ in range(2)]
    other = factories.UserFactory(tenant=tenant)
    rule = parse(f'Direct Reports for "{manager.pk}"')
    assert set(queryset_for(rule, tenant)) == set(reports)
    test = predicate(rule)
    assert [test(subject_for(u)) for u in [*reports, other, manager]] == [True, True, False, False]
