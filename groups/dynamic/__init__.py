"""Dynamic membership: the rule services (groups.dynamic.services) and what runs a rule against the
database. The rule language itself is groups.rules (pure: no Django)."""

from __future__ import annotations

from groups.dynamic.compiler import queryset_for, to_q
from groups.dynamic.objects import MAX_CASCADE_PASSES, on_membership_written, reevaluate
from groups.dynamic.services import (
    AUDIT_NAMES_LIMIT,
    BATCH,
    RULE_ACTOR,
    Preview,
    RecomputeResult,
    RuleError,
    group_rule_processing_set,
    group_rule_update,
    on_group_created,
    preview,
    recompute_group,
    rule_hold_cancel,
    rule_hold_confirm,
    schedule_recompute,
    validate_rule,
)
from groups.dynamic.subjects import subject_for

__all__ = [
    "AUDIT_NAMES_LIMIT",
    "BATCH",
    "MAX_CASCADE_PASSES",
    "RULE_ACTOR",
    "Preview",
    "RecomputeResult",
    "RuleError",
    "group_rule_processing_set",
    "group_rule_update",
    "on_group_created",
    "on_membership_written",
    "preview",
    "recompute_group",
    "reevaluate",
    "rule_hold_cancel",
    "rule_hold_confirm",
    "schedule_recompute",
    "queryset_for",
    "subject_for",
    "to_q",
    "validate_rule",
]
