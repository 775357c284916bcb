"""Checkers for ``manage.py check_consistency`` (registered from ``GroupsConfig.ready``): what the
groups app keeps incrementally, recomputed from scratch.

- ``member_counts``: each group's stored member count against a COUNT of its memberships;
- ``dynamic_memberships``: each live dynamic group's members against what its rule selects now (a
  group whose recomputation is queued or running, or paused, is named as such);
- ``transitive_views``: the nesting has no cycle, and the recursive queries every page uses (groups
  nested in G) agree with a walk of the edges in Python.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from groups.dynamic import queryset_for
from groups.models import Group, Membership, ProcessingState, ProcessingStatus
from groups.rules import parse
from groups.selectors import nested_group_ids
from portal.consistency import register_checker
from portal.models import Tenant

NAMES_SHOWN = 5
WALKS = 200  # groups whose nesting the transitive check walks (those with nested groups first)


def member_counts(tenant: Tenant) -> Iterator[str]:
    counted = Membership.objects.filter(group=OuterRef("pk")).order_by().values("group")
    counted = counted.annotate(n=Count("*")).values("n")
    groups = Group.objects.for_tenant(tenant).annotate(
        actual=Coalesce(Subquery(counted, output_field=IntegerField()), 0)
    )
    for group in groups.exclude(member_count=F("actual")).order_by("display_name"):
        yield f"“{group.display_name}” stores {group.member_count} members, has {group.actual}"


def dynamic_memberships(tenant: Tenant) -> Iterator[str]:
    dynamic = (
        Group.objects.for_tenant(tenant).alive().filter(membership_type="dynamic").order_by("display_name")
    )
    for group in dynamic:
        if group.membership_rule_processing_state == ProcessingState.PAUSED:
            continue  # paused on purpose: its members are frozen
        rule = parse(group.membership_rule)
        field = "member_device_id" if rule.kind == "device" else "member_user_id"
        wanted = set(queryset_for(rule, tenant).values_list("pk", flat=True))
        have = set(Membership.objects.filter(group=group).values_list(field, flat=True))
        missing, extra = wanted - have, have - wanted
        if not (missing or extra):
            continue
        busy = group.processing_status in (ProcessingStatus.NOT_STARTED, ProcessingStatus.RUNNING)
        state = " (its recomputation is queued or running)" if busy else ""
        yield (
            f"dynamic “{group.display_name}”{state}: {len(missing)} selected by its rule but not members, "
            f"{len(extra)} members its rule doesn't select"
        )


def transitive_views(tenant: Tenant) -> Iterator[str]:
    edges = Membership.objects.filter(group__tenant=tenant, member_group__isnull=False)
    children: dict = {}
    for parent, child in edges.values_list("group_id", "member_group_id"):
        children.setdefault(parent, set()).add(child)
    walked = sorted(children, key=str)[:WALKS]
    for parent in walked:
        reached = _walk(children, parent)
        if parent in reached:
            yield f"nesting cycle through group {parent}"
            continue
        stored = nested_group_ids(Group(pk=parent))
        if stored != reached:
            yield f"groups nested in {parent}: the recursive query finds {len(stored)}, the edges {len(reached)}"


def _walk(children: dict, start) -> set:
    found, frontier = set(), {start}
    while frontier:
        frontier = {c for node in frontier for c in children.get(node, ())} - found
        found |= frontier
    return found


def register() -> None:
    register_checker("member_counts", member_counts)
    register_checker("dynamic_memberships", dynamic_memberships)
    register_checker("transitive_views", transitive_views)
