"""Directory roles: a tenant's custom roles and the assignments of built-in or custom roles."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.models.directory import User
from portal.models.tenancy import TenantOwned


class CustomRole(TenantOwned):
    """A tenant's own role: a set of permissions from seed 003's catalog (P1 and up)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    display_name = models.CharField(max_length=256)
    description = models.TextField(blank=True)
    permissions = models.JSONField(default=list)
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "display_name"], name="custom_role_name_unique")
        ]

    def __str__(self) -> str:
        return self.display_name


class RoleAssignment(TenantOwned):
    """A directory role held by a user or a role-assignable group, at tenant scope or on one group."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # A built-in role's key (portal.roles.BUILTIN_ROLES), or blank when custom_role is set.
    builtin_role = models.CharField(max_length=64, blank=True)
    custom_role = models.ForeignKey(CustomRole, on_delete=models.CASCADE, null=True, blank=True)
    principal_user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="role_assignments"
    )
    principal_group = models.ForeignKey(
        "groups.Group", on_delete=models.CASCADE, null=True, blank=True, related_name="role_assignments"
    )
    # Null: the whole tenant ("/"); otherwise the one group it applies to.
    scope_group = models.ForeignKey(
        "groups.Group",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scoped_role_assignments",
    )
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(builtin_role="") & Q(custom_role__isnull=False))
                | (~Q(builtin_role="") & Q(custom_role__isnull=True)),
                name="role_assignment_one_role",
            ),
            models.CheckConstraint(
                condition=(Q(principal_user__isnull=False) & Q(principal_group__isnull=True))
                | (Q(principal_user__isnull=True) & Q(principal_group__isnull=False)),
                name="role_assignment_one_principal",
            ),
        ]
