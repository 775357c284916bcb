"""Tenants: creation with default group settings."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from portal.audit import audit_record
from portal.errors import Invalid
from portal.models import (
    Plan,
    Tenant,
    TenantGroupSettings,
)

SYSTEM = "Groupdesk"  # the actor name of changes made by commands and periodic work


@transaction.atomic
def tenant_create(*, slug: str, name: str, plan: str = Plan.FREE, domains: Iterable[str] = ()) -> Tenant:
    if plan not in Plan.values:
        raise Invalid(f"plan must be one of {', '.join(Plan.values)}")
    tenant = Tenant.objects.create(
        slug=slug, name=name, plan=plan, verified_domains=list(domains) or [f"{slug}.test"]
    )
    TenantGroupSettings.objects.create(tenant=tenant)
    audit_record(
        tenant=tenant,
        actor=SYSTEM,
        activity="Create tenant",
        target=tenant,
        after={"name": name, "plan": plan},
        category="Tenant",
    )
    return tenant
