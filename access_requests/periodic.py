"""Periodic work on join requests (see portal.site.periodic)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from access_requests.models import JoinRequest, RequestStatus
from access_requests.notifications import notify_requester
from portal.audit import audit_record
from portal.models import TenantGroupSettings
from portal.services import SYSTEM


def expire_requests(*, now: datetime) -> int:
    """Expire pending requests older than their tenant's request_expiry_days; tell each requester."""
    count = 0
    for settings in TenantGroupSettings.objects.select_related("tenant"):
        cutoff = now - timedelta(days=settings.request_expiry_days)
        stale = JoinRequest.objects.for_tenant(settings.tenant).filter(
            status=RequestStatus.PENDING, created_date_time__lte=cutoff
        )
        for request in stale.select_related("group", "requester").iterator():
            with transaction.atomic():
                updated = JoinRequest.objects.filter(pk=request.pk, status=RequestStatus.PENDING).update(
                    status=RequestStatus.EXPIRED,
                    decided_date_time=now,
                    reason=f"No decision within {settings.request_expiry_days} days",
                )
                if not updated:
                    continue  # decided meanwhile
                request.status = RequestStatus.EXPIRED
                audit_record(
                    tenant=settings.tenant,
                    actor=SYSTEM,
                    activity="Expire join request",
                    target=request.group,
                    after={"requester": request.requester.user_principal_name, "request": str(request.id)},
                    reason=f"No decision within {settings.request_expiry_days} days",
                )
                transaction.on_commit(lambda r=request: notify_requester(r), robust=True)
                count += 1
    return count
