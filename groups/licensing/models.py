from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.models import TenantOwned

COUNT_VIOLATION = "CountViolation"  # Entra's name for "not enough licences"


class SubscribedSku(TenantOwned):
    """A subscription of the tenant: so many units (seats) of one product (Graph's subscribedSku)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sku_id = models.UUIDField(default=uuid.uuid4)
    sku_part_number = models.CharField(max_length=64)
    display_name = models.CharField(max_length=128)
    prepaid_units = models.PositiveIntegerField(default=0)
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "sku_part_number"], name="subscribed_sku_unique"),
            models.UniqueConstraint(fields=["tenant", "sku_id"], name="subscribed_sku_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.sku_part_number})"


class ServicePlan(models.Model):
    """One service of a product (Graph's servicePlanInfo): what a licence turns on, unless disabled."""

    sku = models.ForeignKey(SubscribedSku, on_delete=models.CASCADE, related_name="service_plans")
    service_plan_id = models.UUIDField()
    service_plan_name = models.CharField(max_length=128)
    service = models.CharField(max_length=128, blank=True)  # assignedPlan.service, e.g. "exchange"

    class Meta:
        ordering = ["service_plan_name"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "service_plan_id"], name="service_plan_unique"),
        ]

    def __str__(self) -> str:
        return self.service_plan_name


class GroupLicense(models.Model):
    """A licence a group carries: its direct user members get it (members of nested groups don't)."""

    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="licenses")
    sku = models.ForeignKey(SubscribedSku, on_delete=models.CASCADE, related_name="group_licenses")
    disabled_plans = models.JSONField(default=list, blank=True)  # service plan ids (str) turned off
    exclude_guests = models.BooleanField(default=False)  # seed 004: don't license B2B accounts
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "sku"], name="group_license_unique")]

    def __str__(self) -> str:
        return f"{self.sku_id} on {self.group_id}"


class LicenseAssignment(models.Model):
    """One source of one user's licence of one SKU: a licensed group they are a direct member of
    (``group`` set), or a direct assignment (``group`` null, with its own ``disabled_plans``).

    A user with two sources of a SKU holds one ``LicenseSeat`` of it: the seat's state is every
    source's state (Graph's licenseAssignmentStates)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="license_assignments"
    )
    sku = models.ForeignKey(SubscribedSku, on_delete=models.CASCADE, related_name="assignments")
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="license_assignments"
    )
    disabled_plans = models.JSONField(default=list, blank=True)  # direct assignments only
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_date_time", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "sku", "group"], name="license_assignment_unique"),
            models.UniqueConstraint(
                fields=["user", "sku"],
                condition=Q(group__isnull=True),
                name="license_assignment_direct_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.sku_id} via {self.group_id or 'direct'}"


class AssignmentState(models.TextChoices):
    ACTIVE = "active", "Active"
    ERROR = "error", "Not enough licences"


class LicenseSeat(models.Model):
    """One user's hold on one SKU, whatever the number of sources: one seat per user per SKU.

    Seats are taken in the order of ``since`` (when the user first got a source of the SKU): the first
    ``prepaid_units`` seats are active, the rest wait in error (CountViolation)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="license_seats")
    sku = models.ForeignKey(SubscribedSku, on_delete=models.CASCADE, related_name="seats")
    since = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=8, choices=AssignmentState.choices, default=AssignmentState.ERROR)
    error = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["since", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "sku"], name="license_seat_unique"),
            models.CheckConstraint(
                condition=Q(state="active", error="") | Q(state="error"),
                name="license_seat_error_only_in_error",
            ),
        ]
        indexes = [models.Index(fields=["sku", "state", "since"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.sku_id} ({self.state})"
