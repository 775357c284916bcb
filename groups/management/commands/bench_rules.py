"""Benchmark of dynamic membership: P1 (one user's change → all its dynamic memberships) and P2 (a full
recompute of one group against a hand-written SQL SELECT + bulk insert of the same predicate).

Builds (once; reused on later runs) a tenant "bench" of --users users and --groups dynamic groups with
realistic rules (eq, in, startsWith, contains, match, any), then measures.
"""

from __future__ import annotations

import random
import statistics
import time

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from groups.dynamic import recompute_group, reevaluate
from groups.dynamic.compiler import queryset_for
from groups.models import Group, GroupKind, Membership, MembershipSource, MembershipType
from groups.rules import parse
from groups.services import membership
from portal.models import Plan, Tenant, User, UserMultiValue
from portal.services import tenant_create

DEPARTMENTS = ["Finance", "Sales", "Marketing", "Engineering", "HR", "Legal", "Operations", "Support"]
COUNTRIES = ["United States", "United Kingdom", "Germany", "France", "India", "Japan", "Canada", "Brazil"]
CITIES = ["Seattle", "London", "Berlin", "Paris", "Bengaluru", "Tokyo", "Toronto", "São Paulo"]
TITLES = ["Analyst", "Manager", "Engineer", "Specialist", "Director", "Associate", "Consultant", "Lead"]
LAST = ["Adams", "Bauer", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kumar"]
SUBDOMAINS = [f"unit{i}" for i in range(20)]

P2_RULE = 'user.department -eq "Sales" -and user.country -in ["United States", "Germany", "India"]'
P2_SQL = (
    "SELECT id FROM portal_user WHERE tenant_id = %s AND deleted_date_time IS NULL "
    "AND department IS NOT NULL AND lower(department) = 'sales' "
    "AND country IS NOT NULL AND lower(country) IN ('united states', 'germany', 'india')"
)


def rule_for(i: int, rng: random.Random) -> str:
    d, c, t = rng.choice(DEPARTMENTS), rng.choice(COUNTRIES), rng.choice(TITLES)
    templates = [
        f'user.extensionAttribute1 -eq "cost-center-{i % 100}"',
        f'user.department -eq "{d}" -and user.country -eq "{c}"',
        f'user.country -in ["{c}", "{rng.choice(COUNTRIES)}"] -and user.jobTitle -eq "{t}"',
        f'user.jobTitle -startsWith "{t[:4]}" -and user.department -eq "{d}"',
        f'user.displayName -contains "{rng.choice(LAST)}" -and user.city -eq "{rng.choice(CITIES)}"',
        f'user.employeeId -match "^B0{i % 100:02d}"',
        f'user.proxyAddresses -any (_ -endsWith "@{rng.choice(SUBDOMAINS)}.bench.test")',
        f'user.department -in ["{d}", "{rng.choice(DEPARTMENTS)}"] -and user.userType -eq "Member" -and user.accountEnabled -eq true',
    ]
    return templates[i % len(templates)]


class Command(BaseCommand):
    help = "Measure dynamic membership: P1 (one user's change, p50/p95 ms) and P2 (recompute vs hand-written SQL)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--users", type=int, default=100_000)
        parser.add_argument("--groups", type=int, default=1_000)
        parser.add_argument("--samples", type=int, default=200, help="P1 changes to time")
        parser.add_argument("--rounds", type=int, default=3, help="P2 repetitions (median)")
        parser.add_argument("--tenant", default="bench")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, users: int, groups: int, samples: int, rounds: int, tenant: str, seed: int, **o):
        rng = random.Random(seed)
        tenant_obj = Tenant.objects.filter(slug=tenant).first() or tenant_create(
            slug=tenant, name="Benchmark", plan=Plan.P1, domains=[f"{tenant}.test"]
        )
        started = time.monotonic()
        self.populate(tenant_obj, users, groups, rng)
        self.stdout.write(f"data ready in {time.monotonic() - started:.1f}s ({connection.vendor})")
        self.p1(tenant_obj, samples, rng)
        self.p2(tenant_obj, rounds)

    # --- data ----------------------------------------------------------------------------------------
    def populate(self, tenant: Tenant, users: int, groups: int, rng: random.Random) -> None:
        have = User.objects.filter(tenant=tenant).count()
        unusable = make_password(None)
        batch = []
        for i in range(have, users):
            batch.append(
                User(
                    tenant=tenant,
                    user_principal_name=f"b{i:06d}@{tenant.slug}.test",
                    display_name=f"{rng.choice(['Ada', 'Ben', 'Chloé', 'Dev', 'Elif'])} {rng.choice(LAST)} {i}",
                    department=rng.choice(DEPARTMENTS),
                    country=rng.choice(COUNTRIES),
                    city=rng.choice(CITIES),
                    job_title=rng.choice(TITLES),
                    employee_id=f"B{i:06d}",
                    user_type="Guest" if i % 50 == 0 else "Member",
                    extension_attribute_1=f"cost-center-{rng.randrange(100)}",
                    mail=f"b{i:06d}@{tenant.slug}.test",
                    password=unusable,
                )
            )
            if len(batch) == 5000 or i == users - 1:
                created = User.objects.bulk_create(batch)
                UserMultiValue.objects.bulk_create(
                    UserMultiValue(
                        user=u,
                        attribute="proxyAddresses",
                        value=f"smtp:{u.pk.hex[:8]}@{rng.choice(SUBDOMAINS)}.bench.test",
                    )
                    for u in created
                )
                batch = []
                self.stdout.write(f"users: {i + 1}/{users}")
        existing = Group.objects.filter(tenant=tenant, membership_type=MembershipType.DYNAMIC).count()
        new = [
            Group(
                tenant=tenant,
                display_name=f"Bench rule group {i:04d}",
                mail_nickname=f"bench-{i:04d}",
                kind=GroupKind.SECURITY,
                membership_type=MembershipType.DYNAMIC,
                membership_rule=rule_for(i, rng),
            )
            for i in range(existing, groups)
        ]
        # Groups are made in bulk; each measured user's memberships are brought up to date (untimed)
        # before its change, so the timed diff is the realistic one: a few groups joined or left.
        Group.objects.bulk_create(new, batch_size=1000)
        if not Group.objects.filter(tenant=tenant, mail_nickname="bench-p2").exists():
            Group.objects.create(
                tenant=tenant,
                display_name="Bench P2",
                mail_nickname="bench-p2",
                membership_type=MembershipType.DYNAMIC,
                membership_rule=P2_RULE,
            )

    # --- P1 ------------------------------------------------------------------------------------------
    def p1(self, tenant: Tenant, samples: int, rng: random.Random) -> None:
        ids = list(User.objects.filter(tenant=tenant).values_list("pk", flat=True))
        reevaluate(tenant=tenant, objects=[User.objects.get(pk=ids[0])])  # warm the per-process rule cache
        timings = []
        for n in range(samples):
            user = User.objects.get(pk=rng.choice(ids))
            reevaluate(tenant=tenant, objects=[user])
            started = time.perf_counter()
            with transaction.atomic():
                user.department = rng.choice(DEPARTMENTS)
                user.city = rng.choice(CITIES)
                user.save(update_fields=["department", "city"])
                reevaluate(tenant=tenant, objects=[user])
            timings.append((time.perf_counter() - started) * 1000)
            if n < 3:
                self.check_user(tenant, user)
        timings.sort()
        p50 = statistics.median(timings)
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        groups = Group.objects.filter(tenant=tenant, membership_type=MembershipType.DYNAMIC).count()
        self.stdout.write(
            f"P1 one user's attribute change -> all {groups} dynamic groups correct: "
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(timings)} changes (goal p95 <= 50 ms)"
        )

    def check_user(self, tenant: Tenant, user: User) -> None:
        """Outside the timing: the user's rule memberships equal what each group's Q selects."""
        expected = set()
        for group in Group.objects.filter(tenant=tenant, membership_type=MembershipType.DYNAMIC):
            if queryset_for(parse(group.membership_rule), tenant).filter(pk=user.pk).exists():
                expected.add(group.pk)
        actual = set(
            Membership.objects.filter(
                member_user=user, group__membership_type=MembershipType.DYNAMIC
            ).values_list("group_id", flat=True)
        )
        if expected != actual:
            raise AssertionError(f"memberships of {user} differ from the rules: {expected ^ actual}")

    # --- P2 ------------------------------------------------------------------------------------------
    def p2(self, tenant: Tenant, rounds: int) -> None:
        group = Group.objects.get(tenant=tenant, mail_nickname="bench-p2")
        ours, baseline = [], []
        members = 0
        for _ in range(rounds):
            membership.clear_memberships(group)
            started = time.perf_counter()
            result = recompute_group(group.pk)
            ours.append(time.perf_counter() - started)
            members = result.added
            membership.clear_memberships(group)
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(P2_SQL, [User._meta.pk.get_db_prep_value(tenant.pk, connection)])
                ids = [row[0] for row in cursor.fetchall()]
            for start in range(0, len(ids), 5000):
                with transaction.atomic():
                    membership.load_memberships(
                        Membership(group=group, member_user_id=pk, source=MembershipSource.RULE)
                        for pk in ids[start : start + 5000]
                    )
            baseline.append(time.perf_counter() - started)
            if len(ids) != members:
                raise AssertionError(f"hand-written SQL found {len(ids)}, the rule {members}")
        ratio = statistics.median(ours) / statistics.median(baseline)
        self.stdout.write(
            f"P2 full recompute of one group ({members} members): {statistics.median(ours) * 1000:.0f} ms vs "
            f"hand-written SQL + bulk insert {statistics.median(baseline) * 1000:.0f} ms: ratio {ratio:.2f}x "
            f"(goal <= 1.5x)"
        )
