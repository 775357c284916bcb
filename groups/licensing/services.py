"""State changes of subscriptions and group licenses, and the reconciliation of assignments."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from groups.licensing.models import AssignmentState, GroupLicense, LicenseAssignment, SubscribedSku
from groups.models import Group
from groups.selectors import transitive_member_user_ids
from portal import roles
from portal.audit import audit_record
from portal.authz import authorize
from portal.errors import Conflict, Invalid, NotFound
from portal.models import Tenant, User

COUNT_VIOLATION = "CountViolation"  # Entra's name for "not enough licenses"


@transaction.atomic
def subscribed_sku_add(
    *, actor: User, sku_part_number: str, display_name: str, prepaid_units: int
) -> SubscribedSku:
    authorize(actor, roles.SETTINGS_UPDATE)
    if prepaid_units < 0:
        raise Invalid("Units can't be negative.")
    if (
        SubscribedSku.objects.for_tenant(actor.tenant)
        .filter(sku_part_number__iexact=sku_part_number)
        .exists()
    ):
        raise Conflict(f"The subscription {sku_part_number} already exists.")
    sku = SubscribedSku.objects.create(
        tenant=actor.tenant,
        sku_part_number=sku_part_number,
        display_name=display_name,
        prepaid_units=prepaid_units,
    )
    audit_record(
        tenant=actor.tenant,
        actor=actor,
        activity="Add subscription",
        target=sku,
        after={"skuPartNumber": sku_part_number, "prepaidUnits": prepaid_units},
        category="Licensing",
    )
    return sku


@transaction.atomic
def subscribed_sku_set_units(*, actor: User, sku: SubscribedSku, prepaid_units: int) -> SubscribedSku:
    authorize(actor, roles.SETTINGS_UPDATE)
    if prepaid_units < 0:
        raise Invalid("Units can't be negative.")
    before = sku.prepaid_units
    sku.prepaid_units = prepaid_units
    sku.save(update_fields=["prepaid_units"])
    audit_record(
        tenant=actor.tenant,
        actor=actor,
        activity="Update subscription",
        target=sku,
        before={"prepaidUnits": before},
        after={"prepaidUnits": prepaid_units},
        category="Licensing",
    )
    licenses_reconcile(tenant=actor.tenant, actor=actor)
    return sku


@transaction.atomic
def group_license_add(*, actor: User, group: Group, sku: SubscribedSku) -> GroupLicense:
    authorize(actor, "allProperties/update", group)
    if sku.tenant_id != group.tenant_id:
        raise NotFound("That subscription belongs to another organization.")
    if GroupLicense.objects.filter(group=group, sku=sku).exists():
        raise Conflict(f"{group.display_name} already carries {sku.display_name}.")
    license_ = GroupLicense.objects.create(group=group, sku=sku)
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity="Assign license to group",
        target=group,
        after={"sku": sku.sku_part_number},
        category="Licensing",
    )
    licenses_reconcile(tenant=group.tenant, actor=actor)
    return license_


@transaction.atomic
def group_license_remove(*, actor: User, group: Group, sku: SubscribedSku) -> None:
    authorize(actor, "allProperties/update", group)
    deleted, _ = GroupLicense.objects.filter(group=group, sku=sku).delete()
    if not deleted:
        raise NotFound(f"{group.display_name} doesn't carry {sku.display_name}.")
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity="Remove license from group",
        target=group,
        before={"sku": sku.sku_part_number},
        category="Licensing",
    )
    licenses_reconcile(tenant=group.tenant, actor=actor)


@dataclass
class ReconcileReport:
    added: int = 0
    removed: int = 0
    activated: int = 0

    @property
    def changes(self) -> int:
        return self.added + self.removed + self.activated


def _desired(tenant: Tenant) -> set[tuple[Any, Any, Any]]:
    """(user id, sku id, group id) for every member, direct or nested, of every licensed live group."""
    desired: set[tuple[Any, Any, Any]] = set()
    licensed = GroupLicense.objects.filter(
        group__tenant=tenant, group__deleted_date_time__isnull=True
    ).select_related("group")
    by_group: dict[Any, list[Any]] = defaultdict(list)
    groups: dict[Any, Group] = {}
    for license_ in licensed:
        by_group[license_.group_id].append(license_.sku_id)
        groups[license_.group_id] = license_.group
    active_users = set(
        User.objects.for_tenant(tenant)
        .filter(account_enabled=True, deleted_date_time__isnull=True)
        .values_list("id", flat=True)
    )
    for group_id, sku_ids in by_group.items():
        for user_id in transitive_member_user_ids(groups[group_id]) & active_users:
            for sku_id in sku_ids:
                desired.add((user_id, sku_id, group_id))
    return desired


@transaction.atomic
def licenses_reconcile(*, tenant: Tenant, actor: Any = "Groupdesk") -> ReconcileReport:
    """Bring license assignments in line with group memberships, then hand free units to waiting
    assignments, oldest first. Idempotent: a second run changes nothing."""
    report = ReconcileReport()
    # Lock the tenant's subscriptions: two reconciliations never hand out the same unit twice.
    skus = {sku.pk: sku for sku in SubscribedSku.objects.select_for_update().filter(tenant=tenant)}
    if not skus:
        return report
    desired = _desired(tenant)
    existing = {
        (a.user_id, a.sku_id, a.group_id): a for a in LicenseAssignment.objects.filter(sku__tenant=tenant)
    }
    stale = [a.pk for key, a in existing.items() if key not in desired]
    if stale:
        report.removed = LicenseAssignment.objects.filter(pk__in=stale).delete()[0]
    new = [
        LicenseAssignment(user_id=u, sku_id=s, group_id=g, state=AssignmentState.ERROR, error=COUNT_VIOLATION)
        for (u, s, g) in desired - existing.keys()
    ]
    LicenseAssignment.objects.bulk_create(new)
    report.added = len(new)
    report.activated = _allocate(skus.values())
    if report.changes:
        audit_record(
            tenant=tenant,
            actor=actor,
            activity="Update license assignments",
            target=tenant,
            after={"added": report.added, "removed": report.removed, "activated": report.activated},
            category="Licensing",
        )
    return report


def _allocate(skus: Iterable[SubscribedSku]) -> int:
    """Activate waiting assignments while units last. Returns how many became active."""
    activated = 0
    for sku in skus:
        rows = list(LicenseAssignment.objects.filter(sku=sku).order_by("created_date_time", "pk"))
        licensed_users = {a.user_id for a in rows if a.state == AssignmentState.ACTIVE}
        to_activate = []
        for assignment in rows:
            if assignment.state == AssignmentState.ACTIVE:
                continue
            # A user already holding this SKU through another group uses no extra unit.
            if assignment.user_id in licensed_users or len(licensed_users) < sku.prepaid_units:
                licensed_users.add(assignment.user_id)
                to_activate.append(assignment.pk)
        if to_activate:
            activated += LicenseAssignment.objects.filter(pk__in=to_activate).update(
                state=AssignmentState.ACTIVE, error=""
            )
    return activated


def licenses_after_membership_change(*, tenant: Tenant) -> None:
    """Members get and lose licenses with their membership, in the same transaction (called by the
    membership writer after every write). Tenants without licensed groups pay one cheap query."""
    if GroupLicense.objects.filter(group__tenant_id=tenant.pk).exists():
        licenses_reconcile(tenant=tenant)


def process_license_queue(*, now: datetime) -> int:
    """Periodic job: reconcile every tenant that has subscriptions (catches membership changes made by
    rules or bulk work, and units that freed up). Returns the number of assignment changes."""
    tenant_ids = SubscribedSku.objects.values_list("tenant_id", flat=True).distinct()
    return sum(
        licenses_reconcile(tenant=tenant).changes for tenant in Tenant.objects.filter(pk__in=tenant_ids)
    )
