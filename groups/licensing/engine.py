"""The incremental licence state: sources, seats, allocation and assigned plans, for the users and SKUs
a change touched, in the caller's transaction.

- Sources (``LicenseAssignment``): one per (user, SKU, licensed group the user is a DIRECT member of),
  plus the user's direct assignments. Guests get nothing from a licence that excludes guests. Members
  of nested groups get nothing from the parent's licences, as in Entra (Microsoft Learn, "Scenarios,
  limitations, and known issues using groups to manage licensing": nesting isn't supported).
- Seats (``LicenseSeat``): one per (user, SKU) with at least one source. Per SKU, the first
  ``prepaid_units`` seats by ``since`` are active, the rest wait in CountViolation; every change keeps
  that so (a freed seat goes to the oldest waiting, fewer units put the newest into error).
- Assigned plans (``portal.AssignedPlan``): for each active seat, the SKU's service plans that some
  source of it leaves enabled. A user whose plans change goes through
  ``on_user_attributes_changed(changed={"assignedPlans"})``, so ``user.assignedPlans`` rules follow.

``checker.py`` recomputes all of it from scratch; the two must agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from groups.licensing.models import (
    COUNT_VIOLATION,
    AssignmentState,
    GroupLicense,
    LicenseAssignment,
    LicenseSeat,
    ServicePlan,
    SubscribedSku,
)
from groups.models import Membership
from portal.audit import current_request_id
from portal.models import AssignedPlan, AuditEvent, Tenant, User, UserType
from portal.services.users import on_user_attributes_changed

ACTOR = "Group-based licensing"
ASSIGNED = "Assign license to user"
REMOVED = "Remove license from user"
ERROR = "License assignment error"
ACTIVATED = "License assigned after waiting for a seat"
# A rule that reads assignedPlans may move users in and out of licensed groups, which changes their
# plans again: past this depth the periodic pass settles what is left (no endless recursion).
MAX_DEPTH = 4
_depth: ContextVar[int] = ContextVar("licensing_depth", default=0)


@dataclass
class SyncReport:
    """What a sync changed: (activity, user id, SKU, state after) per seat event, and the users whose
    assigned plans changed."""

    seat_events: list[tuple[str, Any, SubscribedSku, str]] = field(default_factory=list)
    plan_changes: set = field(default_factory=set)

    @property
    def changes(self) -> int:
        return len(self.seat_events)


def desired_group_sources(users: Q, skus: Iterable[Any] | None = None) -> dict[tuple[Any, Any, Any], Any]:
    """{(user id, sku id, group id): joined} for each user (of ``users``, a Q on Membership) that is a
    direct member of a live group carrying the SKU, guests left out where the licence excludes them."""
    licenses = GroupLicense.objects.filter(group__deleted_date_time__isnull=True)
    if skus is not None:
        licenses = licenses.filter(sku_id__in=list(skus))
    by_group: dict[Any, list[tuple[Any, bool]]] = defaultdict(list)
    for group_id, sku_id, exclude in licenses.values_list("group_id", "sku_id", "exclude_guests"):
        by_group[group_id].append((sku_id, exclude))
    if not by_group:
        return {}
    rows = Membership.objects.filter(
        users,
        group_id__in=list(by_group),
        member_user__isnull=False,
        member_user__deleted_date_time__isnull=True,
    ).values_list("member_user_id", "group_id", "member_user__user_type", "created_date_time")
    return {
        (user_id, sku_id, group_id): joined
        for user_id, group_id, user_type, joined in rows
        for sku_id, exclude in by_group[group_id]
        if not (exclude and user_type == UserType.GUEST)
    }


@transaction.atomic
def sync(*, tenant: Tenant, user_ids: Iterable[Any], sku_ids: Iterable[Any]) -> SyncReport:
    """Bring the sources, seats and plans of ``user_ids`` x ``sku_ids`` in line with memberships,
    direct assignments and units, audit every seat change, and let rules follow plan changes."""
    user_ids, sku_ids = set(user_ids), set(sku_ids)
    report = SyncReport()
    if not user_ids or not sku_ids:
        return report
    # Lock the SKUs: two transactions never hand out the same seat.
    skus = {s.pk: s for s in SubscribedSku.objects.select_for_update().filter(pk__in=sku_ids).order_by("pk")}
    _sync_sources(user_ids, set(skus))
    touched = set(user_ids) | _sync_seats(user_ids, skus, report)
    for sku in skus.values():
        touched |= allocate(sku, report)
    return finish(tenant, report, touched)


def finish(tenant: Tenant, report: SyncReport, touched: set) -> SyncReport:
    """After seats changed for ``touched`` users: their plans, the audit events, the rules."""
    report.plan_changes = sync_plans(touched)
    _audit(tenant, report)
    if report.plan_changes:
        plans_changed(tenant, report.plan_changes)
    return report


def _sync_sources(user_ids: set, sku_ids: set) -> None:
    desired = desired_group_sources(Q(member_user_id__in=user_ids), sku_ids)
    rows = LicenseAssignment.objects.filter(user_id__in=user_ids, sku_id__in=sku_ids, group__isnull=False)
    existing = {(u, s, g): pk for u, s, g, pk in rows.values_list("user_id", "sku_id", "group_id", "pk")}
    stale = [pk for key, pk in existing.items() if key not in desired]
    if stale:
        LicenseAssignment.objects.filter(pk__in=stale).delete()
    # A source from a group dates from the join: new seats queue in the order their users joined.
    LicenseAssignment.objects.bulk_create(
        [
            LicenseAssignment(user_id=u, sku_id=s, group_id=g, created_date_time=joined)
            for (u, s, g), joined in desired.items()
            if (u, s, g) not in existing
        ]
    )


def _sync_seats(user_ids: set, skus: dict, report: SyncReport) -> set:
    """A seat for each (user, SKU) with a source, none for the others; a new seat waits until
    ``allocate`` hands it a unit. Returns the users whose seats were created or deleted."""
    held: dict[tuple[Any, Any], Any] = {}
    for user_id, sku_id, created in LicenseAssignment.objects.filter(
        user_id__in=user_ids, sku_id__in=skus
    ).values_list("user_id", "sku_id", "created_date_time"):
        held[(user_id, sku_id)] = min(created, held.get((user_id, sku_id), created))
    seats = {
        (s.user_id, s.sku_id): s for s in LicenseSeat.objects.filter(user_id__in=user_ids, sku_id__in=skus)
    }
    gone = [seat for key, seat in seats.items() if key not in held]
    if gone:
        LicenseSeat.objects.filter(pk__in=[s.pk for s in gone]).delete()
    report.seat_events += [(REMOVED, s.user_id, skus[s.sku_id], "Removed") for s in gone]
    now = timezone.now()
    new = [
        LicenseSeat(user_id=u, sku_id=s, since=now, state=AssignmentState.ERROR, error=COUNT_VIOLATION)
        for (u, s) in sorted(held.keys() - seats.keys(), key=lambda key: (held[key], str(key[0])))
    ]
    LicenseSeat.objects.bulk_create(new)
    # Each new seat is audited once allocate() knows its outcome: assigned or in error.
    report.seat_events += [(ERROR, s.user_id, skus[s.sku_id], COUNT_VIOLATION) for s in new]
    return {s.user_id for s in gone} | {s.user_id for s in new}


def allocate(sku: SubscribedSku, report: SyncReport) -> set:
    """Keep the first ``prepaid_units`` seats of ``sku`` (by ``since``) active and the rest waiting.
    Returns the users whose seat changed state."""
    seats = LicenseSeat.objects.filter(sku=sku)
    active = seats.filter(state=AssignmentState.ACTIVE).count()
    if active < sku.prepaid_units:
        waiting = seats.filter(state=AssignmentState.ERROR).order_by("since", "pk")
        changed = list(waiting.values_list("pk", "user_id")[: sku.prepaid_units - active])
        seats.filter(pk__in=[pk for pk, _ in changed]).update(state=AssignmentState.ACTIVE, error="")
        state, activity = "Active", ACTIVATED
    elif active > sku.prepaid_units:
        newest = seats.filter(state=AssignmentState.ACTIVE).order_by("-since", "-pk")
        changed = list(newest.values_list("pk", "user_id")[: active - sku.prepaid_units])
        seats.filter(pk__in=[pk for pk, _ in changed]).update(
            state=AssignmentState.ERROR, error=COUNT_VIOLATION
        )
        state, activity = COUNT_VIOLATION, ERROR
    else:
        return set()
    users = {user_id for _, user_id in changed}
    new_here = {}
    for i, (act, user_id, event_sku, _) in enumerate(report.seat_events):
        if act == ERROR and event_sku.pk == sku.pk and user_id in users:
            new_here[user_id] = i
    for user_id in users:
        if user_id in new_here and state == "Active":  # a new seat that got a unit at once
            report.seat_events[new_here[user_id]] = (ASSIGNED, user_id, sku, state)
        else:
            report.seat_events.append((activity, user_id, sku, state))
    return users


def _audit(tenant: Tenant, report: SyncReport) -> None:
    if not report.seat_events:
        return
    names = dict(
        User.objects.filter(pk__in={e[1] for e in report.seat_events}).values_list(
            "pk", "user_principal_name"
        )
    )
    request_id = current_request_id.get() or ""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                tenant=tenant,
                activity=activity,
                category="Licensing",
                result=AuditEvent.Result.FAILURE if activity == ERROR else AuditEvent.Result.SUCCESS,
                actor_type="system",
                actor_name=ACTOR,
                target_id=str(user_id),
                target_type="user",
                target_name=names.get(user_id, str(user_id)),
                before={"skuId": str(sku.sku_id), "skuPartNumber": sku.sku_part_number}
                if activity == REMOVED
                else None,
                after=None
                if activity == REMOVED
                else {"skuId": str(sku.sku_id), "skuPartNumber": sku.sku_part_number, "state": state},
                request_id=request_id,
            )
            for activity, user_id, sku, state in report.seat_events
        ]
    )


# --- assigned plans ------------------------------------------------------------------------------------


def desired_plans(user_ids: Iterable[Any] | None = None, *, tenant: Tenant | None = None) -> dict:
    """{user id: {service plan id: service}} from the active seats' sources (a plan is on when any
    source of the seat leaves it enabled)."""
    seats = LicenseSeat.objects.filter(state=AssignmentState.ACTIVE)
    sources = LicenseAssignment.objects.all()
    if user_ids is not None:
        seats, sources = seats.filter(user_id__in=user_ids), sources.filter(user_id__in=user_ids)
    if tenant is not None:
        seats, sources = seats.filter(sku__tenant=tenant), sources.filter(sku__tenant=tenant)
    active = set(seats.values_list("user_id", "sku_id"))
    if not active:
        return {}
    plans: dict[Any, list[tuple[str, str]]] = defaultdict(list)
    for sku_id, plan_id, service in ServicePlan.objects.filter(sku_id__in={s for _, s in active}).values_list(
        "sku_id", "service_plan_id", "service"
    ):
        plans[sku_id].append((str(plan_id), service))
    group_disabled = {
        (g, s): set(d)
        for g, s, d in GroupLicense.objects.filter(sku_id__in={s for _, s in active}).values_list(
            "group_id", "sku_id", "disabled_plans"
        )
    }
    result: dict[Any, dict[str, str]] = defaultdict(dict)
    for user_id, sku_id, group_id, disabled in sources.values_list(
        "user_id", "sku_id", "group_id", "disabled_plans"
    ):
        if (user_id, sku_id) not in active:
            continue
        off = group_disabled.get((group_id, sku_id), set()) if group_id else set(disabled)
        for plan_id, service in plans[sku_id]:
            if plan_id not in off:
                result[user_id][plan_id] = service
    return dict(result)


def sync_plans(user_ids: set) -> set:
    """Write each user's AssignedPlan rows to match their licences. Returns the users that changed."""
    if not user_ids:
        return set()
    desired = desired_plans(user_ids)
    stored: dict[Any, dict[str, int]] = defaultdict(dict)
    for pk, user_id, plan_id in AssignedPlan.objects.filter(user_id__in=user_ids).values_list(
        "pk", "user_id", "service_plan_id"
    ):
        stored[user_id][str(plan_id)] = pk
    stale, new, changed = [], [], set()
    for user_id in user_ids:
        want, have = desired.get(user_id, {}), stored.get(user_id, {})
        stale += [pk for plan_id, pk in have.items() if plan_id not in want]
        new += [
            AssignedPlan(
                user_id=user_id, service_plan_id=plan_id, service=service, capability_status="Enabled"
            )
            for plan_id, service in want.items()
            if plan_id not in have
        ]
        if want.keys() != have.keys():
            changed.add(user_id)
    if stale:
        AssignedPlan.objects.filter(pk__in=stale).delete()
    AssignedPlan.objects.bulk_create(new)
    return changed


def plans_changed(tenant: Tenant, user_ids: set) -> None:
    """``user.assignedPlans`` rules follow, in the same transaction (bounded depth, see MAX_DEPTH)."""
    depth = _depth.get()
    if depth >= MAX_DEPTH:
        return
    token = _depth.set(depth + 1)
    try:
        users = list(User.objects.filter(pk__in=user_ids))
        on_user_attributes_changed(tenant=tenant, users=users, actor=ACTOR, changed={"assignedPlans"})
    finally:
        _depth.reset(token)
