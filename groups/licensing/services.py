"""Changes to subscriptions and licences (each: authorize → change → consequences → one audit event, in
one transaction), and the hooks the membership writer and the group lifecycle call."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from groups.licensing import engine
from groups.licensing.models import (
    AssignmentState,
    GroupLicense,
    LicenseAssignment,
    LicenseSeat,
    ServicePlan,
    SubscribedSku,
)
from groups.models import Group, GroupKind, Membership
from portal import roles
from portal.audit import audit_record
from portal.authz import authorize
from portal.errors import Conflict, Invalid, NotFound
from portal.models import Tenant, User

COUNT_VIOLATION = engine.COUNT_VIOLATION


@dataclass(frozen=True)
class PlanSpec:
    service_plan_id: uuid.UUID
    name: str
    service: str = ""


def _plans_of(sku: SubscribedSku) -> dict[str, str]:
    return {str(p.service_plan_id): p.service_plan_name for p in sku.service_plans.all()}


def _check_disabled(sku: SubscribedSku, disabled: Iterable[Any]) -> list[str]:
    known = _plans_of(sku)
    ids = sorted({str(d).lower() for d in disabled})
    unknown = [d for d in ids if d not in known]
    if unknown:
        raise Invalid(
            f"{sku.sku_part_number} has no service plan {', '.join(unknown)}.", field="disabledPlans"
        )
    return ids


# --- subscriptions -----------------------------------------------------------------------------------


@transaction.atomic
def subscribed_sku_add(
    *,
    actor: Any,
    sku_part_number: str,
    display_name: str = "",
    prepaid_units: int,
    sku_id: uuid.UUID | None = None,
    service_plans: Sequence[PlanSpec] = (),
    tenant: Tenant | None = None,
) -> SubscribedSku:
    """A new subscription (``tenant``: for commands acting as the system; people act in their own)."""
    if tenant is None:
        authorize(actor, roles.SETTINGS_UPDATE)
        tenant = actor.tenant
    if prepaid_units < 0:
        raise Invalid("Units can't be negative.")
    skus = SubscribedSku.objects.for_tenant(tenant)
    if skus.filter(sku_part_number__iexact=sku_part_number).exists() or (
        sku_id is not None and skus.filter(sku_id=sku_id).exists()
    ):
        raise Conflict(f"The subscription {sku_part_number} already exists.")
    sku = SubscribedSku.objects.create(
        tenant=tenant,
        sku_id=sku_id or uuid.uuid4(),
        sku_part_number=sku_part_number,
        display_name=display_name or sku_part_number,
        prepaid_units=prepaid_units,
    )
    ServicePlan.objects.bulk_create(
        [
            ServicePlan(
                sku=sku, service_plan_id=p.service_plan_id, service_plan_name=p.name, service=p.service
            )
            for p in service_plans
        ]
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        activity="Add subscription",
        target=sku,
        after={"skuPartNumber": sku_part_number, "skuId": str(sku.sku_id), "prepaidUnits": prepaid_units},
        category="Licensing",
    )
    return sku


@transaction.atomic
def subscribed_sku_set_units(
    *, actor: Any, sku: SubscribedSku, prepaid_units: int, system: bool = False
) -> SubscribedSku:
    """More units hand seats to the oldest waiting users; fewer put the newest into error."""
    if not system:
        authorize(actor, roles.SETTINGS_UPDATE)
    if prepaid_units < 0:
        raise Invalid("Units can't be negative.")
    sku = SubscribedSku.objects.select_for_update().get(pk=sku.pk)
    before = sku.prepaid_units
    sku.prepaid_units = prepaid_units
    sku.save(update_fields=["prepaid_units"])
    audit_record(
        tenant=sku.tenant,
        actor=actor,
        activity="Update subscription",
        target=sku,
        before={"prepaidUnits": before},
        after={"prepaidUnits": prepaid_units},
        category="Licensing",
    )
    report = engine.SyncReport()
    users = engine.allocate(sku, report)
    engine.finish(sku.tenant, report, users)
    return sku


@transaction.atomic
def subscription_put(
    *,
    tenant: Tenant,
    actor: Any,
    sku_part_number: str,
    sku_id: uuid.UUID,
    prepaid_units: int,
    service_plans: Sequence[PlanSpec] = (),
) -> tuple[SubscribedSku, bool]:
    """``manage.py add_subscription``: create, or resize (and add the plans it lacks), by SKU id."""
    sku = SubscribedSku.objects.for_tenant(tenant).filter(sku_id=sku_id).first()
    if sku is None:
        return subscribed_sku_add(
            actor=actor,
            tenant=tenant,
            sku_part_number=sku_part_number,
            prepaid_units=prepaid_units,
            sku_id=sku_id,
            service_plans=service_plans,
        ), True
    known = set(_plans_of(sku))
    ServicePlan.objects.bulk_create(
        [
            ServicePlan(
                sku=sku, service_plan_id=p.service_plan_id, service_plan_name=p.name, service=p.service
            )
            for p in service_plans
            if str(p.service_plan_id) not in known
        ]
    )
    if sku.prepaid_units != prepaid_units:
        sku = subscribed_sku_set_units(actor=actor, sku=sku, prepaid_units=prepaid_units, system=True)
    return sku, False


# --- group licences ----------------------------------------------------------------------------------


def _group_users(group: Group) -> set:
    """The users whose licences a change to ``group``'s licences touches."""
    members = Membership.objects.filter(group=group, member_user__isnull=False).values_list(
        "member_user_id", flat=True
    )
    sourced = LicenseAssignment.objects.filter(group=group).values_list("user_id", flat=True)
    return set(members) | set(sourced)


@transaction.atomic
def group_licenses_assign(
    *,
    actor: Any,
    group: Group,
    add: Sequence[tuple[SubscribedSku, Iterable[Any]]] = (),
    remove: Sequence[SubscribedSku] = (),
) -> Group:
    """Graph's group assignLicense: add (or change the disabled plans of) and remove licences."""
    authorize(actor, roles.SETTINGS_UPDATE)
    for sku in [s for s, _ in add] + list(remove):
        if sku.tenant_id != group.tenant_id:
            raise NotFound("That subscription belongs to another organization.")
    if add and group.kind == GroupKind.DISTRIBUTION:  # Entra licenses security and Microsoft 365 groups
        raise Invalid(
            f"{group.display_name} is a distribution group: only security and Microsoft 365 groups carry licences."
        )
    carried = {gl.sku_id: gl for gl in GroupLicense.objects.filter(group=group)}
    exclude = any(gl.exclude_guests for gl in carried.values())
    for sku in remove:
        if sku.pk not in carried:
            raise NotFound(f"{group.display_name} doesn't carry {sku.display_name}.")
        carried.pop(sku.pk).delete()
        _group_event(actor, group, "Remove license from group", before={"skuId": str(sku.sku_id)})
    for sku, disabled in add:
        disabled = _check_disabled(sku, disabled)
        existing = carried.get(sku.pk)
        if existing is None:
            GroupLicense.objects.create(group=group, sku=sku, disabled_plans=disabled, exclude_guests=exclude)
            _group_event(
                actor,
                group,
                "Assign license to group",
                after={
                    "skuId": str(sku.sku_id),
                    "skuPartNumber": sku.sku_part_number,
                    "disabledPlans": disabled,
                },
            )
        elif existing.disabled_plans != disabled:
            before = existing.disabled_plans
            existing.disabled_plans = disabled
            existing.save(update_fields=["disabled_plans"])
            _group_event(
                actor,
                group,
                "Update group license",
                before={"skuId": str(sku.sku_id), "disabledPlans": before},
                after={"skuId": str(sku.sku_id), "disabledPlans": disabled},
            )
    engine.sync(
        tenant=group.tenant,
        user_ids=_group_users(group),
        sku_ids=[s.pk for s, _ in add] + [s.pk for s in remove],
    )
    return group


def _group_event(actor: Any, group: Group, activity: str, **change: Any) -> None:
    audit_record(
        tenant=group.tenant, actor=actor, activity=activity, target=group, category="Licensing", **change
    )


def group_license_add(
    *, actor: Any, group: Group, sku: SubscribedSku, disabled_plans: Iterable[Any] = ()
) -> GroupLicense:
    if GroupLicense.objects.filter(group=group, sku=sku).exists():
        raise Conflict(f"{group.display_name} already carries {sku.display_name}.")
    group_licenses_assign(actor=actor, group=group, add=[(sku, disabled_plans)])
    return GroupLicense.objects.get(group=group, sku=sku)


def group_license_remove(*, actor: Any, group: Group, sku: SubscribedSku) -> None:
    group_licenses_assign(actor=actor, group=group, remove=[sku])


@transaction.atomic
def group_licenses_exclude_guests(*, actor: Any, group: Group, exclude: bool) -> int:
    """Seed 004: don't license B2B accounts. Turns guests' licences from ``group`` off (or back on).
    Returns the number of the group's licences changed."""
    authorize(actor, roles.SETTINGS_UPDATE)
    changed = (
        GroupLicense.objects.filter(group=group)
        .exclude(exclude_guests=exclude)
        .update(exclude_guests=exclude)
    )
    if not changed:
        return 0
    _group_event(
        actor,
        group,
        "Exclude guests from group licenses" if exclude else "Include guests in group licenses",
        after={"excludeGuests": exclude},
    )
    skus = GroupLicense.objects.filter(group=group).values_list("sku_id", flat=True)
    engine.sync(tenant=group.tenant, user_ids=_group_users(group), sku_ids=skus)
    return changed


def licensed_guests(group: Group) -> list[User]:
    """Guests among the direct members of ``group`` when it carries a licence (the warning's list)."""
    if not GroupLicense.objects.filter(group=group).exists():
        return []
    return list(
        User.objects.filter(
            user_type="Guest", deleted_date_time__isnull=True, memberships__group=group
        ).order_by("display_name")
    )


# --- direct assignment -------------------------------------------------------------------------------


@transaction.atomic
def user_licenses_assign(
    *,
    actor: Any,
    user: User,
    add: Sequence[tuple[SubscribedSku, Iterable[Any]]] = (),
    remove: Sequence[SubscribedSku] = (),
) -> User:
    """Graph's user assignLicense: direct assignments. Adding a product with no free seat (for a user
    holding none of it yet) is refused, as Entra refuses it."""
    authorize(actor, roles.SETTINGS_UPDATE)
    for sku, _ in add:
        if sku.tenant_id != user.tenant_id:
            raise NotFound("That subscription belongs to another organization.")
    for sku in remove:
        deleted, _ = LicenseAssignment.objects.filter(user=user, sku=sku, group__isnull=True).delete()
        if not deleted:
            raise Invalid(
                f"{user.user_principal_name} has no direct assignment of {sku.sku_part_number}.",
                field="removeLicenses",
            )
        audit_record(
            tenant=user.tenant,
            actor=actor,
            activity="Remove direct license",
            target=user,
            before={"skuId": str(sku.sku_id)},
            category="Licensing",
        )
    for sku, disabled in add:
        disabled = _check_disabled(sku, disabled)
        locked = SubscribedSku.objects.select_for_update().get(pk=sku.pk)
        holds = LicenseSeat.objects.filter(user=user, sku=sku, state=AssignmentState.ACTIVE).exists()
        used = LicenseSeat.objects.filter(sku=sku, state=AssignmentState.ACTIVE).count()
        if not holds and used >= locked.prepaid_units:
            raise Invalid(
                f"Subscription {sku.sku_part_number} has no more available licenses.", field="addLicenses"
            )
        LicenseAssignment.objects.update_or_create(
            user=user, sku=sku, group=None, defaults={"disabled_plans": disabled}
        )
        audit_record(
            tenant=user.tenant,
            actor=actor,
            activity="Assign direct license",
            target=user,
            after={"skuId": str(sku.sku_id), "disabledPlans": disabled},
            category="Licensing",
        )
    engine.sync(
        tenant=user.tenant, user_ids=[user.pk], sku_ids=[s.pk for s, _ in add] + [s.pk for s in remove]
    )
    return user


# --- hooks -------------------------------------------------------------------------------------------


def licenses_after_membership_change(
    *, tenant: Tenant, group_ids: Iterable[Any], members: Sequence[Any] = ()
) -> None:
    """Direct user members get and lose their groups' licences with their membership, in the same
    transaction (called by the membership writer after every write). A change to groups that carry no
    licence costs one query. ``members`` empty: every user member of the groups (rule recomputation)."""
    licensed = list(
        GroupLicense.objects.filter(group_id__in=list(group_ids)).values_list("group_id", "sku_id")
    )
    if not licensed:
        return
    users = {m.pk for m in members if isinstance(m, User)}
    if not members:
        groups = {g for g, _ in licensed}
        users = set(
            Membership.objects.filter(group_id__in=groups, member_user__isnull=False).values_list(
                "member_user_id", flat=True
            )
        )
        users |= set(LicenseAssignment.objects.filter(group_id__in=groups).values_list("user_id", flat=True))
    engine.sync(tenant=tenant, user_ids=users, sku_ids={s for _, s in licensed})


def licenses_after_user_change(*, tenant: Tenant, objects: Sequence[Any], changed: set | None) -> None:
    """A user who became a guest (or a member) gains or loses licences that exclude guests (an
    attribute reaction: every path that edits users ends there)."""
    if changed is not None and "userType" not in changed:
        return
    users = [o.pk for o in objects if isinstance(o, User)]
    skus = GroupLicense.objects.filter(exclude_guests=True, group__memberships__member_user_id__in=users)
    sku_ids = set(skus.values_list("sku_id", flat=True))
    if sku_ids:
        engine.sync(tenant=tenant, user_ids=users, sku_ids=sku_ids)


def licenses_after_group_change(group: Group) -> None:
    """A group deleted (its licences stop) or restored (they start again)."""
    skus = list(GroupLicense.objects.filter(group=group).values_list("sku_id", flat=True))
    if skus:
        engine.sync(tenant=group.tenant, user_ids=_group_users(group), sku_ids=skus)


@transaction.atomic
def licenses_reconcile(*, tenant: Tenant) -> engine.SyncReport:
    """Every user of the tenant with a source or a licensed group, every SKU: repairs whatever
    went around the writer (units changed in the database, a failed hook). Idempotent."""
    skus = list(SubscribedSku.objects.for_tenant(tenant).values_list("pk", flat=True))
    licensed_groups = GroupLicense.objects.filter(group__tenant=tenant).values("group_id")
    users = set(
        Membership.objects.filter(group_id__in=licensed_groups, member_user__isnull=False).values_list(
            "member_user_id", flat=True
        )
    ) | set(LicenseAssignment.objects.filter(sku__tenant=tenant).values_list("user_id", flat=True))
    return engine.sync(tenant=tenant, user_ids=users, sku_ids=skus)


def process_license_queue(*, now: datetime) -> int:
    """Periodic job: reconcile every tenant with subscriptions. Returns the seat changes made."""
    tenant_ids = SubscribedSku.objects.values_list("tenant_id", flat=True).distinct()
    return sum(licenses_reconcile(tenant=t).changes for t in Tenant.objects.filter(pk__in=tenant_ids))
