"""How the one writer applies a per-object re-evaluation (``membership.rule_object_apply``): the same
memberships and the same audit rows, field for field, on SQLite (the ORM) and on PostgreSQL (one
statement, ``groups.services.rule_sql``), in few statements."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from groups.dynamic import reevaluate
from groups.models import Membership, MembershipType
from groups.services import membership
from portal.audit import current_request_id
from portal.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


def _dynamic(tenant, name, rule):
    return factories.GroupFactory(
        tenant=tenant, display_name=name, membership_type=MembershipType.DYNAMIC, membership_rule=rule
    )


def _fields(event: AuditEvent) -> dict:
    return {
        name: getattr(event, name)
        for name in (
            "tenant_id",
            "activity",
            "category",
            "result",
            "actor_id",
            "actor_type",
            "actor_name",
            "target_id",
            "target_type",
            "target_name",
            "before",
            "after",
            "reason",
            "request_id",
        )
    }


def test_it_writes_one_audit_event_per_membership_changed_field_for_field(tenant):
    sales = _dynamic(tenant, "Sales “people”", 'user.department -eq "Sales"')
    hr = _dynamic(tenant, "HR", 'user.department -eq "HR"')
    user = factories.UserFactory(tenant=tenant, department="HR", user_principal_name="zoé@x.test")
    reevaluate(tenant=tenant, objects=[user])
    user.department = "Sales"
    user.save()
    started = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    token = current_request_id.set("req-42")
    try:
        assert reevaluate(tenant=tenant, objects=[user], changed={"department"}) == {"added": 1, "removed": 1}
    finally:
        current_request_id.reset(token)
    events = {e.activity: e for e in AuditEvent.objects.filter(id__gt=started)}
    base = {
        "tenant_id": tenant.pk,
        "category": "GroupManagement",
        "result": "success",
        "actor_id": "",
        "actor_type": "system",
        "actor_name": membership.RULE_ACTOR,
        "target_type": "group",
        "request_id": "req-42",
    }
    assert set(events) == {membership.ADD, membership.REMOVE}
    assert _fields(events[membership.ADD]) == base | {
        "activity": membership.ADD,
        "target_id": str(sales.pk),
        "target_name": "Sales “people”",
        "before": None,
        "after": {"member": "zoé@x.test", "memberId": str(user.pk), "memberType": "user", "source": "rule"},
        "reason": 'Dynamic membership rule of “Sales “people””: user.department -eq "Sales"',
    }
    assert _fields(events[membership.REMOVE]) == base | {
        "activity": membership.REMOVE,
        "target_id": str(hr.pk),
        "target_name": "HR",
        "before": {"member": "zoé@x.test", "memberId": str(user.pk), "memberType": "user"},
        "after": None,
        "reason": 'Dynamic membership rule of “HR”: user.department -eq "HR"',
    }
    assert set(Membership.objects.filter(member_user=user).values_list("group_id", "source")) == {
        (sales.pk, "rule")
    }


def test_it_applies_an_attribute_change_in_two_statements_on_postgresql(tenant, django_assert_num_queries):
    """The memberships, the rule token and whether the tenant has group licences in one SELECT; then the
    DELETE, the INSERT, the audit rows and the stored member counts in one statement (on SQLite: one
    each)."""
    groups = [_dynamic(tenant, f"D{i}", f'user.department -eq "D{i}"') for i in range(4)]
    other = factories.GroupFactory(tenant=tenant)
    user = factories.UserFactory(tenant=tenant, department="D0")
    membership.member_add(actor=membership.RULE_ACTOR, group=other, member=user)
    reevaluate(tenant=tenant, objects=[user])
    user.department = "D1"
    user.save()
    # On SQLite one more: the stored member counts (PostgreSQL keeps them in the write statement).
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 5):
        assert reevaluate(tenant=tenant, objects=[user], changed={"department"}) == {"added": 1, "removed": 1}
    for group in (groups[0], groups[1]):
        group.refresh_from_db()
        assert group.member_count == Membership.objects.filter(group=group).count()
    assert set(Membership.objects.filter(member_user=user).values_list("group_id", flat=True)) == {
        groups[1].pk,
        other.pk,
    }


@pytest.mark.postgres
def test_it_audits_only_the_memberships_it_really_changed(tenant):
    """A membership someone else added or removed meanwhile: no event for it (PostgreSQL: the audit rows
    are written from what the DELETE and the INSERT report)."""
    a, b, c, d = (_dynamic(tenant, n, f'user.department -eq "{n}"') for n in "ABCD")
    user = factories.UserFactory(tenant=tenant, department="A")
    reevaluate(tenant=tenant, objects=[user])
    Membership.objects.create(group=c, member_user=user, source="rule")  # added meanwhile
    started = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    groups = {g.pk: membership.RuleGroup(g.pk, g.display_name, g.membership_rule) for g in (a, b, c, d)}
    written = membership.rule_object_apply(
        tenant=tenant, changes=[(user, {b.pk, c.pk}, {a.pk, d.pk})], groups=groups, licensed=False
    )
    events = set(AuditEvent.objects.filter(id__gt=started).values_list("activity", "target_id"))
    assert events == {(membership.ADD, str(b.pk)), (membership.REMOVE, str(a.pk))}
    assert written == 2
    assert set(Membership.objects.filter(member_user=user).values_list("group_id", flat=True)) == {b.pk, c.pk}


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("column", "index"),
    [
        ("member_group_id", "membership_group_up"),
        ("member_device_id", "membership_device_set"),
        ("member_service_principal_id", "membership_sp_set"),
        ("added_by_id", "membership_added_by_set"),
    ],
)
def test_the_sparse_membership_columns_are_indexed_where_they_have_a_value(column, index):
    """A rule's membership row takes no entry in these indexes, and a lookup, or the nesting walk's
    join, by the column still uses them."""
    lookup = f"SELECT id FROM groups_membership WHERE {column} = %s"
    join = f"SELECT m.id FROM groups_membership m JOIN groups_group g ON m.{column} = g.id WHERE g.id = %s"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in (lookup, join):
            cursor.execute("EXPLAIN " + sql, ["00000000-0000-0000-0000-000000000001"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert index in plan, plan


@pytest.mark.postgres
def test_the_walk_up_the_nesting_reads_parents_from_the_index_alone():
    """A nested group's parents come from (member group, group): no heap row per group reached."""
    step = "SELECT m.group_id FROM groups_membership m WHERE m.member_group_id = %s"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + step, ["00000000-0000-0000-0000-000000000001"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using membership_group_up" in plan, plan


@pytest.mark.postgres
def test_lookups_by_group_use_the_unique_group_and_user_index_and_no_group_index_remains():
    """A user membership takes three index entries, not four: the (group, member_user) unique index is
    full, not partial, and serves lookups by group alone (and the FK check of a group's deletion); the
    plain group_id index is gone (migration groups/0014)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'groups_membership' AND indexname IN "
            "('membership_unique_member_user', 'groups_membership_group_id_dcb8901e')"
        )
        assert [row[0] for row in cursor.fetchall()] == [
            "CREATE UNIQUE INDEX membership_unique_member_user ON public.groups_membership "
            "USING btree (group_id, member_user_id)"
        ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in (
            "SELECT id FROM groups_membership WHERE group_id = %s",
            "SELECT count(*) FROM groups_membership WHERE group_id = %s",
            "SELECT 1 FROM ONLY groups_membership x WHERE group_id = %s FOR KEY SHARE OF x",
        ):
            cursor.execute("EXPLAIN " + sql, ["00000000-0000-0000-0000-000000000001"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "membership_unique_member_user" in plan, plan


def test_a_group_holds_a_user_once_and_any_number_of_other_members(tenant):
    """The full unique index still constrains only the user rows (NULLs are distinct)."""
    from django.db import IntegrityError

    group = factories.GroupFactory(tenant=tenant)
    user = factories.UserFactory(tenant=tenant)
    Membership.objects.create(group=group, member_user=user)
    for _ in range(2):
        Membership.objects.create(group=group, member_group=factories.GroupFactory(tenant=tenant))
    assert Membership.objects.filter(group=group, member_user__isnull=True).count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(group=group, member_user=user)


def test_a_group_one_member_joins_and_another_leaves_in_one_write_is_audited_and_counted(tenant):
    """Two objects in one write, one joining and one leaving the same group: its count doesn't move,
    and both audit rows still name the group and its rule (on PostgreSQL they come from the group row
    the count UPDATE returns, updated by 0 here)."""
    group = _dynamic(tenant, "Both “ways”", 'user.department -eq "X"')
    joining = factories.UserFactory(tenant=tenant, department="X")
    leaving = factories.UserFactory(tenant=tenant, department="Y")
    membership.rule_object_apply(
        tenant=tenant, changes=[(leaving, {group.pk}, set())], groups=_names(group), licensed=False
    )
    group.refresh_from_db()
    assert group.member_count == 1
    started = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    written = membership.rule_object_apply(
        tenant=tenant,
        changes=[(joining, {group.pk}, set()), (leaving, set(), {group.pk})],
        groups=_names(group),
        licensed=False,
    )
    assert written == 2
    group.refresh_from_db()
    assert group.member_count == 1 == Membership.objects.filter(group=group).count()
    events = AuditEvent.objects.filter(id__gt=started)
    assert sorted((e.activity, e.target_name, e.reason) for e in events) == [
        (membership.ADD, "Both “ways”", 'Dynamic membership rule of “Both “ways””: user.department -eq "X"'),
        (
            membership.REMOVE,
            "Both “ways”",
            'Dynamic membership rule of “Both “ways””: user.department -eq "X"',
        ),
    ]


def _names(*groups) -> dict:
    return {g.pk: membership.RuleGroup(g.pk, g.display_name, g.membership_rule) for g in groups}


def test_no_index_holds_the_stored_member_count():
    """The rule writer updates Group.member_count for every group a change touches: an index holding it
    would turn each of those heap-only (HOT) updates into a write to every index of groups_group."""
    from groups.models import Group

    indexed = [
        index.name
        for index in Group._meta.indexes
        if any(field.lstrip("-") == "member_count" for field in index.fields)
    ]
    assert indexed == []
