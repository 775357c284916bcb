"""A large generated population for benchmarks (``seed_demo --users N --groups M``), by bulk inserts.

Users, then groups: a tenth of them dynamic (``scale.dynamic_groups``), the rest assigned, with sizes
from a dozen to a few thousand members, one or two owners each. Idempotent by name.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from django.contrib.auth.hashers import make_password

from groups.models import Group, GroupKind, JoinPolicy, Membership, Ownership
from groups.services import membership
from portal.models import Tenant, User, UserType
from portal.site.demo.data import COUNTRIES, DEPARTMENTS, FIRST, LAST, TITLES

USER_BATCH = 5000
GROUP_BATCH = 500
DYNAMIC_SHARE = 10  # one group in ten is dynamic, at most MAX_DYNAMIC
MAX_DYNAMIC = 1000


def generated_user_ids(tenant: Tenant) -> list:
    return list(
        User.objects.for_tenant(tenant)
        .filter(user_principal_name__startswith="gen")
        .order_by("user_principal_name")
        .values_list("id", flat=True)
    )


def dynamic_count(groups: int) -> int:
    return min(MAX_DYNAMIC, groups // DYNAMIC_SHARE)


def bulk_users(tenant: Tenant, *, users: int, rng: random.Random, progress: Callable[[str], object]) -> None:
    unusable = make_password(None)
    have = set(
        User.objects.for_tenant(tenant)
        .filter(user_principal_name__startswith="gen")
        .values_list("user_principal_name", flat=True)
    )
    for start in range(0, users, USER_BATCH):
        rows = [
            _user(tenant, i, rng, unusable)
            for i in range(start, min(users, start + USER_BATCH))
            if f"gen{i:06d}@contoso.test" not in have
        ]
        User.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        progress(f"users: {min(users, start + USER_BATCH)}/{users}")


def _user(tenant: Tenant, i: int, rng: random.Random, password: str) -> User:
    upn = f"gen{i:06d}@contoso.test"
    country, city, state, usage = COUNTRIES[rng.randrange(len(COUNTRIES))]
    return User(
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
        password=password,
        employee_id=f"G{i:06d}",
        user_type=UserType.GUEST if i % 50 == 0 else UserType.MEMBER,
        extension_attribute_1=f"cost-center-{i % 100}",
    )


def group_size(rng: random.Random) -> int:
    """Members of one assigned group: most are teams of 5-50, some departments of 100-300, one in a
    hundred a division of 1,000-4,000 (about 68 on average)."""
    roll = rng.random()
    if roll < 0.01:
        return rng.randint(1000, 4000)
    if roll < 0.10:
        return rng.randint(100, 300)
    return rng.randint(5, 50)


def bulk_groups(
    tenant: Tenant, *, groups: int, rng: random.Random, progress: Callable[[str], object]
) -> None:
    """The assigned generated groups, each with its members and one or two generated owners."""
    user_ids = generated_user_ids(tenant)
    have_groups = set(
        Group.objects.for_tenant(tenant)
        .filter(mail_nickname__startswith="gen-")
        .values_list("mail_nickname", flat=True)
    )
    assigned = groups - dynamic_count(groups)
    for start in range(0, assigned, GROUP_BATCH):
        new_groups = []
        for i in range(start, min(assigned, start + GROUP_BATCH)):
            alias = f"gen-{i:05d}"
            if alias in have_groups:
                continue
            new_groups.append(
                Group(
                    tenant=tenant,
                    display_name=f"Generated group {i:05d}",
                    mail_nickname=alias,
                    kind=GroupKind.MICROSOFT_365 if i % 3 == 0 else GroupKind.SECURITY,
                    join_policy=rng.choice(list(JoinPolicy.values)),
                )
            )
        Group.objects.bulk_create(new_groups, batch_size=1000)
        _bulk_members(new_groups, user_ids, rng)
        progress(f"assigned groups: {min(assigned, start + GROUP_BATCH)}/{assigned}")


def _bulk_members(new_groups: list[Group], user_ids: list, rng: random.Random) -> None:
    memberships, ownerships = [], []
    for group in new_groups:
        for uid in rng.sample(user_ids, k=min(len(user_ids), group_size(rng))):
            memberships.append(Membership(group=group, member_user_id=uid))
        for uid in rng.sample(user_ids, k=min(len(user_ids), rng.randint(1, 2))):
            ownerships.append(Ownership(group=group, user_id=uid))
    membership.load_memberships(memberships)
    membership.load_ownerships(ownerships)
