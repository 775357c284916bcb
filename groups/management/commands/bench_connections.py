"""Benchmark of search trimming for external items: one user, 1,000 matching items, reached through five
levels of nesting (user → directory group → directory group → external group → external group → external
group), measured beside a hand-written SQL query (one recursive CTE) computing the same set in the same run.

Builds (once; the items are rebuilt each run) a tenant ``benchconn`` with --users people, 50 directory
groups, a connection with the chain above, 100 other external groups nested among themselves, and
--items items whose ACLs mix grants, denies, everyone entries and groups the user is not in. Both
answers are compared before timing. Goal: p95 ≤ 20 ms and ≤ 2× the SQL.
"""

from __future__ import annotations

import random
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection as db
from django.db import transaction

from groups.connections import selectors
from groups.connections.models import (
    ExternalAclEntry,
    ExternalConnection,
    ExternalGroup,
    ExternalGroupMember,
    ExternalItem,
)
from groups.models import Group, GroupKind, Membership
from groups.services import membership
from portal.models import Plan, Tenant, User
from portal.services import tenant_create

QUERY = "ticket"


def _id_text(column: str) -> str:
    """A uuid column as the ACL's text (lower-case, dashed): PostgreSQL casts; SQLite stores hex."""
    if db.vendor == "postgresql":
        return f"CAST({column} AS text)"
    parts = [(1, 8), (9, 4), (13, 4), (17, 4), (21, 12)]
    return " || '-' || ".join(f"lower(substr({column}, {a}, {n}))" for a, n in parts)


def baseline_sql() -> str:
    """Every table name from the models; the same rule as groups.connections.access, in SQL."""
    user = User._meta.db_table
    return f"""
WITH RECURSIVE dir(id) AS (
    SELECT m.group_id FROM groups_membership m JOIN groups_group g ON g.id = m.group_id
    WHERE m.member_user_id = %(user)s AND g.deleted_date_time IS NULL
    UNION
    SELECT m.group_id FROM groups_membership m JOIN dir ON m.member_group_id = dir.id
    JOIN groups_group g ON g.id = m.group_id WHERE g.deleted_date_time IS NULL
),
ext(id) AS (
    SELECT m.group_id FROM groups_externalgroupmember m JOIN groups_externalgroup eg ON eg.id = m.group_id
    WHERE eg.connection_id = %(connection)s
      AND (m.member_user_id = %(user)s OR m.member_group_id IN (SELECT id FROM dir))
    UNION
    SELECT m.group_id FROM groups_externalgroupmember m JOIN ext ON m.member_external_id = ext.id
),
me AS (
    SELECT user_type FROM {user} WHERE id = %(user)s AND account_enabled AND deleted_date_time IS NULL
),
principals(type, value) AS (
    SELECT 'user', %(user_text)s FROM me
    UNION ALL SELECT 'group', {_id_text("id")} FROM dir WHERE EXISTS (SELECT 1 FROM me)
    UNION ALL SELECT 'externalGroup', eg.group_id FROM groups_externalgroup eg
        WHERE eg.id IN (SELECT id FROM ext) AND EXISTS (SELECT 1 FROM me)
    UNION ALL SELECT 'everyone', '' FROM me
    UNION ALL SELECT 'everyoneExceptGuests', '' FROM me WHERE user_type <> 'Guest'
)
SELECT i.id FROM groups_externalitem i
JOIN groups_externalaclentry a ON a.item_id = i.id
JOIN principals p ON a.type = p.type AND a.value = p.value
WHERE i.connection_id = %(connection)s AND i.search_text LIKE %(like)s
GROUP BY i.id, i.connection_id, i.item_id
HAVING MAX(CASE WHEN a.access_type = 'grant' THEN 1 ELSE 0 END) = 1
   AND MAX(CASE WHEN a.access_type = 'deny' THEN 1 ELSE 0 END) = 0
ORDER BY i.connection_id, i.item_id
"""


class Command(BaseCommand):
    help = "Benchmark search trimming of external items against a hand-written recursive SQL query."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--users", type=int, default=2000)
        parser.add_argument("--items", type=int, default=1000)
        parser.add_argument("--samples", type=int, default=300)
        parser.add_argument("--tenant", default="benchconn")

    def handle(self, *args, **options) -> None:
        if options["items"] < 5 or options["samples"] < 1:
            raise CommandError("--items must be at least 5 and --samples at least 1.")
        rng = random.Random(7)
        started = time.perf_counter()
        user, connection = build(options["tenant"], options["users"], options["items"], rng)
        if db.vendor == "postgresql":
            with db.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(f"Built in {time.perf_counter() - started:.1f} s.")
        python_ids = self.python_ids(user, connection)
        sql_ids = self.sql_ids(user, connection)
        if python_ids != sql_ids:
            raise CommandError(f"The two answers differ: {len(python_ids)} items vs {len(sql_ids)}.")
        python = timed(lambda: self.python_ids(user, connection), options["samples"])
        sql = timed(lambda: self.sql_ids(user, connection), options["samples"])
        self.report(options, len(python_ids), python, sql)

    def python_ids(self, user: User, connection: ExternalConnection) -> list:
        return [str(pk) for pk in selectors.visible_item_ids(user, [connection.pk], QUERY)]

    def sql_ids(self, user: User, connection: ExternalConnection) -> list:
        params = {
            "user": User._meta.pk.get_db_prep_value(user.pk, db),
            "user_text": str(user.pk),
            "connection": ExternalConnection._meta.pk.get_db_prep_value(connection.pk, db),
            "like": f"%{QUERY}%",
        }
        with db.cursor() as cursor:
            cursor.execute(baseline_sql(), params)
            return [str(selectors._sid(row[0])) for row in cursor.fetchall()]

    def report(self, options, visible: int, python: list[float], sql: list[float]) -> None:
        p50, p95 = percentile(python, 50), percentile(python, 95)
        s50, s95 = percentile(sql, 50), percentile(sql, 95)
        w = self.stdout.write
        w(f"Search trimming: {options['items']:,} matching items, one user through 5 levels of nesting "
          f"(2 directory, 3 external); {visible} visible; {options['samples']} samples; {db.vendor}.")  # fmt: skip
        w(f"  access rule (groups.connections): p50 {p50:.2f} ms, p95 {p95:.2f} ms")
        w(f"  hand-written SQL (recursive CTE): p50 {s50:.2f} ms, p95 {s95:.2f} ms")
        w(f"  ratio: p50 {p50 / s50:.2f}x, p95 {p95 / s95:.2f}x (goal <= 2x); "
          f"p95 goal <= 20 ms: {'met' if p95 <= 20 else 'NOT met'}")  # fmt: skip


def timed(run, samples: int) -> list[float]:
    for _ in range(min(10, samples)):
        run()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return times


def percentile(values: list[float], p: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


@transaction.atomic
def build(slug: str, users: int, items: int, rng: random.Random) -> tuple[User, ExternalConnection]:
    tenant = Tenant.objects.filter(slug=slug).first() or tenant_create(
        slug=slug, name="Connections bench", plan=Plan.P1
    )
    people = _people(tenant, users)
    me = people[0]
    groups = _directory_groups(tenant, people, rng)
    ExternalConnection.objects.filter(tenant=tenant, connection_id="bench").delete()
    connection = ExternalConnection.objects.create(tenant=tenant, connection_id="bench", name="Bench")
    chain = [ExternalGroup.objects.create(connection=connection, group_id=f"level{n}") for n in (3, 4, 5)]
    noise = ExternalGroup.objects.bulk_create(
        ExternalGroup(connection=connection, group_id=f"noise{n}") for n in range(100)
    )
    rows = [
        ExternalGroupMember(group=chain[0], member_group=groups["level2"]),
        ExternalGroupMember(group=chain[1], member_external=chain[0]),
        ExternalGroupMember(group=chain[2], member_external=chain[1]),
    ]
    others = people[1:]
    for n, group in enumerate(noise):
        rows += [ExternalGroupMember(group=group, member_user=u) for u in rng.sample(others, 10)]
        rows.append(ExternalGroupMember(group=group, member_group=rng.choice(groups["noise"])))
        if n:
            rows.append(ExternalGroupMember(group=group, member_external=noise[rng.randrange(n)]))
    ExternalGroupMember.objects.bulk_create(rows, ignore_conflicts=True)
    _items(connection, me, people, groups, items, rng)
    return me, connection


def _people(tenant: Tenant, count: int) -> list[User]:
    have = User.objects.for_tenant(tenant).count()
    User.objects.bulk_create(
        User(
            tenant=tenant,
            user_principal_name=f"bench{n}@{tenant.slug}.test",
            display_name=f"Bench {n}",
            password="!",
        )
        for n in range(have, count)
    )
    return list(User.objects.for_tenant(tenant).order_by("user_principal_name")[: max(count, 1)])


def _directory_groups(tenant: Tenant, people: list[User], rng: random.Random) -> dict:
    existing = {g.mail_nickname: g for g in Group.objects.for_tenant(tenant)}
    for name in ["level1", "level2", *(f"noise{n}" for n in range(50))]:
        if name not in existing:
            existing[name] = Group.objects.create(
                tenant=tenant, display_name=name, mail_nickname=name, kind=GroupKind.SECURITY
            )
    level1, level2 = existing["level1"], existing["level2"]
    noise = [existing[f"noise{n}"] for n in range(50)]
    rows = [Membership(group=level1, member_user=people[0]), Membership(group=level2, member_group=level1)]
    rows += [Membership(group=level1, member_user=u) for u in people[1:31]]
    for group in noise:
        rows += [
            Membership(group=group, member_user=u) for u in rng.sample(people[1:], min(20, len(people) - 1))
        ]
    membership.load_memberships(rows)
    return {"level1": level1, "level2": level2, "noise": noise}


def _items(connection, me: User, people: list[User], groups: dict, count: int, rng: random.Random) -> None:
    made = ExternalItem.objects.bulk_create(
        ExternalItem(
            connection=connection,
            item_id=f"ticket{n:05d}",
            properties={"title": f"Ticket {n}"},
            content_value=f"Ticket {n}: the payment gateway fails",
            search_text=f"ticket {n} ticket {n}: the payment gateway fails",
        )
        for n in range(count)
    )
    level1, level2 = str(groups["level1"].pk), str(groups["level2"].pk)
    entries = []
    for n, item in enumerate(made):
        noise = f"noise{rng.randrange(100)}"
        acl = [
            [("grant", "externalGroup", "level5")],
            [("grant", "everyoneExceptGuests", ""), ("deny", "group", level1)],
            [("grant", "externalGroup", noise), ("grant", "user", str(rng.choice(people[1:]).pk))],
            [("grant", "group", level2), ("deny", "externalGroup", noise)],
            [
                ("grant", "user", str(me.pk)),
                ("grant", "externalGroup", "level5"),
                ("deny", "user", str(people[-1].pk)),
            ],
        ][n % 5]
        entries += [
            ExternalAclEntry(item=item, position=i, access_type=a, type=t, value=v)
            for i, (a, t, v) in enumerate(acl)
        ]
    ExternalAclEntry.objects.bulk_create(entries, batch_size=5000)
