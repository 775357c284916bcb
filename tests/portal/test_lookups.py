"""``field__any_of``: the same rows as ``__in``, sent to PostgreSQL as one array parameter."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import NotSupportedError, connection
from django.test.utils import CaptureQueriesContext

from access_requests.models import JoinRequest
from groups.models import Group
from portal import lookups
from tests.factories import GroupFactory, JoinRequestFactory

pytestmark = pytest.mark.django_db


def test_it_selects_and_excludes_what_in_does(tenant):
    groups = GroupFactory.create_batch(4, tenant=tenant)
    wanted = [groups[0].pk, groups[2].pk, None]
    ours = Group.objects.filter(tenant=tenant)
    assert set(ours.filter(id__any_of=wanted)) == set(ours.filter(id__in=wanted)) == {groups[0], groups[2]}
    assert set(ours.exclude(id__any_of=wanted)) == {groups[1], groups[3]}
    assert list(ours.filter(id__any_of=[])) == []
    assert set(ours.exclude(id__any_of=set())) == set(groups)


def test_it_works_on_foreign_keys_with_ids_or_objects(tenant):
    groups = GroupFactory.create_batch(3, tenant=tenant)
    requests = [JoinRequestFactory(group=group) for group in groups]
    pending = JoinRequest.objects.filter(tenant=tenant)
    assert set(pending.filter(group_id__any_of={groups[0].pk, groups[1].pk})) == set(requests[:2])
    assert set(pending.filter(group__any_of=[groups[2]])) == {requests[2]}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array parameter is PostgreSQL's")
def test_it_sends_a_thousand_ids_as_one_parameter(tenant):
    group = GroupFactory(tenant=tenant)
    ids = [group.pk, *(GroupFactory.build().pk for _ in range(999))]
    with CaptureQueriesContext(connection) as queries:
        assert list(Group.objects.filter(id__any_of=ids)) == [group]
    sql = queries.captured_queries[0]["sql"]
    assert "= ANY(" in sql and " IN (" not in sql


def test_a_queryset_selects_and_excludes_what_in_does(tenant):
    groups = GroupFactory.create_batch(3, tenant=tenant)
    requests = [JoinRequestFactory(group=group) for group in groups[:2]]
    asked = JoinRequest.objects.filter(pk__in=[r.pk for r in requests]).values("group_id")
    ours = Group.objects.filter(tenant=tenant)
    assert set(ours.filter(id__any_of=asked)) == set(ours.filter(id__in=asked)) == set(groups[:2])
    assert set(ours.exclude(id__any_of=asked)) == {groups[2]}
    assert list(ours.filter(id__any_of=JoinRequest.objects.none().values("group_id"))) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array subquery is PostgreSQL's")
def test_a_queryset_becomes_an_array_the_database_builds_first(tenant):
    # "= ANY(ARRAY(SELECT ...))" is an InitPlan: the ids first, then the groups probed by key. "IN
    # (SELECT ...)" is a join, planned as a hash of every group of the tenant (/v1.0/me/memberOf).
    group = GroupFactory(tenant=tenant)
    request = JoinRequestFactory(group=group)
    with CaptureQueriesContext(connection) as queries:
        found = list(
            Group.objects.filter(id__any_of=JoinRequest.objects.filter(pk=request.pk).values("group_id"))
        )
    assert found == [group]
    sql = queries.captured_queries[0]["sql"]
    assert "= ANY(ARRAY(SELECT" in sql and " IN (" not in sql


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array parameter is PostgreSQL's")
def test_it_writes_ids_as_the_array_text_and_leaves_other_values_to_the_driver(tenant):
    groups = GroupFactory.create_batch(3, tenant=tenant)
    ids = Group.objects.filter(id__any_of=[g.pk for g in groups[:2]])
    sql, params = ids.query.get_compiler(connection=connection).as_sql()
    assert params[-1] == "{" + ",".join(g.pk.hex for g in groups[:2]) + "}"
    assert set(ids) == set(groups[:2])
    names = ['a, "quoted" {name}', "back\\slash", groups[2].display_name]
    groups[0].display_name, groups[1].display_name = names[:2]
    Group.objects.bulk_update(groups[:2], ["display_name"])
    by_name = Group.objects.filter(tenant=tenant, display_name__any_of=names)
    assert names in by_name.query.get_compiler(connection=connection).as_sql()[1]
    assert set(by_name) == set(groups)
    assert list(JoinRequest.objects.filter(pk__any_of=[1, 2])) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array parameter is PostgreSQL's")
def test_a_page_and_its_count_prepare_the_ids_once(tenant):
    groups = GroupFactory.create_batch(3, tenant=tenant)
    listed = Group.objects.filter(id__any_of=[g.pk for g in groups]).order_by("id")
    with mock.patch("portal.lookups._array_text", wraps=lookups._array_text) as written:
        assert listed.count() == 3 and list(listed[:2]) == sorted(groups, key=lambda g: g.pk)[:2]
    assert written.call_count == 1


def test_an_array_as_the_database_wrote_it_selects_what_the_ids_do(tenant):
    groups = GroupFactory.create_batch(3, tenant=tenant)
    ours = Group.objects.filter(tenant=tenant)
    if connection.vendor != "postgresql":
        with pytest.raises(NotSupportedError):
            list(ours.filter(id__any_of=lookups.ArrayText("{}")))
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(id)::text FROM groups_group WHERE id = ANY(%s)", [[g.pk for g in groups[:2]]]
        )
        written = lookups.ArrayText(cursor.fetchone()[0])
    assert set(ours.filter(id__any_of=written)) == set(groups[:2])
    assert set(ours.exclude(id__any_of=written)) == {groups[2]}
    assert set(ours.exclude(id__any_of=lookups.ArrayText("{}"))) == set(groups)
    assert list(ours.filter(id__any_of=lookups.ArrayText("{}"))) == []


def test_keys_of_the_keys_own_type_are_not_prepared_one_by_one(tenant):
    # UUIDs for a UUID key, ints for an integer one: each would come back from its preparation unchanged.
    groups = GroupFactory.create_batch(2, tenant=tenant)
    requests = [JoinRequestFactory(group=group) for group in groups]
    uuid_field = Group._meta.get_field("id")
    with mock.patch.object(type(uuid_field), "get_prep_value", side_effect=AssertionError("prepared")):
        assert set(Group.objects.filter(id__any_of={g.pk for g in groups})) == set(groups)
        assert set(JoinRequest.objects.filter(group_id__any_of=[groups[0].pk])) == {requests[0]}
    # Anything else is prepared as __in prepares it: text ids, objects, a None among the ids.
    assert set(Group.objects.filter(id__any_of=[str(groups[0].pk)])) == {groups[0]}
    assert set(Group.objects.filter(id__any_of=[groups[1].pk, None])) == {groups[1]}
    assert set(JoinRequest.objects.filter(group__any_of=[groups[1]])) == {requests[1]}
    assert set(JoinRequest.objects.filter(pk__any_of=[requests[0].pk])) == {requests[0]}
