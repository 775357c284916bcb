"""What the dynamic-membership writes of ``groups/services/membership/`` record: the rule actor, the
activities, and one audit event per membership a rule adds or removes (built without saving on the ORM
path; ``rule_sql`` writes the same fields in SQL on PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from groups.models import MembershipSource
from groups.services.invariants import member_kind, name_of
from portal.audit import current_request_id
from portal.models import AuditEvent, Tenant

RULE_ACTOR = "Dynamic membership rule"
ADD = "Add member to group"
REMOVE = "Remove member from group"


@dataclass(frozen=True)
class RuleGroup:
    """A dynamic group as the per-object re-evaluation names it in audit events."""

    group_id: Any
    name: str
    rule_text: str


def rule_reason(group: RuleGroup) -> str:
    return f"Dynamic membership rule of “{group.name}”: {group.rule_text}"


def rule_event(tenant: Tenant, group: RuleGroup, member: Any, *, added: bool) -> AuditEvent:
    change = {"member": name_of(member), "memberId": str(member.pk), "memberType": member_kind(member)}
    return AuditEvent(
        tenant=tenant,
        activity=ADD if added else REMOVE,
        category="GroupManagement",
        actor_type="system",
        actor_name=RULE_ACTOR,
        target_id=str(group.group_id),
        target_type="group",
        target_name=group.name,
        before=None if added else change,
        after={**change, "source": MembershipSource.RULE} if added else None,
        reason=rule_reason(group),
        request_id=current_request_id.get() or "",
    )
