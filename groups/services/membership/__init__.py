"""The one writer of memberships and ownerships.

Every insert and delete of a ``Membership`` or an ``Ownership`` happens in this package, for every path
into or out of a group: the member pages, the JSON API, join, leave, approve, bulk CSV add and remove,
dynamic rule recomputation and attribute re-evaluation, a leaver's offboarding and restore. Each write
runs the same steps, in the caller's transaction:

1. authorization by ``portal.authz.authorize`` with the right the path needs (``members/update``,
   ``join``, ``leave``, ``requests/decide``, ``owners/update``), which applies privilege dominance to
   everything that changes who is in a group. Two writers act as the system instead: the dynamic rule
   (``RULE_ACTOR``: its rule was authorized when saved) and a leaver's offboarding (authorized as the
   change to the user: leaving takes rights away, never gives them);
2. the write, with the model invariants the database can't express (``check_member_allowed``);
3. the consequences (``consequences._after``): stored member counts, group-based licences, the registered reactions (the dynamic groups
   whose ``memberOf`` rule names a changed group, registered by ``groups.dynamic``, which itself writes
   through here), and forgetting the cached grants of the users whose memberships changed;
4. one audit event per membership or ownership changed (a rule recomputation writes one per committed
   batch, listing what that batch changed).

The rule's writes (a recomputation in batches, the per-object re-evaluation) are in ``rules``.

``load_memberships`` and ``clear_memberships`` load the demo's and the benchmark's data: nothing to
authorize or audit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from groups.models import (
    MAX_OWNERS,
    Group,
    Membership,
    MembershipSource,
    Ownership,
)
from groups.services.errors import ServiceError
from groups.services.invariants import check_member_allowed, member_field, member_kind, name_of
from groups.services.member_counts import recount
from groups.services.membership.consequences import Change, _after, register_reaction
from groups.services.membership.rules import RECOMPUTE, rule_members_apply, rule_object_apply
from groups.services.rule_events import ADD, REMOVE, RULE_ACTOR, RuleGroup
from portal.audit import audit_record
from portal.authz import acting_user, authorize, decide, forget, group_settings_for
from portal.errors import Conflict, Invalid, NotFound, Refused
from portal.models import Tenant, User
from portal.refusals import record_refusal

__all__ = [
    "RECOMPUTE",
    "RULE_ACTOR",
    "Change",
    "RuleGroup",
    "Tenant",
    "register_reaction",
    "rule_members_apply",
    "rule_object_apply",
]

ADD_OWNER = "Add owner to group"
REMOVE_OWNER = "Remove owner from group"
DYNAMIC_REFUSAL = "Membership of a dynamic group is set by its rule."


def _authorize(actor: Any, right: str | None, group: Group, member: Any = None) -> None:
    if actor == RULE_ACTOR or right is None:
        return
    authorize(actor, right, group, member=member)
    # Whoever reads this group's transitive members would see the nested group's: the actor must too.
    if isinstance(member, Group) and not (seen := decide(actor, "members/read", member)):
        reason = f"You can't nest “{member.display_name}”: you can't read its members. {seen.reason}"
        record_refusal(actor=actor, action=right, target=group, member=member, reason=reason)
        raise PermissionDenied(reason)


# --- one member at a time ----------------------------------------------------------------------------


def member_add(
    *,
    actor: Any,
    group: Group,
    member: Any,
    source: str = MembershipSource.DIRECT,
    right: str = "members/update",
    activity: str = ADD,
    reason: str = "",
    details: dict | None = None,
) -> Membership:
    """Put ``member`` in ``group``. ``details`` adds to (or replaces keys of) the audit event's ``after``."""
    _authorize(actor, right, group, member)
    if group.is_dynamic and actor != RULE_ACTOR:
        raise Invalid(DYNAMIC_REFUSAL)
    check_member_allowed(group, member)
    field = member_field(member)
    already = Conflict(f"{member.display_name} is already a member of {group.display_name}.")
    if Membership.objects.filter(group=group, **{field: member}).exists():
        raise already
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                group=group, source=source, added_by=acting_user(actor), **{field: member}
            )
    except IntegrityError:  # added by someone else at the same moment
        raise already from None
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity=activity,
        target=group,
        after={
            "member": name_of(member),
            "memberId": str(member.pk),
            "memberType": member_kind(member),
            "source": source,
        }
        | (details or {}),
        reason=reason,
    )
    _after(Change(group.tenant, frozenset([group.pk]), (member,)))
    return membership


def member_remove(
    *,
    actor: Any,
    group: Group,
    member: Any,
    right: str = "members/update",
    activity: str = REMOVE,
    reason: str = "",
    details: dict | None = None,
) -> None:
    """Take ``member`` out of ``group`` (a direct membership)."""
    _authorize(actor, right, group)
    if group.is_dynamic and actor != RULE_ACTOR:
        raise Invalid(DYNAMIC_REFUSAL)
    deleted, _ = Membership.objects.filter(group=group, **{member_field(member): member}).delete()
    if not deleted:
        raise NotFound(f"{member.display_name} is not a direct member of {group.display_name}.")
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity=activity,
        target=group,
        before={"member": name_of(member), "memberId": str(member.pk)} | (details or {}),
        reason=reason,
    )
    _after(Change(group.tenant, frozenset([group.pk]), (member,)))


# --- many members of one group (bulk add and remove) -----------------------------------------------------------


@dataclass
class ManyAdded:
    added: list[User] = field(default_factory=list)
    refused: list[tuple[User, str]] = field(default_factory=list)


def members_add_many(*, actor: User, group: Group, users: list[User], reason: str = "") -> ManyAdded:
    """Add many users to one group in batched inserts: one authorization per kind of member (a guest is
    decided apart: the tenant may not let owners add guests), one audit event per member added, the
    consequences once. Users already in the group, or refused, are reported, not raised."""
    _authorize(actor, "members/update", group)
    if group.is_dynamic:
        raise Invalid(DYNAMIC_REFUSAL)
    outcome = ManyAdded()
    first_guest = next((u for u in users if u.is_guest), None)
    guest_decision = decide(actor, "members/update", group, member=first_guest) if first_guest else None
    allowed = []
    for user in users:
        if user.is_guest and guest_decision is not None and not guest_decision.allowed:
            outcome.refused.append((user, guest_decision.reason))
            continue
        try:
            check_member_allowed(group, user)
        except ServiceError as exc:
            outcome.refused.append((user, str(exc)))
            continue
        allowed.append(user)
    for start in range(0, len(allowed), 500):
        outcome.added += _insert_batch(group, allowed[start : start + 500], actor=actor, outcome=outcome)
    after = {"memberType": "user", "source": MembershipSource.DIRECT}
    for user in outcome.added:
        audit_record(
            tenant=group.tenant,
            actor=actor,
            activity=ADD,
            target=group,
            after={"member": user.user_principal_name, "memberId": str(user.pk), **after},
            reason=reason,
        )
    _after(Change(group.tenant, frozenset([group.pk] if outcome.added else []), tuple(outcome.added)))
    return outcome


def _insert_batch(group: Group, batch: list[User], *, actor: User, outcome: ManyAdded) -> list[User]:
    def row(user: User) -> Membership:
        return Membership(
            group=group, member_user=user, source=MembershipSource.DIRECT, added_by=acting_user(actor)
        )

    try:
        with transaction.atomic():
            Membership.objects.bulk_create([row(user) for user in batch])
        return batch
    except IntegrityError:
        pass  # someone added one of them meanwhile: go row by row to know which
    added = []
    for user in batch:
        try:
            with transaction.atomic():
                row(user).save()
            added.append(user)
        except IntegrityError:
            outcome.refused.append((user, "already a member"))
    return added


def members_remove_many(
    *, actor: User, group: Group, memberships: list[Membership], reason: str = ""
) -> list[Membership]:
    """Take many direct members out of one group (bulk remove): one authorization, one DELETE, one audit
    event per member removed, the consequences once. Returns the memberships removed: one that someone
    removed meanwhile, or of another group, is left out."""
    _authorize(actor, "members/update", group)
    if group.is_dynamic:
        raise Invalid(DYNAMIC_REFUSAL)
    wanted = Membership.objects.filter(group=group, pk__in=[m.pk for m in memberships])
    present = set(wanted.select_for_update().values_list("pk", flat=True))
    wanted.filter(pk__in=present).delete()
    removed = [m for m in memberships if m.pk in present]
    for m in removed:
        before = {"member": name_of(m.member), "memberId": str(m.member.pk), "memberType": m.member_kind}
        audit_record(
            tenant=group.tenant, actor=actor, activity=REMOVE, target=group, before=before, reason=reason
        )
    members = tuple(m.member for m in removed)
    _after(Change(group.tenant, frozenset([group.pk] if removed else []), members))
    return removed


# --- a leaver ------------------------------------------------------------------------------------------


def memberships_remove_all(
    *, actor: Any, user: User, reason: str, keep_rule: bool = False
) -> list[Membership]:
    """Take a leaver out of every group (but the dynamic ones, with ``keep_rule``). Authorized as the
    change to the user that makes them a leaver. Returns the memberships removed, groups loaded."""
    memberships = Membership.objects.filter(member_user=user).select_related("group")
    if keep_rule:
        memberships = memberships.exclude(source=MembershipSource.RULE)
    memberships = list(memberships)
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).delete()
    before = {"member": user.user_principal_name, "memberId": str(user.pk)}
    for m in memberships:
        audit_record(
            tenant=user.tenant, actor=actor, activity=REMOVE, target=m.group, before=before, reason=reason
        )
    _after(Change(user.tenant, frozenset(m.group_id for m in memberships), (user,)))
    return memberships


def ownerships_remove_all(*, actor: Any, user: User, reason: str) -> list[Ownership]:
    ownerships = list(Ownership.objects.filter(user=user).select_related("group"))
    Ownership.objects.filter(pk__in=[o.pk for o in ownerships]).delete()
    before = {"owner": user.user_principal_name}
    for o in ownerships:
        audit_record(
            tenant=user.tenant,
            actor=actor,
            activity=REMOVE_OWNER,
            target=o.group,
            before=before,
            reason=reason,
        )
    forget(user)
    return ownerships


# --- owners ------------------------------------------------------------------------------------------


def owner_add(*, actor: Any, group: Group, user: User, right: str | None = "owners/update") -> Ownership:
    _authorize(actor, right, group)
    if user.tenant_id != group.tenant_id:
        raise NotFound("That user belongs to another organization.")
    if user.is_guest and not group_settings_for(group.tenant).allow_guests_to_be_group_owner:
        raise Refused("Guests can't be group owners in this organization.")
    if Ownership.objects.filter(group=group, user=user).exists():
        raise Conflict(f"{user.display_name} already owns {group.display_name}.")
    if Ownership.objects.filter(group=group).count() >= MAX_OWNERS:
        raise Invalid(f"A group can have at most {MAX_OWNERS} owners.")
    ownership = Ownership.objects.create(group=group, user=user, added_by=acting_user(actor))
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity=ADD_OWNER,
        target=group,
        after={"owner": user.user_principal_name},
    )
    forget(user)
    return ownership


LAST_OWNER = "The group must have at least one owner, hence this owner cannot be removed."


def owner_remove(*, actor: Any, group: Group, user: User) -> None:
    """One owner less; never the last (Graph's rule: offboarding, ``ownerships_remove_all``, may)."""
    _authorize(actor, "owners/update", group)
    # The group's ownerships locked: two removals at once can't each leave the other as the last.
    owners = set(Ownership.objects.select_for_update().filter(group=group).values_list("user_id", flat=True))
    if user.pk not in owners:
        raise NotFound(f"{user.display_name} doesn't own {group.display_name}.")
    if owners == {user.pk}:
        raise Invalid(LAST_OWNER)
    Ownership.objects.filter(group=group, user=user).delete()
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity=REMOVE_OWNER,
        target=group,
        before={"owner": user.user_principal_name},
    )
    forget(user)


# --- demo and benchmark data -------------------------------------------------------------------------


def load_memberships(rows: Iterable[Membership], *, batch_size: int = 5000) -> None:
    """Bulk-load memberships built by a seed or a benchmark (existing ones are kept)."""
    rows = list(rows)
    Membership.objects.bulk_create(rows, batch_size=batch_size, ignore_conflicts=True)
    recount({row.group_id for row in rows})


def load_rule_memberships(group: Group, users: QuerySet) -> None:
    """Bulk-load a seeded dynamic group's members straight from its rule's query of users: one
    INSERT ... SELECT in the database (the seed's 1,000 rules in seconds rather than minutes). (The
    ``WHERE`` is also what lets SQLite parse ``ON CONFLICT`` after a ``SELECT``.)"""
    select, params = users.order_by().values("pk").query.get_compiler(connection=connection).as_sql()
    sql = (
        "INSERT INTO groups_membership (group_id, member_user_id, source, created_date_time) "
        f"SELECT %s, chosen.id, %s, %s FROM {User._meta.db_table} chosen WHERE chosen.id IN ({select}) "
        "ON CONFLICT DO NOTHING"
    )
    group_id = Group._meta.pk.get_db_prep_value(group.pk, connection)
    now = Membership._meta.get_field("created_date_time").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [group_id, MembershipSource.RULE, now, *params])
    recount([group.pk])


def load_ownerships(rows: Iterable[Ownership], *, batch_size: int = 5000) -> None:
    Ownership.objects.bulk_create(list(rows), batch_size=batch_size, ignore_conflicts=True)


def group_leaves_all(group: Group) -> None:
    """A group deleted for good leaves the groups it was in (their stored counts drop with it); called
    just before the delete, which would otherwise cascade behind the counts' back."""
    parents = set(Membership.objects.filter(member_group=group).values_list("group_id", flat=True))
    Membership.objects.filter(member_group=group).delete()
    recount(parents)


def clear_memberships(group: Group) -> None:
    """Empty a benchmark's group."""
    Membership.objects.filter(group=group).delete()
    recount([group.pk])
