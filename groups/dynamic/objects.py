"""Dynamic membership one object at a time: a user's or device's attributes or memberships changed.

``reevaluate`` runs, in the caller's transaction, only the rules whose answer can change: those that
read a changed property (and those that read the clock), then the ``memberOf`` rules that look at a
group the object just joined or left, until nothing more changes. The tenant's rules come compiled
and indexed from this process's cache (groups.dynamic.cache). Every other rule reads nothing that
changed, so the object's membership of its group, kept right by the earlier changes, stays right.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db import connection
from django.db.models import UUIDField

from groups.dynamic.cache import IndexedRule, RuleIndex, rules_for
from groups.dynamic.recompute import schedule_recompute
from groups.dynamic.subjects import load, subject_for
from groups.models import Group
from groups.rules.evaluator import Subject
from groups.services import membership
from portal.models import Device, Tenant, User

RULE_ACTOR = membership.RULE_ACTOR
MAX_CASCADE_PASSES = 5  # memberOf rules read memberships, which the rules themselves change
REEVALUATE_LIMIT = 1000  # members changed at once above which memberOf dependents are recomputed whole


def reevaluate(
    *,
    tenant: Tenant,
    objects: Iterable[User | Device],
    actor: Any = RULE_ACTOR,
    changed: Iterable[str] | None = None,
    groups: Iterable[Any] = (),
) -> dict:
    """Bring the dynamic memberships of ``objects`` (all users, or all devices) up to date.

    ``changed``: the Graph names of the properties that changed (None: unknown, every rule runs);
    ``groups``: ids of groups the objects just joined or left (the ``memberOf`` rules naming them run).
    A deleted user leaves every dynamic group. Returns {"added": n, "removed": n}.
    """
    objects = list(objects)
    totals = {"added": 0, "removed": 0}
    if not objects:
        return totals
    kind = "device" if isinstance(objects[0], Device) else "user"
    member_of, token, licensed = _memberships_and_token(tenant, objects[0])
    index = rules_for(tenant, token=token).of(kind)
    changed = None if changed is None else set(changed)
    named = index.naming(groups)
    deleted = [kind == "user" and obj.deleted_date_time is not None for obj in objects]
    if not index.rules or not (index.reads_any(changed) or named or any(deleted)):
        return totals
    changes = []
    for n, (obj, gone) in enumerate(zip(objects, deleted, strict=True)):
        subject = subject_for(obj, collections=False, plans=False, member_of=None if n else member_of)
        before = subject.member_of & index.group_ids
        wanted = set() if gone else _wanted(index, changed, named, subject, before)
        changes.append((obj, wanted - before, before - wanted))
        totals["added"] += len(wanted - before)
        totals["removed"] += len(before - wanted)
    membership.rule_object_apply(tenant=tenant, changes=changes, groups=_RuleGroups(index), licensed=licensed)
    return totals


# The object's memberships, the tenant's rule token and whether the tenant has group licences: one
# statement, written out (building it with the ORM cost more than running it), one row at least.
_STATE_SQL = """
SELECT NULL, v.token, EXISTS (
    SELECT 1 FROM groups_grouplicense AS gl JOIN groups_group AS g ON g.id = gl.group_id
    WHERE g.tenant_id = %s
) FROM groups_ruleversion AS v WHERE v.tenant_id = %s
UNION ALL
SELECT m.group_id, NULL, NULL FROM groups_membership AS m WHERE m.{column} = %s
"""
_UUID = UUIDField()


def _memberships_and_token(tenant: Tenant, obj: Any) -> tuple[set, str | None, bool | None]:
    """The object's group ids, the tenant's rule token (None: no dynamic rule yet) and whether it has
    group licences (for the writer's consequences; None: unknown), in one query."""
    column = "member_device_id" if isinstance(obj, Device) else "member_user_id"
    tenant_id = _UUID.get_db_prep_value(tenant.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            _STATE_SQL.format(column=column),
            [tenant_id, tenant_id, _UUID.get_db_prep_value(obj.pk, connection)],
        )
        rows = cursor.fetchall()
    token, licensed = next(((t, bool(lic)) for g, t, lic in rows if g is None), (None, None))
    return {_UUID.to_python(g) for g, _, _ in rows if g is not None}, token, licensed


def _wanted(index: RuleIndex, changed: set | None, named: list, subject: Subject, before: set) -> set:
    """The dynamic groups the subject belongs in now: evaluate the rules that may have changed their
    answer, reading the collections and plans only if one of them (or a memberOf rule) needs them."""
    first = {r.group_id: r for r in index.reading(changed, subject.obj, before)}
    first.update((r.group_id, r) for r in named)
    if not first:
        return before
    reach = [*first.values(), *index.member_of]
    load(
        subject,
        collections=any(r.uses_collections for r in reach),
        plans=any(r.uses_plans for r in reach),
    )
    return _settle(index, list(first.values()), subject, before)


def _settle(index: RuleIndex, rules: list[IndexedRule], subject: Subject, before: set) -> set:
    """The dynamic groups the subject belongs in: evaluate ``rules``, then the memberOf rules that look
    at a group whose answer flipped, pass after pass, until nothing flips."""
    others = subject.member_of - index.group_ids
    current = set(before)
    for _ in range(1 + MAX_CASCADE_PASSES):
        if not rules:
            break
        subject.member_of = others | current
        flipped = {r.group_id for r in rules if r.predicate(subject) != (r.group_id in current)}
        current ^= flipped
        rules = index.naming(flipped)
    return current


class _RuleGroups(Mapping):
    """The index's groups as the writer names them in audit events, each built when asked for: on
    PostgreSQL the writer reads names and rules from the group rows it updates and asks for none."""

    def __init__(self, index: RuleIndex) -> None:
        self.by_id = index.by_id

    def __getitem__(self, group_id: Any) -> membership.RuleGroup:
        rule = self.by_id[group_id]
        return membership.RuleGroup(rule.group_id, rule.name, rule.rule_text)

    def __iter__(self) -> Iterator:
        return iter(self.by_id)

    def __len__(self) -> int:
        return len(self.by_id)


def on_membership_written(change: membership.Change) -> None:
    """The writer's reaction (registered in ``GroupsConfig.ready``): dynamic groups whose memberOf rule
    looks at a changed group follow in the same transaction. Per object for a few members; a recompute
    of each such group after a rule recompute or a big bulk change. Per-object rule writes settled their
    memberOf rules already."""
    if change.by_rule and change.members:
        return
    rules = rules_for(change.tenant)
    dependents = {r.group_id for kind in ("user", "device") for r in rules.of(kind).naming(change.group_ids)}
    if not dependents - set(change.group_ids):
        return
    objects = [m for m in change.members if isinstance(m, User | Device)]
    if change.by_rule or len(objects) > REEVALUATE_LIMIT:
        for group in Group.objects.filter(pk__in=dependents - set(change.group_ids)):
            schedule_recompute(group)
        return
    for kind in (User, Device):
        reevaluate(
            tenant=change.tenant,
            objects=[m for m in objects if isinstance(m, kind)],
            changed=(),
            groups=change.group_ids,
        )
