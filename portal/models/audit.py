"""The append-only audit log."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from portal.models.tenancy import Tenant, TenantQuerySet


class AuditEvent(models.Model):
    """An append-only record of one change (or refused attempt).

    The database refuses UPDATE and DELETE of these rows (triggers installed by a migration). Actor and
    target are kept by id, type and name, so that deleting either never cascades into the log.
    """

    class Result(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"

    id = models.BigAutoField(primary_key=True)
    # Every read is by tenant: the (tenant, -activity_date_time) index below serves them all, so neither
    # column has an index of its own (each costs every audit INSERT; dynamic membership writes many).
    tenant = models.ForeignKey(
        Tenant, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    activity_date_time = models.DateTimeField(default=timezone.now)
    activity = models.CharField(max_length=128)  # read by tenant: the (tenant, activity) index
    category = models.CharField(max_length=64, default="GroupManagement")
    result = models.CharField(max_length=8, choices=Result.choices, default=Result.SUCCESS)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_type = models.CharField(max_length=32, blank=True)
    actor_name = models.CharField(max_length=256, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_type = models.CharField(max_length=32, blank=True)
    target_name = models.CharField(max_length=256, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-activity_date_time", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-activity_date_time"]),
            # The activity filter and its pick-list (portal.selectors.audit_activities) walk this one.
            models.Index(fields=["tenant", "activity"], name="audit_tenant_activity"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.activity_date_time:%Y-%m-%d %H:%M} {self.actor_name}: {self.activity} {self.target_name}"
        )
