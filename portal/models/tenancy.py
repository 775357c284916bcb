"""Tenants and the base of every tenant-owned model: ``for_tenant(tenant)`` is the one mechanism
through which views and services scope their reads."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant: Tenant | None) -> TenantQuerySet:
        if tenant is None:
            return self.none()
        return self.filter(tenant=tenant)


class TenantOwned(models.Model):
    """Base of every model that belongs to one tenant."""

    tenant = models.ForeignKey("portal.Tenant", on_delete=models.CASCADE)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class Plan(models.TextChoices):
    FREE = "free", "Free"
    P1 = "p1", "Microsoft Entra ID P1"
    P2 = "p2", "Microsoft Entra ID P2"


class Tenant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=256)
    slug = models.SlugField(max_length=64, unique=True)
    verified_domains = models.JSONField(default=list, blank=True)
    plan = models.CharField(max_length=8, choices=Plan.choices, default=Plan.FREE)
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_premium(self) -> bool:
        """P1 and P2 unlock join requests, owner approval, dynamic groups and custom roles."""
        return self.plan in (Plan.P1, Plan.P2)

    @property
    def default_domain(self) -> str:
        return self.verified_domains[0] if self.verified_domains else f"{self.slug}.test"
