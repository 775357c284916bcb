"""Dynamic membership processing: rule changes, the per-object path, the failsafe.

Two paths keep a dynamic group's members equal to what its rule selects:

* ``recompute_group`` (groups.dynamic.recompute) evaluates the whole rule in the database and applies
  the difference in batches. It runs as background work after a rule save, a dynamic group's creation,
  a resume, or a change in a group that a memberOf rule names.
* ``reevaluate`` takes users or devices whose attributes just changed and, in the caller's transaction,
  runs the tenant's compiled Python predicates (cached per process by rule text) against each of them,
  then adds and removes the differences: milliseconds per object, even with a thousand dynamic groups.

Memberships written here have source "rule" and are audited with the rule as the actor.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from groups.dynamic.compiler import queryset_for
from groups.dynamic.disclosure import refuse_unreadable_groups
from groups.dynamic.errors import RuleError
from groups.dynamic.recompute import kind_field, schedule_recompute
from groups.dynamic.subjects import subject_for
from groups.models import (
    Group,
    GroupKind,
    Membership,
    MembershipType,
    ProcessingState,
    ProcessingStatus,
    RuleChangeHold,
)
from groups.rules import RuleSyntaxError, parse
from groups.rules.ast import Rule
from groups.rules.evaluator import compiled
from groups.services import membership
from portal.audit import audit_record
from portal.authz import authorize, group_settings_for
from portal.errors import Conflict, Refused
from portal.models import Device, Tenant, User

RULE_ACTOR = membership.RULE_ACTOR
MAX_CASCADE_PASSES = 5
REEVALUATE_LIMIT = 1000  # members changed at once above which memberOf dependents are recomputed whole


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
        status=RuleChangeHold.Status.CANCELLED, decided_by=actor, decided_date_time=timezone.now()
    )
    if removals is not None:
        members = Membership.objects.filter(group=group).count()
        hold = RuleChangeHold.objects.create(
            group=group,
            membership_rule=rule,
            previous_rule=group.membership_rule,
            removals=removals,
            member_count=members,
            requested_by=actor,
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
    hold.decided_by = actor
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
    hold.decided_by = actor
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


def _member_of_dependents(tenant: Tenant, group_ids: set) -> list[Group]:
    candidates = (
        Group.objects.for_tenant(tenant)
        .alive()
        .filter(membership_type=MembershipType.DYNAMIC, membership_rule__icontains="memberof")
        .exclude(membership_rule_processing_state=ProcessingState.PAUSED)
    )
    found = []
    for other in candidates:
        try:
            rule = parse(other.membership_rule)
        except RuleSyntaxError:
            continue
        if rule.member_of_group_ids() & set(group_ids) and other.pk not in group_ids:
            found.append(other)
    return found


# --- one object at a time -----------------------------------------------------------------------------


@dataclass
class _Compiled:
    group_id: uuid.UUID
    name: str
    rule_text: str
    predicate: Any
    uses_member_of: bool
    uses_collections: bool
    uses_plans: bool


def _tenant_rules(tenant: Tenant, kind: str) -> list[_Compiled]:
    rows = (
        Group.objects.for_tenant(tenant)
        .alive()
        .filter(membership_type=MembershipType.DYNAMIC, membership_rule_processing_state=ProcessingState.ON)
        .exclude(processing_status=ProcessingStatus.HELD)
        .values_list("pk", "display_name", "membership_rule")
    )
    result = []
    for pk, name, text in rows:
        try:
            c = compiled(text)
        except RuleSyntaxError:
            continue  # a broken stored rule selects nobody new; its page shows the error
        if c.rule.kind == kind:
            result.append(
                _Compiled(pk, name, text, c.predicate, c.uses_member_of, c.uses_collections, c.uses_plans)
            )
    return result


def reevaluate(*, tenant: Tenant, objects: Iterable[User | Device], actor: Any = RULE_ACTOR) -> dict:
    """Re-run every dynamic rule of the tenant against each object; add and remove the differences.

    Runs in the caller's transaction. Returns {"added": n, "removed": n}.
    """
    objects = list(objects)
    totals = {"added": 0, "removed": 0}
    if not objects:
        return totals
    kind = "device" if isinstance(objects[0], Device) else "user"
    rules = _tenant_rules(tenant, kind)
    if not rules:
        return totals
    dynamic_ids = {r.group_id for r in rules}
    plain = [r for r in rules if not r.uses_member_of]
    member_of = [r for r in rules if r.uses_member_of]
    needs_collections = any(r.uses_collections for r in rules)
    needs_plans = any(r.uses_plans for r in rules)
    changes = []
    for obj in objects:
        deleted = kind == "user" and obj.deleted_date_time is not None
        subject = subject_for(obj, collections=needs_collections, plans=needs_plans)
        others = subject.member_of - dynamic_ids
        before = subject.member_of & dynamic_ids
        # A deleted user leaves every dynamic group (restoring them brings them back).
        from_attributes = set() if deleted else {r.group_id for r in plain if r.predicate(subject)}
        wanted = set(from_attributes)
        # memberOf rules read memberships, which the rules themselves change: settle in a few passes.
        for _ in range(MAX_CASCADE_PASSES if member_of and not deleted else 0):
            subject.member_of = others | wanted
            settled = from_attributes | {r.group_id for r in member_of if r.predicate(subject)}
            if settled == wanted:
                break
            wanted = settled
        changes.append((obj, wanted - before, before - wanted))
        totals["added"] += len(wanted - before)
        totals["removed"] += len(before - wanted)
    membership.rule_object_apply(
        tenant=tenant,
        changes=changes,
        groups={r.group_id: membership.RuleGroup(r.group_id, r.name, r.rule_text) for r in rules},
    )
    return totals


def on_membership_written(change: membership.Change) -> None:
    """The writer's reaction (registered in ``GroupsConfig.ready``): dynamic groups whose memberOf rule
    names a changed group follow in the same transaction. Per object for a few members; a recompute of
    each such group after a rule recompute or a big bulk change. Per-object rule writes settled their
    memberOf rules already."""
    if change.by_rule and change.members:
        return
    dependents = _member_of_dependents(change.tenant, set(change.group_ids))
    if not dependents:
        return
    objects = [m for m in change.members if isinstance(m, User | Device)]
    if change.by_rule or len(objects) > REEVALUATE_LIMIT:
        for group in dependents:
            schedule_recompute(group)
        return
    for kind in (User, Device):
        reevaluate(tenant=change.tenant, objects=[m for m in objects if isinstance(m, kind)])


def on_group_created(group: Group) -> None:
    if group.is_dynamic and group.membership_rule:
        schedule_recompute(group)
