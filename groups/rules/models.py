"""The failsafe's record of a held rule change (imported into groups.models, so it is a groups model)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class RuleChangeHold(models.Model):
    """A rule change the failsafe stopped: it would remove more than the tenant's share of members.

    It keeps the exact list of who would leave; a second administrator confirms (the rule is then saved
    and the group recomputed) or cancels it. At most one pending hold per group.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a second administrator"
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="rule_holds")
    membership_rule = models.TextField()
    previous_rule = models.TextField(blank=True)
    removals = models.JSONField(default=list)  # [{"id": ..., "name": ...}] in name order
    member_count = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_date_time = models.DateTimeField(default=timezone.now)
    decided_date_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_date_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["group"], condition=Q(status="pending"), name="rule_hold_one_pending_per_group"
            )
        ]

    def __str__(self) -> str:
        return f"Held rule change of {self.group_id}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
