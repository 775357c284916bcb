"""Writing the audit log. Call ``audit_record`` inside the transaction of the change it records."""

from __future__ import annotations

import contextvars
import uuid
from typing import Any

from portal.models import AuditEvent, Tenant

# Set per HTTP request by portal.middleware; commands and tasks leave it empty.
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("groupdesk_request_id", default="")


def describe(obj: Any) -> tuple[str, str, str]:
    """(id, type, name) of an actor or target, kept as text so no deletion cascades into the log."""
    if obj is None:
        return "", "", ""
    if isinstance(obj, str):
        return "", "system", obj
    type_name = type(obj).__name__
    type_name = type_name[0].lower() + type_name[1:]
    name = getattr(obj, "user_principal_name", None) or getattr(obj, "display_name", None) or str(obj)
    return str(obj.pk), type_name, name


def audit_record(
    *,
    tenant: Tenant,
    actor: Any,
    activity: str,
    target: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    result: str = AuditEvent.Result.SUCCESS,
    category: str = "GroupManagement",
) -> AuditEvent:
    actor_id, actor_type, actor_name = describe(actor)
    target_id, target_type, target_name = describe(target)
    return AuditEvent.objects.create(
        tenant=tenant,
        activity=activity,
        category=category,
        result=result,
        actor_id=actor_id,
        actor_type=actor_type,
        actor_name=actor_name,
        target_id=target_id,
        target_type=target_type,
        target_name=target_name,
        before=before,
        after=after,
        reason=reason,
        request_id=current_request_id.get() or "",
    )


def new_request_id() -> str:
    return uuid.uuid4().hex
