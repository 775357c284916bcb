from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.models import TenantOwned


class SubscribedSku(TenantOwned):
    """A subscription of the tenant: so many units of one product."""

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
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.sku_part_number})"


class GroupLicense(models.Model):
    """A license a group carries: its members get it."""

    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="licenses")
    sku = models.ForeignKey(SubscribedSku, on_delete=models.CASCADE, related_name="group_licenses")
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "sku"], name="group_license_unique")]

    def __str__(self) -> str:
        return f"{self.sku_id} on {self.group_id}"


class AssignmentState(models.TextChoices):
    ACTIVE = "active", "Active"
    ERROR = "error", "Not enough licenses"


class LicenseAssignment(models.Model):
    """One user's license of one SKU, inherited from one group.

    A user in two groups carrying the same SKU has two rows but uses one unit: units are counted per
    (user, SKU) over active rows.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="license_assignments"
    )
    sku = models.ForeignKey(SubscribedSku, on_delete=models.CASCADE, related_name="assignments")
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="license_assignments")
    state = models.CharField(max_length=8, choices=AssignmentState.choices, default=AssignmentState.ERROR)
    error = models.CharField(max_length=64, blank=True)
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_date_time", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "sku", "group"], name="license_assignment_unique"),
            models.CheckConstraint(
                condition=Q(state="active", error="") | Q(state="error"),
                name="license_assignment_error_only_in_error",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.sku_id} via {self.group_id} ({self.state})"
