"""State changes of groups, memberships and ownerships.

Each function: authorize (portal.authz) → change → audit, in one transaction. Raise ``ServiceError``
for a refusal the user can fix (shown as a form error or a 4xx), ``PermissionDenied`` for a right the
actor lacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from groups import dynamic
from groups.licensing.services import licenses_after_membership_change
from groups.models import (
    MAX_OWNERS,
    CreatedIn,
    Group,
    GroupKind,
    JoinPolicy,
    Membership,
    MembershipSource,
    MembershipType,
    Ownership,
)
from groups.selectors import nesting_path
from portal.audit import audit_record
from portal.authz import GroupSpec, acting_user, authorize, forget
from portal.models import Device, ServicePrincipal, User


class ServiceError(Exception):
    """A refusal with a message fit for the person who asked."""


class NamingError(ServiceError):
    """Names the naming policy refuses; ``errors`` maps a field (display_name, mail_nickname) to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(" ".join(m for messages in errors.values() for m in messages))


def group_snapshot(group: Group) -> dict[str, Any]:
    return {
        "displayName": group.display_name,
        "description": group.description,
        "mailNickname": group.mail_nickname,
        "kind": group.kind,
        "membershipType": group.membership_type,
        "membershipRule": group.membership_rule,
        "visibility": group.visibility,
        "joinPolicy": group.join_policy,
        "classification": group.classification,
        "isAssignableToRole": group.is_assignable_to_role,
    }


def default_join_policy(*, kind: str, created_in: str) -> str:
    """Seed 002's table: My Groups and Microsoft 365 groups are open to join; admin-made security
    groups only let owners add members."""
    if kind == GroupKind.MICROSOFT_365 or created_in == CreatedIn.MY_GROUPS:
        return JoinPolicy.OPEN
    return JoinPolicy.CLOSED


@transaction.atomic
def group_create(
    *,
    actor: User,
    display_name: str,
    mail_nickname: str,
    kind: str = GroupKind.SECURITY,
    membership_type: str = "assigned",
    description: str = "",
    membership_rule: str = "",
    visibility: str = "Public",
    join_policy: str | None = None,
    is_assignable_to_role: bool = False,
    created_in: str = CreatedIn.ADMIN,
    as_owner: bool = False,
    classification: str = "",
    has_team: bool = False,
) -> Group:
    spec = GroupSpec(kind=kind, membership_type=membership_type, is_assignable_to_role=is_assignable_to_role)
    authorize(actor, "createAsOwner" if as_owner else "create", spec)
    if is_assignable_to_role:
        _check_role_assignable(actor.tenant, membership_type)
    display_name, mail_nickname = _names_under_policy(actor, display_name, mail_nickname)
    if join_policy is None:
        join_policy = default_join_policy(kind=kind, created_in=created_in)
    if join_policy == JoinPolicy.OWNER_APPROVAL and not actor.tenant.is_premium:
        raise ServiceError("Groups that need owner approval need Microsoft Entra ID P1 or P2.")
    if Group.objects.for_tenant(actor.tenant).filter(mail_nickname__iexact=mail_nickname).exists():
        raise ServiceError(f"The alias “{mail_nickname}” is already used by another group.")
    if membership_type == MembershipType.DYNAMIC:
        _check_rule(membership_rule, kind)
    group = Group.objects.create(
        tenant=actor.tenant,
        display_name=display_name,
        mail_nickname=mail_nickname,
        kind=kind,
        membership_type=membership_type,
        description=description,
        membership_rule=membership_rule,
        visibility=visibility,
        join_policy=join_policy,
        is_assignable_to_role=is_assignable_to_role,
        created_in=created_in,
        classification=classification,
        has_team=has_team,
        created_by=acting_user(actor),
        expiration_date_time=initial_expiration(actor.tenant, kind=kind),
    )
    audit_record(
        tenant=actor.tenant, actor=actor, activity="Add group", target=group, after=group_snapshot(group)
    )
    if as_owner:
        Ownership.objects.create(group=group, user=actor, added_by=actor)
        audit_record(
            tenant=actor.tenant,
            actor=actor,
            activity="Add owner to group",
            target=group,
            after={"owner": actor.user_principal_name},
        )
        forget(actor)
    dynamic.on_group_created(group)
    return group


def _check_role_assignable(tenant, membership_type: str) -> None:
    from portal.roles import MAX_ROLE_ASSIGNABLE_GROUPS

    if membership_type == MembershipType.DYNAMIC:
        raise ServiceError("Role-assignable groups can't have dynamic membership.")
    if (
        Group.objects.for_tenant(tenant).filter(is_assignable_to_role=True).count()
        >= MAX_ROLE_ASSIGNABLE_GROUPS
    ):
        raise ServiceError(
            f"An organization can have at most {MAX_ROLE_ASSIGNABLE_GROUPS} role-assignable groups."
        )


def _check_rule(rule: str, kind: str) -> None:
    if not rule.strip():
        raise ServiceError("A dynamic group needs a membership rule.")
    try:
        dynamic.validate_rule(rule, group_kind=kind)
    except dynamic.RuleError as exc:
        raise ServiceError(str(exc)) from None


def _member_field(member: Any) -> str:
    if isinstance(member, User):
        return "member_user"
    if isinstance(member, Group):
        return "member_group"
    if isinstance(member, Device):
        return "member_device"
    if isinstance(member, ServicePrincipal):
        return "member_service_principal"
    raise TypeError(f"{type(member).__name__} can't be a group member")


def check_member_allowed(group: Group, member: Any) -> None:
    """The model-layer invariants of membership that the database can't express."""
    if member.tenant_id != group.tenant_id:
        raise ServiceError("That object belongs to another organization.")
    field = _member_field(member)
    if group.kind in (GroupKind.MICROSOFT_365, GroupKind.DISTRIBUTION) and field in (
        "member_device",
        "member_service_principal",
    ):
        raise ServiceError(f"{group.get_kind_display()} groups hold users and groups only.")
    if group.kind == GroupKind.MICROSOFT_365 and field == "member_group":
        raise ServiceError("Microsoft 365 groups can't contain groups.")
    if field == "member_group":
        if group.is_assignable_to_role:
            raise ServiceError("Role-assignable groups can't contain groups.")
        if member.id == group.id:
            raise ServiceError("A group can't be a member of itself.")
        path = nesting_path(start=member, goal=group)
        if path:
            loop = " → ".join(g.display_name for g in [group, *path])
            raise ServiceError(f"Adding this group would make a cycle: {loop}.")
    if field == "member_user" and member.deleted_date_time is not None:
        raise ServiceError("That user has been deleted.")


def _add(group: Group, member: Any, *, actor: User | None, source: str) -> Membership:
    check_member_allowed(group, member)
    field = _member_field(member)
    if Membership.objects.filter(group=group, **{field: member}).exists():
        raise ServiceError(f"{member.display_name} is already a member of {group.display_name}.")
    try:
        with transaction.atomic():
            return Membership.objects.create(
                group=group, source=source, added_by=acting_user(actor), **{field: member}
            )
    except IntegrityError:
        raise ServiceError(f"{member.display_name} is already a member of {group.display_name}.") from None


@transaction.atomic
def membership_add(
    *, actor: User, group: Group, member: Any, source: str = MembershipSource.DIRECT, reason: str = ""
) -> Membership:
    authorize(actor, "members/update", group, member=member)
    if group.is_dynamic:
        raise ServiceError("Membership of a dynamic group is set by its rule.")
    membership = _add(group, member, actor=actor, source=source)
    licenses_after_membership_change(group)
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity="Add member to group",
        target=group,
        after={"member": _name(member), "memberType": membership.member_kind, "source": source},
        reason=reason,
    )
    dynamic.on_membership_changed(group, member)
    return membership


@transaction.atomic
def membership_remove(*, actor: User, group: Group, member: Any, reason: str = "") -> None:
    authorize(actor, "members/update", group)
    if group.is_dynamic:
        raise ServiceError("Membership of a dynamic group is set by its rule.")
    deleted, _ = Membership.objects.filter(group=group, **{_member_field(member): member}).delete()
    if not deleted:
        raise ServiceError(f"{member.display_name} is not a direct member of {group.display_name}.")
    licenses_after_membership_change(group)
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity="Remove member from group",
        target=group,
        before={"member": _name(member)},
        reason=reason,
    )
    dynamic.on_membership_changed(group, member)


@transaction.atomic
def ownership_add(*, actor: User, group: Group, user: User) -> Ownership:
    authorize(actor, "owners/update", group)
    if user.tenant_id != group.tenant_id:
        raise ServiceError("That user belongs to another organization.")
    if user.is_guest and not actor.tenant.group_settings.allow_guests_to_be_group_owner:
        raise ServiceError("Guests can't be group owners in this organization.")
    if Ownership.objects.filter(group=group, user=user).exists():
        raise ServiceError(f"{user.display_name} already owns {group.display_name}.")
    if Ownership.objects.filter(group=group).count() >= MAX_OWNERS:
        raise ServiceError(f"A group can have at most {MAX_OWNERS} owners.")
    ownership = Ownership.objects.create(group=group, user=user, added_by=acting_user(actor))
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity="Add owner to group",
        target=group,
        after={"owner": user.user_principal_name},
    )
    return ownership


@transaction.atomic
def ownership_remove(*, actor: User, group: Group, user: User) -> None:
    authorize(actor, "owners/update", group)
    deleted, _ = Ownership.objects.filter(group=group, user=user).delete()
    if not deleted:
        raise ServiceError(f"{user.display_name} doesn't own {group.display_name}.")
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity="Remove owner from group",
        target=group,
        before={"owner": user.user_principal_name},
    )


@transaction.atomic
def group_soft_delete(*, actor: User, group: Group) -> Group:
    authorize(actor, "delete", group)
    if group.is_deleted:
        raise ServiceError("This group is already deleted.")
    group.deleted_date_time = timezone.now()
    group.save(update_fields=["deleted_date_time"])
    audit_record(
        tenant=group.tenant, actor=actor, activity="Delete group", target=group, before=group_snapshot(group)
    )
    return group


def _name(member: Any) -> str:
    return getattr(member, "user_principal_name", None) or member.display_name


# --- bulk membership (CSV of userPrincipalNames) ------------------------------------------------

BULK_MAX_LINES = 10_000


@dataclass
class BulkLine:
    line: int
    value: str
    reason: str


@dataclass
class BulkReport:
    added: list[str] = field(default_factory=list)
    refused: list[BulkLine] = field(default_factory=list)


def parse_member_csv(text: str) -> list[tuple[int, str]]:
    """(line number, userPrincipalName) pairs from a CSV whose first column names users; a header line
    (a first cell without "@", such as ``userPrincipalName``) and blank lines are skipped."""
    import csv
    import io

    rows: list[tuple[int, str]] = []
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        value = (cells[0] if cells else "").strip()
        if not value or (number == 1 and "@" not in value):
            continue
        rows.append((number, value))
        if len(rows) > BULK_MAX_LINES:
            raise ServiceError(f"A file can add at most {BULK_MAX_LINES:,} members at once.")
    return rows


@transaction.atomic
def memberships_bulk_add(*, actor: User, group: Group, lines: list[tuple[int, str]]) -> BulkReport:
    """Add the users named by userPrincipalName; report every line that could not be added and why.

    One authorization, a handful of queries and batched inserts whatever the file's length (a per-line
    ``membership_add`` would re-run licensing for every line). Each added member is audited as
    "Add member to group", as one by one.
    """
    authorize(actor, "members/update", group)
    if group.is_dynamic:
        raise ServiceError("Membership of a dynamic group is set by its rule.")
    # Two imports into the same group queue up here instead of racing on the same rows.
    list(Group.objects.select_for_update().filter(pk=group.pk).values_list("pk", flat=True))
    report = BulkReport()
    wanted = {value.lower() for _, value in lines}
    users = {
        u.user_principal_name.lower(): u
        for u in User.objects.for_tenant(group.tenant).filter(user_principal_name__in=wanted)
    }
    present = set(
        Membership.objects.filter(group=group, member_user__in=users.values()).values_list(
            "member_user_id", flat=True
        )
    )
    seen: dict[str, int] = {}
    to_add: list[tuple[int, User]] = []
    for number, value in lines:
        upn = value.lower()
        user = users.get(upn)
        if upn in seen:
            reason = f"already listed on line {seen[upn]}"
        elif "@" not in upn:
            reason = "not a userPrincipalName"
        elif user is None:
            reason = "no such user in this organization"
        elif user.deleted_date_time is not None:
            reason = "the user is deleted"
        elif not user.account_enabled:
            reason = "the account is disabled"
        elif user.pk in present:
            reason = "already a member"
        else:
            reason = ""
        seen.setdefault(upn, number)
        if reason:
            report.refused.append(BulkLine(number, value, reason))
        else:
            to_add.append((number, user))
    for start in range(0, len(to_add), 500):
        batch = to_add[start : start + 500]
        added = _bulk_insert_members(group, batch, actor=actor, report=report)
        for user in added:
            audit_record(
                tenant=group.tenant,
                actor=actor,
                activity="Add member to group",
                target=group,
                after={
                    "member": user.user_principal_name,
                    "memberType": "user",
                    "source": MembershipSource.DIRECT,
                },
                reason="Bulk add from a CSV file",
            )
            report.added.append(user.user_principal_name)
    if report.added:
        licenses_after_membership_change(group)
    report.refused.sort(key=lambda line: line.line)
    return report


def _bulk_insert_members(
    group: Group, batch: list[tuple[int, User]], *, actor: User, report: BulkReport
) -> list[User]:
    def row(user: User) -> Membership:
        return Membership(group=group, member_user=user, source=MembershipSource.DIRECT, added_by=actor)

    try:
        with transaction.atomic():
            Membership.objects.bulk_create([row(user) for _, user in batch])
        return [user for _, user in batch]
    except IntegrityError:
        pass  # someone added one of them meanwhile: go row by row to know which
    added = []
    for number, user in batch:
        try:
            with transaction.atomic():
                row(user).save()
            added.append(user)
        except IntegrityError:
            report.refused.append(BulkLine(number, user.user_principal_name, "already a member"))
    return added


# --- Admin portal: naming policy, provisioning, update, delete/restore, expiration --------------


def _names_under_policy(actor: User, display_name: str, mail_nickname: str) -> tuple[str, str]:
    """The final name and alias under the tenant's naming policy (administrators are exempt).

    An alias left blank is made from the name and made unique; a typed alias must be free.
    """
    from groups.naming import policy_for, resolve_names

    policy, exempt = policy_for(actor)
    names = resolve_names(
        policy=policy, user=actor, display_name=display_name, mail_nickname=mail_nickname, exempt=exempt
    )
    if not names.ok:
        raise NamingError(names.errors)
    alias = names.mail_nickname
    if names.alias_derived:
        alias = _free_alias(actor.tenant, alias)
    return names.display_name, alias


def _free_alias(tenant: Any, alias: str) -> str:
    """``alias``, or ``alias-2``, ``alias-3`` ... the first one no group of the tenant uses."""
    from groups.naming import MAX_MAIL_NICKNAME

    taken = {
        a.lower()
        for a in Group.objects.for_tenant(tenant)
        .filter(mail_nickname__istartswith=alias[: MAX_MAIL_NICKNAME - 6])
        .values_list("mail_nickname", flat=True)
    }
    if alias.lower() not in taken:
        return alias
    n = 2
    while True:
        tail = f"-{n}"
        candidate = alias[: MAX_MAIL_NICKNAME - len(tail)] + tail
        if candidate.lower() not in taken:
            return candidate
        n += 1


def expiration_covers(settings: Any, group: Group) -> bool:
    """Does the tenant's expiration policy apply to ``group``? Microsoft 365 cloud groups only."""
    from portal.models import ExpirationScope

    if settings is None or not settings.group_lifetime_days:
        return False
    if group.kind != GroupKind.MICROSOFT_365 or group.is_synced:
        return False
    if settings.expiration_scope == ExpirationScope.ALL:
        return True
    return settings.expiration_scope == ExpirationScope.SELECTED and group.expiration_selected


def initial_expiration(tenant: Any, *, kind: str, now: Any = None) -> Any:
    """When a new group expires: only Microsoft 365 groups, only with the policy on for all of them
    (with "selected", an administrator picks groups after they exist)."""
    from portal.authz import group_settings_for
    from portal.models import ExpirationScope

    settings = group_settings_for(tenant)
    if (
        settings is None
        or not settings.group_lifetime_days
        or kind != GroupKind.MICROSOFT_365
        or settings.expiration_scope != ExpirationScope.ALL
    ):
        return None
    return (now or timezone.now()) + timedelta(days=settings.group_lifetime_days)


def creator_becomes_owner(*, actor: User, spec: GroupSpec, created_in: str) -> bool:
    """Seed 002: a group made in My Groups, or by someone who may only createAsOwner, gets its
    creator as first owner; one an administrator creates (a role's create right) gets none."""
    from portal.authz import USERS_CAN_CREATE, decide

    if created_in == CreatedIn.MY_GROUPS:
        return True
    create = decide(actor, "create", spec)
    return not (create.allowed and USERS_CAN_CREATE not in create.granted_by)


@transaction.atomic
def group_provision(
    *,
    actor: User,
    display_name: str,
    mail_nickname: str = "",
    kind: str = GroupKind.SECURITY,
    membership_type: str = "assigned",
    created_in: str = CreatedIn.ADMIN,
    owners: list[User] | tuple = (),
    members: list[Any] | tuple = (),
    **fields: Any,
) -> Group:
    """Create a group with its first owners and members, all or nothing (the create forms)."""
    spec = GroupSpec(
        kind=kind,
        membership_type=membership_type,
        is_assignable_to_role=fields.get("is_assignable_to_role", False),
    )
    as_owner = creator_becomes_owner(actor=actor, spec=spec, created_in=created_in)
    group = group_create(
        actor=actor,
        display_name=display_name,
        mail_nickname=mail_nickname,
        kind=kind,
        membership_type=membership_type,
        created_in=created_in,
        as_owner=as_owner,
        **fields,
    )
    for user in owners:
        if as_owner and user.pk == actor.pk:
            continue
        ownership_add(actor=actor, group=group, user=user)
    if members and group.is_dynamic:
        raise ServiceError("Membership of a dynamic group is set by its rule: add no members.")
    for member in members:
        membership_add(actor=actor, group=group, member=member)
    return group


def _locked(group: Group) -> Group:
    """The group's row, locked for this transaction; a group deleted for good meanwhile is a refusal."""
    try:
        return Group.objects.select_for_update().select_related("tenant").get(pk=group.pk)
    except Group.DoesNotExist:
        raise ServiceError("This group no longer exists: it was deleted permanently.") from None


# Which right each editable property needs (seed 003's catalog).
UPDATE_RIGHTS = {
    "display_name": "basic/update",
    "description": "basic/update",
    "join_policy": "basic/update",
    "visibility": "basic/update",
    "classification": "classification/update",
    "expiration_selected": "allProperties/update",
}


@transaction.atomic
def group_update(*, actor: User, group: Group, **changes: Any) -> Group:
    """Change a group's properties; each property needs its right, a rename obeys the naming policy."""
    from groups.models import JoinPolicy, Visibility
    from groups.naming import policy_for, resolve_names

    unknown = set(changes) - set(UPDATE_RIGHTS)
    if unknown:
        raise TypeError(f"group_update can't change {', '.join(sorted(unknown))}")
    group = _locked(group)
    changes = {k: v for k, v in changes.items() if getattr(group, k) != v}
    for right in sorted({UPDATE_RIGHTS[k] for k in changes}):
        authorize(actor, right, group)
    if not changes:
        return group
    if "display_name" in changes:
        policy, exempt = policy_for(actor)
        names = resolve_names(
            policy=policy,
            user=actor,
            display_name=changes["display_name"],
            mail_nickname=group.mail_nickname,
            exempt=exempt,
            rename=True,
        )
        if not names.ok:
            raise NamingError(names.errors)
        changes["display_name"] = names.display_name
        if names.display_name == group.display_name:
            del changes["display_name"]
            if not changes:
                return group
    settings = actor.tenant.group_settings
    classification = changes.get("classification")
    if classification and classification not in settings.classifications:
        raise ServiceError("Choose a classification from your organization's list.")
    if "join_policy" in changes:
        if changes["join_policy"] not in JoinPolicy.values:
            raise ServiceError("Choose a join policy.")
        if changes["join_policy"] == JoinPolicy.OWNER_APPROVAL and not actor.tenant.is_premium:
            raise ServiceError("Groups that need owner approval need Microsoft Entra ID P1 or P2.")
    if "visibility" in changes and changes["visibility"] not in Visibility.values:
        raise ServiceError("Choose a visibility.")
    before = group_snapshot(group)
    for key, value in changes.items():
        setattr(group, key, value)
    if "expiration_selected" in changes:
        if expiration_covers(settings, group):
            group.expiration_date_time = group.expiration_date_time or timezone.now() + timedelta(
                days=settings.group_lifetime_days
            )
        else:
            group.expiration_date_time = None
        changes["expiration_date_time"] = group.expiration_date_time
    group.save(update_fields=list(changes))
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity="Update group",
        target=group,
        before=before,
        after=group_snapshot(group),
    )
    return group


@transaction.atomic
def group_restore(*, actor: User, group: Group, now: Any = None) -> Group:
    """Bring a soft-deleted group back with its members, owners and settings (they were never removed).

    A group deleted by the expiration policy comes back renewed for a full lifetime, as in Entra.
    """
    now = now or timezone.now()
    group = _locked(group)
    authorize(actor, "restore", group)
    if not group.is_deleted:
        raise ServiceError("This group isn't deleted.")
    group.deleted_date_time = None
    fields = ["deleted_date_time"]
    if group.expiration_date_time and group.expiration_date_time <= now:
        settings = group.tenant.group_settings
        lifetime = settings.group_lifetime_days if expiration_covers(settings, group) else None
        group.expiration_date_time = now + timedelta(days=lifetime) if lifetime else None
        group.renewed_date_time = now
        fields += ["expiration_date_time", "renewed_date_time"]
    group.save(update_fields=fields)
    audit_record(
        tenant=group.tenant, actor=actor, activity="Restore group", target=group, after=group_snapshot(group)
    )
    return group


@transaction.atomic
def group_hard_delete(*, actor: User, group: Group) -> None:
    """Permanently delete a soft-deleted group now, before the 30 days are over (an explicit second step)."""
    group = _locked(group)
    authorize(actor, "delete", group)
    if not group.is_deleted:
        raise ServiceError("Delete the group first; permanent deletion is for deleted groups.")
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity="Hard delete group",
        target=group,
        before=group_snapshot(group),
    )
    group.delete()


@transaction.atomic
def group_renew(*, actor: Any, group: Group, now: Any = None, reason: str = "") -> Group:
    """Extend a group's expiration by a full lifetime from now. ``actor`` may be the system (auto-renewal)."""
    now = now or timezone.now()
    group = _locked(group)
    if isinstance(actor, User):
        authorize(actor, "renew", group)
    settings = group.tenant.group_settings
    if not expiration_covers(settings, group):
        raise ServiceError("No expiration policy applies to this group.")
    before = {"expirationDateTime": _iso(group.expiration_date_time)}
    group.expiration_date_time = now + timedelta(days=settings.group_lifetime_days)
    group.renewed_date_time = now
    group.save(update_fields=["expiration_date_time", "renewed_date_time"])
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity="Renew group",
        target=group,
        before=before,
        after={"expirationDateTime": _iso(group.expiration_date_time)},
        reason=reason,
    )
    return group


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None
