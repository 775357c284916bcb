"""A large generated population for benchmarks (``seed_demo --users N --groups M``), by bulk inserts."""

from __future__ import annotations

import random
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.db import connection

from groups.models import Group, GroupKind, JoinPolicy, Membership, Ownership
from groups.services import membership
from portal.models import Tenant, User, UserType
from portal.site.demo.data import COUNTRIES, DEPARTMENTS, FIRST, LAST, TITLES

USER_BATCH = 5000
GROUP_BATCH = 1000


def bulk_population(
    tenant: Tenant, *, users: int, groups: int, rng: random.Random, progress: Callable[[str], object]
) -> None:
    """Generated users and groups for benchmarks, inserted in bulk; idempotent by name."""
    bulk_users(tenant, users=users, rng=rng, progress=progress)
    bulk_groups(tenant, groups=groups, rng=rng, progress=progress)
    # Fresh planner statistics after bulk inserts: without them PostgreSQL may pick plans made for
    # empty tables (seen: the approvals page at 16 s instead of milliseconds until ANALYZE ran).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def bulk_users(tenant: Tenant, *, users: int, rng: random.Random, progress: Callable[[str], object]) -> None:
    unusable = make_password(None)
    have = set(
        User.objects.for_tenant(tenant)
        .filter(user_principal_name__startswith="gen")
        .values_list("user_principal_name", flat=True)
    )
    for start in range(0, users, USER_BATCH):
        rows = []
        for i in range(start, min(users, start + USER_BATCH)):
            upn = f"gen{i:06d}@contoso.test"
            if upn in have:
                continue
            country, city, state, usage = COUNTRIES[rng.randrange(len(COUNTRIES))]
            rows.append(
                User(
                    tenant=tenant,
                    user_principal_name=upn,
                    display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}",
                    department=rng.choice(DEPARTMENTS),
                    job_title=rng.choice(TITLES),
                    company_name="Contoso",
                    country=country,
                    city=city,
                    state=state,
                    usage_location=usage,
                    mail=upn,
                    password=unusable,
                    employee_id=f"G{i:06d}",
                    user_type=UserType.GUEST if i % 50 == 0 else UserType.MEMBER,
                    extension_attribute_1=f"cost-center-{i % 100}",
                )
            )
        User.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        progress(f"users: {min(users, start + USER_BATCH)}/{users}")


def bulk_groups(
    tenant: Tenant, *, groups: int, rng: random.Random, progress: Callable[[str], object]
) -> None:
    """Generated groups, each with up to 40 generated members and one generated owner."""
    user_ids = list(
        User.objects.for_tenant(tenant)
        .filter(user_principal_name__startswith="gen")
        .values_list("id", flat=True)
    )
    have_groups = set(
        Group.objects.for_tenant(tenant)
        .filter(mail_nickname__startswith="gen-")
        .values_list("mail_nickname", flat=True)
    )
    for start in range(0, groups, GROUP_BATCH):
        new_groups = []
        for i in range(start, min(groups, start + GROUP_BATCH)):
            alias = f"gen-{i:05d}"
            if alias in have_groups:
                continue
            kind = GroupKind.MICROSOFT_365 if i % 3 == 0 else GroupKind.SECURITY
            new_groups.append(
                Group(
                    tenant=tenant,
                    display_name=f"Generated group {i:05d}",
                    mail_nickname=alias,
                    kind=kind,
                    join_policy=rng.choice(list(JoinPolicy.values)),
                )
            )
        Group.objects.bulk_create(new_groups, batch_size=1000)
        _bulk_members(new_groups, user_ids, rng)
        progress(f"groups: {min(groups, start + GROUP_BATCH)}/{groups}")


def _bulk_members(new_groups: list[Group], user_ids: list, rng: random.Random) -> None:
    memberships, ownerships = [], []
    for group in new_groups:
        for uid in rng.sample(user_ids, k=min(len(user_ids), rng.randint(0, 40))):
            memberships.append(Membership(group=group, member_user_id=uid))
        if user_ids:
            ownerships.append(Ownership(group=group, user_id=rng.choice(user_ids)))
    membership.load_memberships(memberships)
    membership.load_ownerships(ownerships)
