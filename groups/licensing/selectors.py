"""Reading licence state: what a user holds (assignedLicenses, assignedPlans, licenseAssignmentStates,
licenseDetails), what a group carries, and the seats a group's join would need. Values are plain data
with Graph's property names; the API serializes them as they are."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Subquery

from groups.licensing.models import (
    AssignmentState,
    GroupLicense,
    LicenseAssignment,
    LicenseSeat,
    SubscribedSku,
)
from groups.models import Group
from portal.models import AssignedPlan, User


def _iso(moment) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def user_licenses(user) -> dict[str, Any]:
    """The user's ``assignedLicenses`` (active seats; a plan is disabled when every source disables it),
    ``assignedPlans`` and ``licenseAssignmentStates`` (one per source, its seat's state). Kept on the
    user object: the API asks once per property of the same user."""
    cached = getattr(user, "_graph_licenses", None)
    if cached is None:
        users_licenses_prefetch([user])
        cached = user._graph_licenses
    return cached


def users_licenses_prefetch(users: list) -> None:
    """``user_licenses`` of every user of a list (a page of the API), kept on each: five queries
    whatever the number of users, not five per user."""
    users = [u for u in users if getattr(u, "_graph_licenses", None) is None]
    if not users:
        return
    ids = [u.pk for u in users]
    seats: dict[Any, dict[Any, LicenseSeat]] = defaultdict(dict)
    for seat in LicenseSeat.objects.filter(user_id__in=ids).select_related("sku"):
        seats[seat.user_id][seat.sku_id] = seat
    sources: dict[Any, list[LicenseAssignment]] = defaultdict(list)
    for a in LicenseAssignment.objects.filter(user_id__in=ids).order_by("created_date_time", "pk"):
        sources[a.user_id].append(a)
    skus = {sku_id for held in seats.values() for sku_id in held}
    group_disabled = {
        (g, s): d
        for g, s, d in GroupLicense.objects.filter(
            group_id__in={a.group_id for each in sources.values() for a in each if a.group_id},
            sku_id__in=list(skus),
        ).values_list("group_id", "sku_id", "disabled_plans")
    }
    plans: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for p in AssignedPlan.objects.filter(user_id__in=ids).order_by("assigned_date_time", "pk"):
        plans[p.user_id].append(
            {
                "assignedDateTime": _iso(p.assigned_date_time),
                "capabilityStatus": p.capability_status,
                "service": p.service,
                "servicePlanId": str(p.service_plan_id),
            }
        )
    for user in users:
        user._graph_licenses = _licenses_of(seats[user.pk], sources[user.pk], group_disabled, plans[user.pk])


def _licenses_of(seats: dict, sources: list, group_disabled: dict, plans: list) -> dict[str, Any]:
    states, disabled_by_sku = [], defaultdict(list)
    for a in sources:
        seat = seats.get(a.sku_id)
        if seat is None:
            continue
        disabled = group_disabled.get((a.group_id, a.sku_id), []) if a.group_id else a.disabled_plans
        disabled_by_sku[a.sku_id].append(set(disabled))
        states.append(
            {
                "skuId": str(seat.sku.sku_id),
                "assignedByGroup": str(a.group_id) if a.group_id else None,
                "disabledPlans": list(disabled),
                "state": "Active" if seat.state == AssignmentState.ACTIVE else "Error",
                "error": seat.error or "None",
                "lastUpdatedDateTime": _iso(max(a.created_date_time, seat.since)),
            }
        )
    assigned = [
        {
            "skuId": str(seat.sku.sku_id),
            "disabledPlans": sorted(
                set.intersection(*disabled_by_sku[sku_id]) if disabled_by_sku[sku_id] else set()
            ),
        }
        for sku_id, seat in seats.items()
        if seat.state == AssignmentState.ACTIVE
    ]
    return {"assignedLicenses": assigned, "assignedPlans": plans, "licenseAssignmentStates": states}


def license_details(user) -> list[dict[str, Any]]:
    """``/users/{id}/licenseDetails``: one entry per product the user holds (active seats)."""
    seats = LicenseSeat.objects.filter(user=user, state=AssignmentState.ACTIVE).select_related("sku")
    seats = seats.prefetch_related("sku__service_plans").order_by("sku__sku_part_number")
    enabled = {
        str(p) for p in AssignedPlan.objects.filter(user=user).values_list("service_plan_id", flat=True)
    }
    return [
        {
            "id": f"{seat.sku.sku_id}_{user.pk}",
            "skuId": str(seat.sku.sku_id),
            "skuPartNumber": seat.sku.sku_part_number,
            "servicePlans": [
                {
                    "servicePlanId": str(p.service_plan_id),
                    "servicePlanName": p.service_plan_name,
                    "provisioningStatus": "Success" if str(p.service_plan_id) in enabled else "Disabled",
                    "appliesTo": "User",
                }
                for p in seat.sku.service_plans.all()
            ],
        }
        for seat in seats
    ]


def group_assigned_licenses(group) -> list[dict[str, Any]]:
    if getattr(group, "_graph_licenses", None) is None:
        groups_licenses_prefetch([group])
    return group._graph_licenses


def group_has_license_errors(group) -> bool:
    if getattr(group, "_graph_license_errors", None) is None:
        groups_licenses_prefetch([group])
    return group._graph_license_errors


def groups_licenses_prefetch(groups: list) -> None:
    """``group_assigned_licenses`` and ``group_has_license_errors`` of every group of a list, kept on
    each: two queries whatever the number of groups."""
    groups = [g for g in groups if getattr(g, "_graph_licenses", None) is None]
    if not groups:
        return
    ids = [g.pk for g in groups]
    licenses: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for gl in (
        GroupLicense.objects.filter(group_id__in=ids)
        .select_related("sku")
        .order_by("created_date_time", "pk")
    ):
        licenses[gl.group_id].append({"skuId": str(gl.sku.sku_id), "disabledPlans": list(gl.disabled_plans)})
    in_error = LicenseSeat.objects.filter(
        state=AssignmentState.ERROR,
        user__license_assignments__group=OuterRef("pk"),
        sku__group_licenses__group=OuterRef("pk"),
    )
    errors = dict(
        Group.objects.filter(pk__in=ids).annotate(error=Exists(in_error)).values_list("pk", "error")
    )
    for group in groups:
        group._graph_licenses = licenses[group.pk]
        group._graph_license_errors = errors.get(group.pk, False)


def members_with_license_errors(group):
    """The users whose licence from ``group`` waits in error (a queryset of users)."""
    waiting = LicenseSeat.objects.filter(state=AssignmentState.ERROR, sku__group_licenses__group=group)
    sourced = LicenseAssignment.objects.filter(group=group)
    return User.objects.filter(pk__in=waiting.values("user_id"), license_assignments__in=sourced).distinct()


def subscribed_skus(tenant) -> list[dict[str, Any]]:
    """``GET /subscribedSkus``."""
    skus = (
        SubscribedSku.objects.for_tenant(tenant)
        .prefetch_related("service_plans")
        .annotate(consumed=Count("seats", filter=Q(seats__state=AssignmentState.ACTIVE)))
        .order_by("sku_part_number")
    )
    return [
        {
            "id": f"{tenant.pk}_{sku.sku_id}",
            "accountId": str(tenant.pk),
            "accountName": tenant.name,
            "appliesTo": "User",
            "capabilityStatus": "Enabled",
            "consumedUnits": sku.consumed,
            "prepaidUnits": {"enabled": sku.prepaid_units, "lockedOut": 0, "suspended": 0, "warning": 0},
            "servicePlans": [
                {
                    "servicePlanId": str(p.service_plan_id),
                    "servicePlanName": p.service_plan_name,
                    "provisioningStatus": "Success",
                    "appliesTo": "User",
                }
                for p in sku.service_plans.all()
            ],
            "skuId": str(sku.sku_id),
            "skuPartNumber": sku.sku_part_number,
            "subscriptionIds": [str(sku.pk)],
        }
        for sku in skus
    ]


def licensed_users(sku_ids) -> Q:
    """Users holding one of the products (``skuId``s) on an active seat: the $filter on
    ``assignedLicenses``."""
    seats = LicenseSeat.objects.filter(sku__sku_id__in=list(sku_ids), state=AssignmentState.ACTIVE)
    return Q(pk__in=seats.values("user_id"))


def licensed_groups(sku_ids) -> Q:
    """Groups carrying one of the products."""
    return Q(pk__in=GroupLicense.objects.filter(sku__sku_id__in=list(sku_ids)).values("group_id"))


@dataclass(frozen=True)
class Wait:
    """A product someone joining would wait for: no free seat, and they hold none."""

    product: str
    waiting: int  # already in the queue before them


def licence_waits(user, group) -> list[Wait]:
    """What ``user`` would wait for on joining ``group`` (seat-aware joining: said before they confirm)."""
    return batch_waits([(user, group)])[0]


def batch_waits(joins: list[tuple[Any, Any]]) -> list[list[Wait]]:
    """For each (user, group) in order, what the user would wait for if all the joins before it happened
    too (approving several requests at once: each takes a seat the next can't have)."""
    licenses: dict[Any, list[GroupLicense]] = defaultdict(list)
    for gl in GroupLicense.objects.filter(group_id__in={g.pk for _, g in joins}).select_related("sku"):
        licenses[gl.group_id].append(gl)
    skus = {gl.sku.pk: gl.sku for gls in licenses.values() for gl in gls}
    if not skus:
        return [[] for _ in joins]
    held = set(
        LicenseSeat.objects.filter(
            user_id__in={u.pk for u, _ in joins}, sku_id__in=skus, state=AssignmentState.ACTIVE
        ).values_list("user_id", "sku_id")
    )
    counts = _seat_counts(skus)
    left = {pk: sku.prepaid_units - counts[pk][0] for pk, sku in skus.items()}
    found = []
    for user, group in joins:
        waits = []
        for gl in licenses.get(group.pk, []):
            if (gl.exclude_guests and user.is_guest) or (user.pk, gl.sku_id) in held:
                continue
            if left[gl.sku_id] > 0:
                left[gl.sku_id] -= 1
                held.add((user.pk, gl.sku_id))
            else:
                waits.append(Wait(gl.sku.display_name, counts[gl.sku_id][1]))
        found.append(waits)
    return found


def _seat_counts(sku_ids) -> dict[Any, tuple[int, int]]:
    """{sku pk: (active seats, waiting seats)}."""
    rows = SubscribedSku.objects.filter(pk__in=list(sku_ids)).annotate(
        active=Count("seats", filter=Q(seats__state=AssignmentState.ACTIVE)),
        waiting=Count("seats", filter=Q(seats__state=AssignmentState.ERROR)),
    )
    return {sku.pk: (sku.active, sku.waiting) for sku in rows}


@dataclass(frozen=True)
class SeatsLeft:
    product: str
    left: int


def seats_left_by_group(group_ids) -> dict[Any, list[SeatsLeft]]:
    """{group id: the seats left of each product it carries} for a page of join requests (2 queries)."""
    licenses = list(
        GroupLicense.objects.filter(group_id__in=list(group_ids))
        .select_related("sku")
        .order_by("sku__display_name")
    )
    if not licenses:
        return {}
    counts = _seat_counts({gl.sku_id for gl in licenses})
    found: dict[Any, list[SeatsLeft]] = defaultdict(list)
    for gl in licenses:
        found[gl.group_id].append(
            SeatsLeft(gl.sku.display_name, max(gl.sku.prepaid_units - counts[gl.sku_id][0], 0))
        )
    return dict(found)


SHOWN = 20


def group_licensing(group) -> dict[str, Any] | None:
    """The licences box of a group's page (owners and administrators): what it carries, the members
    waiting for a seat (CountViolation) and the guests it would license. None (one query) when the
    group carries no licence."""
    licenses = list(
        GroupLicense.objects.filter(group=group).select_related("sku").order_by("sku__display_name")
    )
    if not licenses:
        return None
    waiting = members_with_license_errors(group).order_by("display_name")
    guests = User.objects.filter(
        user_type="Guest", deleted_date_time__isnull=True, memberships__group=group
    ).order_by("display_name")
    return {
        "licenses": licenses,
        "waiting": list(waiting[:SHOWN]),
        "guests": list(guests[:SHOWN]),
        "exclude_guests": any(gl.exclude_guests for gl in licenses),
        "shown": SHOWN,
    }


def user_license_rows(user) -> list[dict[str, Any]]:
    """The user page's Licenses section: one row per source, with its seat's state (one query)."""
    seat = LicenseSeat.objects.filter(user=OuterRef("user"), sku=OuterRef("sku"))
    sources = (
        LicenseAssignment.objects.filter(user=user)
        .select_related("sku", "group")
        .annotate(
            seat_state=Subquery(seat.values("state")[:1]),
            seat_error=Subquery(seat.values("error")[:1]),
            seat_since=Subquery(seat.values("since")[:1]),
        )
        .order_by("sku__display_name", "created_date_time")
    )
    return [
        {
            "product": a.sku.display_name,
            "group": a.group,
            "state": "Active" if a.seat_state == AssignmentState.ACTIVE else "Error",
            "error": a.seat_error,
            "since": a.seat_since,
        }
        for a in sources
        if a.seat_state is not None
    ]
