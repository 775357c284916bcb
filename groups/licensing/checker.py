"""``manage.py check_consistency``'s licence checker: recompute every licence state of a tenant from
memberships, direct assignments, units and service plans, and report each difference from what the
incremental engine stored."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from groups.licensing.engine import desired_group_sources, desired_plans
from groups.licensing.models import (
    COUNT_VIOLATION,
    AssignmentState,
    LicenseAssignment,
    LicenseSeat,
    SubscribedSku,
)
from portal.models import AssignedPlan, Tenant


def check_licenses(tenant: Tenant) -> Iterator[str]:
    yield from _check_sources(tenant)
    yield from _check_seats(tenant)
    yield from _check_plans(tenant)


def _check_sources(tenant: Tenant) -> Iterator[str]:
    desired = set(desired_group_sources(Q(group__tenant=tenant)))
    stored = set(
        LicenseAssignment.objects.filter(sku__tenant=tenant, group__isnull=False).values_list(
            "user_id", "sku_id", "group_id"
        )
    )
    for user_id, sku_id, group_id in sorted(desired - stored, key=str):
        yield f"user {user_id} should hold SKU {sku_id} from group {group_id} but doesn't"
    for user_id, sku_id, group_id in sorted(stored - desired, key=str):
        yield f"user {user_id} holds SKU {sku_id} from group {group_id} without a reason"


def _check_seats(tenant: Tenant) -> Iterator[str]:
    held = set(LicenseAssignment.objects.filter(sku__tenant=tenant).values_list("user_id", "sku_id"))
    seats_by_sku: dict[Any, list[LicenseSeat]] = defaultdict(list)
    for seat in LicenseSeat.objects.filter(sku__tenant=tenant).order_by("since", "pk"):
        seats_by_sku[seat.sku_id].append(seat)
    seated = {(s.user_id, s.sku_id) for seats in seats_by_sku.values() for s in seats}
    for user_id, sku_id in sorted(held - seated, key=str):
        yield f"user {user_id} has a source of SKU {sku_id} but no seat"
    for user_id, sku_id in sorted(seated - held, key=str):
        yield f"user {user_id} has a seat of SKU {sku_id} but no source"
    for sku in SubscribedSku.objects.for_tenant(tenant):
        for position, seat in enumerate(seats_by_sku.get(sku.pk, [])):
            want = AssignmentState.ACTIVE if position < sku.prepaid_units else AssignmentState.ERROR
            error = "" if want == AssignmentState.ACTIVE else COUNT_VIOLATION
            if (seat.state, seat.error) != (want, error):
                yield (
                    f"{sku.sku_part_number}: seat {position + 1} of {sku.prepaid_units} units "
                    f"(user {seat.user_id}) is {seat.state} {seat.error!r}, should be {want} {error!r}"
                )


def _check_plans(tenant: Tenant) -> Iterator[str]:
    desired = desired_plans(tenant=tenant)
    stored: dict[Any, set[str]] = defaultdict(set)
    for user_id, plan_id in AssignedPlan.objects.filter(user__tenant=tenant).values_list(
        "user_id", "service_plan_id"
    ):
        stored[user_id].add(str(plan_id))
    for user_id in sorted(set(desired) | set(stored), key=str):
        want, have = set(desired.get(user_id, {})), stored.get(user_id, set())
        if want != have:
            yield f"user {user_id} has plans {sorted(have)}, should have {sorted(want)}"
