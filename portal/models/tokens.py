"""Bearer tokens of the JSON API."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.models.directory import ServicePrincipal, User
from portal.models.tenancy import TenantOwned


class ApiToken(TenantOwned):
    """A bearer token of the JSON API.

    It acts either as one user (with that user's rights, exactly as in the browser) or as an app: a
    service principal holding one built-in role. Only a SHA-256 digest of the secret is stored; the
    secret itself is shown once, when the token is made.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=128, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters of the secret, to recognize a token in a list without revealing it.
    prefix = models.CharField(max_length=16)
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="api_tokens")
    service_principal = models.ForeignKey(
        ServicePrincipal, on_delete=models.CASCADE, null=True, blank=True, related_name="api_tokens"
    )
    # A built-in role's key (portal.roles.BUILTIN_ROLES): app tokens only.
    role = models.CharField(max_length=64, blank=True)
    created_date_time = models.DateTimeField(default=timezone.now)
    last_used_date_time = models.DateTimeField(null=True, blank=True)
    revoked_date_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_date_time"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(service_principal__isnull=True) & Q(role=""))
                | (Q(user__isnull=True) & Q(service_principal__isnull=False) & ~Q(role="")),
                name="api_token_user_or_app_with_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_date_time is not None


class ProvisioningOperation(TenantOwned):
    """One SCIM request of a provisioning app and its result: what the Provisioning section lists
    (the changes themselves are audit events; this also keeps lookups and refusals)."""

    id = models.BigAutoField(primary_key=True)
    service_principal = models.ForeignKey(
        ServicePrincipal, on_delete=models.CASCADE, related_name="provisioning_operations"
    )
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=256)
    status = models.PositiveSmallIntegerField()
    # The resource the request named or made (a user's or group's id), and the SCIM error's scimType/detail.
    resource_id = models.CharField(max_length=64, blank=True)
    scim_type = models.CharField(max_length=32, blank=True)
    detail = models.CharField(max_length=512, blank=True)
    date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date_time", "-id"]
        indexes = [models.Index(fields=["tenant", "-date_time"], name="provisioning_op_recent")]

    @property
    def succeeded(self) -> bool:
        return self.status < 400
