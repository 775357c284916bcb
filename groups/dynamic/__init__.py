"""Dynamic membership: the rule services (groups.dynamic.services) and what runs a rule against the
database. The rule language itself is groups.rules (pure: no Django)."""

from __future__ import annotations

from groups.dynamic.compiler import queryset_for, to_q
from groups.dynamic.disclosure import refuse_unreadable_groups
from groups.dynamic.errors import RuleError, RuleReadRefused
from groups.dynamic.objects import MAX_CASCADE_PASSES, on_membership_written, reevaluate
from groups.dynamic.recompute import (
    AUDIT_NAMES_LIMIT,
    BATCH,
    RecomputeResult,
    recompute_group,
    schedule_recompute,
)
from groups.dynamic.services import (
    RULE_ACTOR,
    Preview,
    group_rule_processing_set,
    group_rule_update,
    on_group_created,
    preview,
    rule_hold_cancel,
    rule_hold_confirm,
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
    "RuleReadRefused",
    "group_rule_processing_set",
    "group_rule_update",
    "on_group_created",
    "on_membership_written",
    "preview",
    "recompute_group",
    "refuse_unreadable_groups",
    "reevaluate",
    "rule_hold_cancel",
    "rule_hold_confirm",
    "schedule_recompute",
    "queryset_for",
    "subject_for",
    "to_q",
    "validate_rule",
]
