"""Join requests: a user asks to join a group that requires owner approval."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.models import TenantOwned


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class JoinRequest(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="join_requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests"
    )
    justification = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    created_date_time = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_date_time = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    # Set once the group's owners have been emailed about this request (a digest may cover several).
    owners_notified_date_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_date_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "requester"],
                condition=Q(status="pending"),
                name="join_request_one_pending_per_group_and_requester",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_date_time__isnull=False),
                name="join_request_decided_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "-created_date_time"]),
            models.Index(fields=["requester", "-created_date_time"]),
            models.Index(
                fields=["created_date_time"],
                condition=Q(status="pending", owners_notified_date_time__isnull=True),
                name="join_request_owners_unnotified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requester_id} → {self.group_id} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == RequestStatus.PENDING


class Invitation(TenantOwned):
    """An invitation of an external person as a guest: the guest account exists from the start
    (``externalUserState`` PendingAcceptance); the emailed link redeems it once, before it expires.

    The link carries a signed (invitation id, ``nonce``) pair: a resend draws a new nonce, so an older
    link stops working; a revoke or a redemption ends the invitation for good.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    invited_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited_by_name = models.CharField(max_length=256)
    email = models.EmailField(max_length=254)
    redirect_url = models.URLField(max_length=2048, blank=True)
    message = models.TextField(blank=True)
    groups = models.JSONField(default=list, blank=True)  # display names of the groups joined at invite
    nonce = models.CharField(max_length=32)
    created_date_time = models.DateTimeField(default=timezone.now)
    sent_date_time = models.DateTimeField(null=True, blank=True)
    expires_date_time = models.DateTimeField()
    redeemed_date_time = models.DateTimeField(null=True, blank=True)
    revoked_date_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_date_time"]
        indexes = [models.Index(fields=["invited_user", "-created_date_time"])]

    def __str__(self) -> str:
        return f"Invitation of {self.email}"

    @property
    def is_open(self) -> bool:
        return self.redeemed_date_time is None and self.revoked_date_time is None

    @property
    def status(self) -> str:
        """Graph's invitation status: PendingAcceptance until redeemed, then Completed."""
        return "Completed" if self.redeemed_date_time else "PendingAcceptance"
