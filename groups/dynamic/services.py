"""Dynamic membership processing: rule changes, the per-object path, the failsafe.

Two paths keep a dynamic group's members equal to what its rule selects:

* ``recompute_group`` (groups.dynamic.recompute) evaluates the whole rule in the database and applies
  the difference in batches. It runs as background work after a rule save, a dynamic group's creation,
  a resume, or a change in a group that a memberOf rule names.
* ``reevaluate`` (groups.dynamic.objects) takes users or devices whose attributes just changed and, in
  the caller's transaction, runs only the rules that read what changed, compiled and indexed once per
  process (groups.dynamic.cache): milliseconds per object, even with 15,000 dynamic groups.

Memberships written here have source "rule" and are audited with the rule as the actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from groups.dynamic.compiler import queryset_for
from groups.dynamic.disclosure import refuse_unreadable_groups
from groups.dynamic.errors import RuleError
from groups.dynamic.recompute import kind_field, schedule_recompute
from groups.models import (
    Group,
    GroupKind,
    Membership,
    ProcessingState,
    ProcessingStatus,
    RuleChangeHold,
)
from groups.rules import RuleSyntaxError, parse
from groups.rules.ast import Rule
from groups.services import membership
from portal.audit import audit_record
from portal.authz import acting_user, authorize, group_settings_for
from portal.errors import Conflict, Refused
from portal.models import Device, Tenant, User

RULE_ACTOR = membership.RULE_ACTOR


def validate_rule(text: str, *, group_kind: str) -> Rule:
    """Parse ``text`` for a group of ``group_kind``; raise RuleError with the position on a bad rule."""
    try:
        rule = parse(text)
    except RuleSyntaxError as exc:
        raise RuleError(str(exc), exc.position) from None
    if rule.kind == "device" and group_kind != GroupKind.SECURITY:
        raise RuleError("Only security groups can hold devices: write a user.* rule for this group.", 0)
    return rule


def _name_of(obj: Any) -> str:
    return getattr(obj, "user_principal_name", None) or obj.display_name


# --- the rule tab's preview -----------------------------------------------------------------------


@dataclass
class Preview:
    rule: Rule
    match_count: int
    sample: list[Any]
    adds: list[Any]
    removes: list[Any]
    add_count: int
    remove_count: int


def preview(group: Group, rule: Rule, *, limit: int = 20) -> Preview:
    """What saving ``rule`` would do to ``group``: a constant number of queries at any size."""
    model = Device if rule.kind == "device" else User
    matching = queryset_for(rule, group.tenant)
    field = kind_field(rule.kind)
    current = Membership.objects.filter(group=group, **{f"{field}__isnull": False}).values(f"{field}_id")
    adds = matching.exclude(pk__in=current)
    removes = model.objects.filter(pk__in=current).exclude(pk__in=matching.values("pk"))
    order = "display_name"
    return Preview(
        rule=rule,
        match_count=matching.count(),
        sample=list(matching.order_by(order)[:limit]),
        adds=list(adds.order_by(order)[:limit]),
        removes=list(removes.order_by(order)[:limit]),
        add_count=adds.count(),
        remove_count=removes.count(),
    )


# --- services ----------------------------------------------------------------------------------------


@transaction.atomic
def group_rule_update(*, actor: User, group: Group, rule: str) -> RuleChangeHold | None:
    """Save a new rule and recompute the group; or, past the failsafe, hold the change for a second
    administrator (returns the hold)."""
    authorize(actor, "dynamicMembershipRule/update", group)
    if not group.is_dynamic:
        raise RuleError("This group's membership is assigned: it has no rule.")
    parsed = validate_rule(rule, group_kind=group.kind)
    refuse_unreadable_groups(actor, parsed, group.tenant, attempt=group)
    group = Group.objects.select_for_update().get(pk=group.pk)
    removals = _failsafe_removals(group, parsed)
    RuleChangeHold.objects.filter(group=group, status=RuleChangeHold.Status.PENDING).update(
        status=RuleChangeHold.Status.CANCELLED,
        decided_by=acting_user(actor),
        decided_date_time=timezone.now(),
    )
    if removals is not None:
        members = Membership.objects.filter(group=group).count()
        hold = RuleChangeHold.objects.create(
            group=group,
            membership_rule=rule,
            previous_rule=group.membership_rule,
            removals=removals,
            member_count=members,
            requested_by=acting_user(actor),
        )
        Group.objects.filter(pk=group.pk).update(processing_status=ProcessingStatus.HELD)
        audit_record(
            tenant=group.tenant,
            actor=actor,
            activity="Hold dynamic rule change",
            target=group,
            before={"membershipRule": group.membership_rule},
            after={"membershipRule": rule, "wouldRemove": len(removals), "members": members},
            reason=f"Failsafe: more than {_failsafe_percent(group.tenant)}% of members would leave",
        )
        return hold
    _save_rule(actor=actor, group=group, rule=rule)
    return None


def _save_rule(*, actor: User, group: Group, rule: str) -> None:
    before = group.membership_rule
    group.membership_rule = rule
    group.processing_status = ProcessingStatus.NOT_STARTED
    group.save(update_fields=["membership_rule", "processing_status"])
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity="Update dynamic membership rule",
        target=group,
        before={"membershipRule": before},
        after={"membershipRule": rule},
    )
    schedule_recompute(group)


def _failsafe_percent(tenant: Tenant) -> int:
    return group_settings_for(tenant).dynamic_failsafe_percent


def _failsafe_removals(group: Group, rule: Rule) -> list[dict] | None:
    """Who would leave, when that is more than the tenant's failsafe share of the members; else None."""
    field = kind_field(rule.kind)
    members = Membership.objects.filter(group=group)
    total = members.count()
    if not total:
        return None
    percent = _failsafe_percent(group.tenant)
    model = Device if rule.kind == "device" else User
    leaving = model.objects.filter(
        pk__in=members.filter(**{f"{field}__isnull": False}).values(f"{field}_id")
    ).exclude(pk__in=queryset_for(rule, group.tenant).values("pk"))
    # Members of the other kind (a user rule replacing a device rule) leave too.
    other = members.filter(**{f"{field}__isnull": True}).count()
    count = leaving.count() + other
    if count * 100 <= percent * total or count == 0:
        return None
    names = "user_principal_name" if model is User else "display_name"
    rows = [{"id": str(pk), "name": name} for pk, name in leaving.order_by(names).values_list("pk", names)]
    if other:
        for m in members.filter(**{f"{field}__isnull": True}).select_related("member_user", "member_device"):
            rows.append({"id": str(m.member.pk), "name": _name_of(m.member)})
    return rows


@transaction.atomic
def rule_hold_confirm(*, actor: User, hold: RuleChangeHold) -> None:
    hold = RuleChangeHold.objects.select_for_update().select_related("group__tenant").get(pk=hold.pk)
    group = hold.group
    authorize(actor, "dynamicMembershipRule/update", group)
    if not hold.is_pending:
        raise Conflict("This change has already been decided.")
    if hold.requested_by_id == actor.id:
        raise Refused("A second administrator must confirm this change: not the one who made it.")
    validate_rule(hold.membership_rule, group_kind=group.kind)
    hold.status = RuleChangeHold.Status.CONFIRMED
    hold.decided_by = acting_user(actor)
    hold.decided_date_time = timezone.now()
    hold.save(update_fields=["status", "decided_by", "decided_date_time"])
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity="Confirm dynamic rule change",
        target=group,
        after={"membershipRule": hold.membership_rule, "removals": len(hold.removals)},
    )
    _save_rule(actor=actor, group=group, rule=hold.membership_rule)


@transaction.atomic
def rule_hold_cancel(*, actor: User, hold: RuleChangeHold) -> None:
    hold = RuleChangeHold.objects.select_for_update().select_related("group__tenant").get(pk=hold.pk)
    authorize(actor, "dynamicMembershipRule/update", hold.group)
    if not hold.is_pending:
        raise Conflict("This change has already been decided.")
    hold.status = RuleChangeHold.Status.CANCELLED
    hold.decided_by = acting_user(actor)
    hold.decided_date_time = timezone.now()
    hold.save(update_fields=["status", "decided_by", "decided_date_time"])
    Group.objects.filter(pk=hold.group_id, processing_status=ProcessingStatus.HELD).update(
        processing_status=ProcessingStatus.SUCCEEDED
    )
    audit_record(
        tenant=hold.group.tenant,
        actor=actor,
        activity="Cancel dynamic rule change",
        target=hold.group,
        before={"membershipRule": hold.membership_rule},
    )


@transaction.atomic
def group_rule_processing_set(*, actor: User, group: Group, paused: bool) -> Group:
    """Pause (members stay as they are) or resume (the group is recomputed) rule processing."""
    authorize(actor, "dynamicMembershipRule/update", group)
    if not group.is_dynamic:
        raise RuleError("Only dynamic groups have rule processing.")
    state = ProcessingState.PAUSED if paused else ProcessingState.ON
    if group.membership_rule_processing_state == state:
        return group
    before = group.membership_rule_processing_state
    group.membership_rule_processing_state = state
    group.save(update_fields=["membership_rule_processing_state"])
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity="Pause dynamic membership processing" if paused else "Resume dynamic membership processing",
        target=group,
        before={"membershipRuleProcessingState": before},
        after={"membershipRuleProcessingState": state},
    )
    if not paused:
        schedule_recompute(group)
    return group


def on_group_created(group: Group) -> None:
    if group.is_dynamic and group.membership_rule:
        schedule_recompute(group)
