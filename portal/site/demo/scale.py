"""What a large tenant has beyond its people and assigned groups (``seed_demo --users N --groups M``):
nesting up to eight levels deep, a thousand dynamic groups with realistic rules, heavy users, ten
thousand pending requests (one owner with 500 waiting), group licences and audit history. Every step is
bulk inserts, idempotent (skipped when its rows are there), and ``ANALYZE`` runs once, at the very end.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from access_requests.models import JoinRequest, RequestStatus
from groups.dynamic import queryset_for
from groups.licensing.models import GroupLicense, SubscribedSku
from groups.licensing.services import licenses_reconcile
from groups.models import (
    Group,
    GroupKind,
    JoinPolicy,
    Membership,
    MembershipType,
    Ownership,
    ProcessingStatus,
)
from groups.rules import parse
from groups.services import membership
from portal.models import AuditEvent, Tenant, User
from portal.site.demo.bulk import bulk_groups, bulk_users, dynamic_count, generated_user_ids
from portal.site.demo.data import COUNTRIES, DEPARTMENTS, TITLES
from portal.site.demo.tenant import compute_dynamic_groups

Progress = Callable[[str], object]
DEPTH = 8  # levels of nesting
HEAVY_GROUPS = 300  # groups the heavy owner owns and the heavy member is in
HEAVY_QUEUE = 500  # requests waiting for the heavy owner
REQUESTS = 10_000
LICENSED_GROUPS = 100
HISTORY = 100_000  # past membership changes in the audit log, beside one event per seeded object


def bulk_population(
    tenant: Tenant, *, users: int, groups: int, rng: random.Random, progress: Progress
) -> dict:
    """The whole large population, then fresh planner statistics; returns the summary's figures."""
    started = time.monotonic()
    bulk_users(tenant, users=users, rng=rng, progress=progress)
    bulk_groups(tenant, groups=groups, rng=rng, progress=progress)
    generated = list(
        Group.objects.for_tenant(tenant).filter(mail_nickname__startswith="gen-").order_by("mail_nickname")
    )
    nest(generated, rng, progress)
    analyze()  # the rules' queries below need to know the users table is no longer empty
    compute_dynamic_groups(tenant)  # the demo's own rules, over the new people
    dynamic_groups(tenant, dynamic_count(groups), rng, progress)
    heavy_users(tenant, generated, rng, progress)
    pending_requests(tenant, generated, rng, progress)
    group_licenses(tenant, generated, progress)
    audit_history(tenant, min(HISTORY, groups * 10), rng, progress)
    progress("ANALYZE")
    analyze()  # after the last insert: the planner must know the dynamic groups' rows and the requests too
    return summary(tenant, seconds=time.monotonic() - started)


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def nest(groups: list[Group], rng: random.Random, progress: Progress) -> None:
    """Nesting 8 levels deep: a fifth of the assigned groups, in levels; each group below the top
    is a member of one to three groups of the level above (so of several parents, never a cycle)."""
    if len(groups) < DEPTH * 2 or Membership.objects.filter(member_group__in=groups[:1000]).exists():
        return
    nested = groups[: max(DEPTH * 2, len(groups) // 5)]
    levels = [nested[level::DEPTH] for level in range(DEPTH)]
    rows = []
    for above, level in zip(levels, levels[1:], strict=False):
        for child in level:
            for parent in rng.sample(above, k=min(len(above), rng.randint(1, 3))):
                rows.append(Membership(group=parent, member_group=child))
    membership.load_memberships(rows)
    progress(f"nesting: {len(rows)} group-in-group memberships over {DEPTH} levels")


def rule_texts(count: int, rng: random.Random) -> list[str]:
    """Rules like a large tenant's: cost centres (about 1% of people each), teams by department,
    country and job title (0.2%), a few -in lists and prefixes: about 300 members a rule on average."""
    texts = []
    for i in range(count):
        dept, title = DEPARTMENTS[i % len(DEPARTMENTS)], TITLES[(i // 8) % len(TITLES)]
        country = COUNTRIES[(i // 64) % len(COUNTRIES)][0]
        team = f'(user.department -eq "{dept}") -and (user.jobTitle -eq "{title}")'
        kind = i % 10
        if kind == 0:
            texts.append(f'user.extensionAttribute1 -eq "cost-center-{(i // 10) % 100}"')
        elif kind == 4:
            other = rng.choice(COUNTRIES)[0]
            texts.append(f'{team} -and (user.country -in ["{country}", "{other}"])')
        elif kind == 5:
            texts.append(
                f'(user.jobTitle -startsWith "{title[:3]}") -and (user.department -eq "{dept}")'
                f' -and (user.country -eq "{country}")'
            )
        elif kind in (6, 7):
            texts.append(f'{team} -and (user.country -eq "{country}") -and (user.accountEnabled -eq true)')
        else:
            texts.append(f'{team} -and (user.country -eq "{country}")')
    return texts


def dynamic_groups(tenant: Tenant, count: int, rng: random.Random, progress: Progress) -> None:
    """``count`` dynamic groups, their members loaded from each rule's own query (INSERT ... SELECT)."""
    have = set(
        Group.objects.for_tenant(tenant)
        .filter(mail_nickname__startswith="dyn-")
        .values_list("mail_nickname", flat=True)
    )
    rows = [
        Group(
            tenant=tenant,
            display_name=f"Dynamic group {i:04d}",
            mail_nickname=f"dyn-{i:04d}",
            kind=GroupKind.SECURITY,
            membership_type=MembershipType.DYNAMIC,
            membership_rule=text,
            processing_status=ProcessingStatus.SUCCEEDED,
            processing_progress=100,
            join_policy=JoinPolicy.CLOSED,
        )
        for i, text in enumerate(rule_texts(count, rng))
        if f"dyn-{i:04d}" not in have
    ]
    Group.objects.bulk_create(rows, batch_size=1000)
    for done, group in enumerate(rows, 1):
        membership.load_rule_memberships(group, queryset_for(parse(group.membership_rule), tenant))
        if done % 100 == 0:
            progress(f"dynamic groups: {done}/{len(rows)}")


def heavy_users(tenant: Tenant, groups: list[Group], rng: random.Random, progress: Progress) -> None:
    """The demo owner owns 300 generated groups (and is in 100); the demo end user is in 300 of them,
    a third of those nested, so their transitive list is longer still."""
    owner = User.objects.get(user_principal_name="owner@contoso.test")
    member = User.objects.get(user_principal_name="user@contoso.test")
    if len(groups) < HEAVY_GROUPS or Ownership.objects.filter(user=owner, group__in=groups).exists():
        return
    owned = groups[-HEAVY_GROUPS:]  # not nested: the heavy owner's queue groups
    membership.load_ownerships(Ownership(group=g, user=owner) for g in owned)
    joined = rng.sample(groups, k=HEAVY_GROUPS)
    rows = [Membership(group=g, member_user=member) for g in joined]
    rows += [Membership(group=g, member_user=owner) for g in rng.sample(groups, k=HEAVY_GROUPS // 3)]
    membership.load_memberships(rows)
    progress(
        f"heavy users: {owner.user_principal_name} owns {len(owned)}; {member.user_principal_name} in {len(joined)}"
    )


def pending_requests(tenant: Tenant, groups: list[Group], rng: random.Random, progress: Progress) -> None:
    """10,000 pending requests to join owner-approval groups: 500 to the demo owner's, the rest spread
    over the other groups' owners; never from someone already in the group."""
    if len(groups) < HEAVY_GROUPS * 2 or JoinRequest.objects.filter(group__in=groups[:HEAVY_GROUPS]).exists():
        return
    wanted = REQUESTS * len(groups) // 9000 if len(groups) < 9000 else REQUESTS
    heavy, spread = groups[-HEAVY_GROUPS:], groups[:-HEAVY_GROUPS]
    targets = [heavy[i % len(heavy)] for i in range(min(HEAVY_QUEUE, wanted // 2))]
    targets += [rng.choice(spread) for _ in range(wanted - len(targets))]
    Group.objects.filter(pk__in={g.pk for g in targets}).update(join_policy=JoinPolicy.OWNER_APPROVAL)
    members = set(
        Membership.objects.filter(group__in={g.pk for g in targets}, member_user__isnull=False).values_list(
            "group_id", "member_user_id"
        )
    )
    user_ids = generated_user_ids(tenant)
    now, seen, rows = timezone.now(), set(), []
    for group in targets:
        requester = rng.choice(user_ids)
        if (group.pk, requester) in members or (group.pk, requester) in seen:
            continue
        seen.add((group.pk, requester))
        asked = now - timedelta(minutes=rng.randint(5, 60 * 24 * 20))
        rows.append(
            JoinRequest(
                tenant=tenant,
                group=group,
                requester_id=requester,
                status=RequestStatus.PENDING,
                justification="I work with this team.",
                created_date_time=asked,
                owners_notified_date_time=asked,
            )
        )
    JoinRequest.objects.bulk_create(rows, batch_size=5000)
    progress(f"pending requests: {len(rows)}")


def group_licenses(tenant: Tenant, groups: list[Group], progress: Progress) -> None:
    """Two more products, carried by 100 generated groups; licence states reconciled once."""
    skus = [
        SubscribedSku.objects.get_or_create(
            tenant=tenant, sku_part_number=part, defaults={"display_name": name, "prepaid_units": units}
        )[0]
        for part, name, units in (
            ("SPE_E5", "Microsoft 365 E5", 20_000),
            ("EMS", "Enterprise Mobility + Security E3", 5_000),
        )
    ]
    carriers = groups[1000 : 1000 + LICENSED_GROUPS]
    if GroupLicense.objects.filter(sku__in=skus).exists():
        return
    GroupLicense.objects.bulk_create(GroupLicense(group=g, sku=skus[i % 2]) for i, g in enumerate(carriers))
    licenses_reconcile(tenant=tenant)
    progress(f"licences: {len(carriers)} groups carry {len(skus)} products")


def audit_history(tenant: Tenant, count: int, rng: random.Random, progress: Progress) -> None:
    """Past membership changes over the last 180 days: the audit log a large tenant has."""
    if AuditEvent.objects.filter(tenant=tenant, reason="Seeded history").exists():
        return
    names = list(Group.objects.for_tenant(tenant).values_list("pk", "display_name")[:5000])
    people = list(User.objects.for_tenant(tenant).values_list("pk", "user_principal_name")[:5000])
    now = timezone.now()
    for start in range(0, count, 5000):
        events = []
        for _ in range(start, min(count, start + 5000)):
            (gid, gname), (uid, upn), added = rng.choice(names), rng.choice(people), rng.random() < 0.7
            change = {"member": upn, "memberType": "user"}
            events.append(
                AuditEvent(
                    tenant=tenant,
                    activity_date_time=now - timedelta(seconds=rng.randint(60, 180 * 86400)),
                    activity="Add member to group" if added else "Remove member from group",
                    actor_type="user",
                    actor_id=str(uid),
                    actor_name=upn,
                    target_id=str(gid),
                    target_type="group",
                    target_name=gname,
                    before=None if added else change,
                    after=change if added else None,
                    reason="Seeded history",
                )
            )
        AuditEvent.objects.bulk_create(events)
    progress(f"audit history: {count} events")


def summary(tenant: Tenant, *, seconds: float) -> dict:
    """The figures seed_demo prints: what was built, and how long it took."""
    memberships = Membership.objects.filter(group__tenant=tenant)
    waiting = (
        JoinRequest.objects.filter(
            tenant=tenant, status=RequestStatus.PENDING, group__ownerships__isnull=False
        )
        .values("group__ownerships__user")
        .annotate(n=Count("*"))
        .order_by("-n")
        .first()
    )
    return {
        "users": User.objects.for_tenant(tenant).count(),
        "groups": Group.objects.for_tenant(tenant).count(),
        "dynamic groups": Group.objects.for_tenant(tenant)
        .filter(membership_type=MembershipType.DYNAMIC)
        .count(),
        "memberships": memberships.count(),
        "group-in-group memberships": memberships.filter(member_group__isnull=False).count(),
        "nesting depth": nesting_depth(tenant),
        "ownerships": Ownership.objects.filter(group__tenant=tenant).count(),
        "pending requests": JoinRequest.objects.filter(tenant=tenant, status=RequestStatus.PENDING).count(),
        "most requests waiting for one owner": waiting["n"] if waiting else 0,
        "licensed groups": GroupLicense.objects.filter(group__tenant=tenant).count(),
        "audit events": AuditEvent.objects.filter(tenant=tenant).count(),
        "seconds": round(seconds, 1),
    }


_DEPTH_SQL = """
WITH RECURSIVE chain(group_id, depth) AS (
    SELECT m.member_group_id, 1 FROM groups_membership m JOIN groups_group g ON g.id = m.group_id
    WHERE g.tenant_id = %s AND m.member_group_id IS NOT NULL
    UNION
    SELECT m.group_id, chain.depth + 1 FROM groups_membership m JOIN chain ON m.member_group_id = chain.group_id
    WHERE chain.depth < 20
)
SELECT MAX(depth) FROM chain
"""


def nesting_depth(tenant: Tenant) -> int:
    """Levels of nested groups, at the deepest (0 when nothing is nested)."""
    with connection.cursor() as cursor:
        cursor.execute(_DEPTH_SQL, [Tenant._meta.pk.get_db_prep_value(tenant.pk, connection)])
        return cursor.fetchone()[0] or 0
