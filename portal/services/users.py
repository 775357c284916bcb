"""Directory users: attribute edits through one function (which drives dynamic membership),
leavers (disable/delete removes memberships, restorable for 30 days) and restore."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from portal import roles
from portal.audit import audit_record
from portal.authz import authorize
from portal.directory import (
    USER_STRING_PROPERTIES,
)
from portal.models import (
    RoleAssignment,
    Tenant,
    User,
)


def user_snapshot(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "userPrincipalName": user.user_principal_name,
        "userType": user.user_type,
        "accountEnabled": user.account_enabled,
    }
    for prop, attr in USER_STRING_PROPERTIES.items():
        data[prop] = getattr(user, attr)
    hire = user.employee_hire_date
    data["employeeHireDate"] = hire.isoformat() if hire else None
    data["manager"] = user.manager.user_principal_name if user.manager_id else None
    return data


def on_user_attributes_changed(*, tenant: Tenant, users: list[User], actor: Any) -> None:
    """Reactions to changed user attributes, in the caller's transaction.

    Dynamic membership (groups.rules) hooks in here so every path that edits users (admin page,
    import_users, the API) updates memberships in the same transaction.
    """
    from groups.dynamic import reevaluate

    reevaluate(tenant=tenant, objects=users)


def on_device_attributes_changed(*, tenant: Tenant, devices: list, actor: Any) -> None:
    """The same for devices (import_devices, device edits)."""
    from groups.dynamic import reevaluate

    reevaluate(tenant=tenant, objects=devices)


# --- users: attribute edits, leavers, restore ----------------------------------------------------

OFFBOARD_ACTIVITY = "Remove leaver from groups"
RESTORE_ACTIVITY = "Restore leaver's groups"
RESTORE_WINDOW_DAYS = 30


class UserError(ValueError):
    """A user change refused for a reason the administrator can fix; ``field`` names the attribute."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class OffboardReport:
    memberships: list[dict] = field(default_factory=list)
    ownerships: list[dict] = field(default_factory=list)
    cancelled_requests: list[str] = field(default_factory=list)
    ownerless_groups: list[Any] = field(default_factory=list)


def _authorize_user_change(actor: User, user: User) -> None:
    if user.tenant_id != actor.tenant_id:
        raise PermissionDenied("Not found.")
    authorize(actor, roles.USERS_UPDATE, user)


def _field_value(user: User, name: str) -> Any:
    if name == "manager":
        return user.manager.user_principal_name if user.manager_id else None
    value = getattr(user, name)
    return value.isoformat() if hasattr(value, "isoformat") else value


@transaction.atomic
def user_update(*, actor: User, user: User, changes: dict[str, Any]) -> User:
    """The one function that edits a user's attributes (model field names → values).

    Disabling removes the user's memberships and ownerships (a leaver); enabling again within 30 days
    puts them back. Ends with ``on_user_attributes_changed`` so dynamic groups follow.
    """
    from portal.directory import USER_EDITABLE_FIELDS

    _authorize_user_change(actor, user)
    user = User.objects.select_for_update(of=("self",)).select_related("manager", "tenant").get(pk=user.pk)
    if user.deleted_date_time is not None:
        raise UserError("This user is deleted: restore them first.")
    unknown = set(changes) - set(USER_EDITABLE_FIELDS)
    if unknown:
        raise UserError(f"These attributes can't be edited here: {', '.join(sorted(unknown))}.")
    if user.dir_sync_enabled and set(changes) - {"account_enabled"}:
        changed_synced = [
            k for k in changes if k != "account_enabled" and _field_value(user, k) != changes[k]
        ]
        if changed_synced:
            raise UserError("This user is synced from on-premises: edit their attributes there.")
    if "display_name" in changes and not (changes["display_name"] or "").strip():
        raise UserError("A user needs a display name.", "display_name")
    manager = changes.get("manager")
    if manager is not None and (manager.tenant_id != user.tenant_id or manager.pk == user.pk):
        raise UserError("Choose a manager of this organization other than the user.", "manager")
    if changes.get("account_enabled") is False and user.pk == actor.pk:
        raise UserError("You can't disable your own account.", "account_enabled")
    before = {name: _field_value(user, name) for name in changes}
    was_enabled = user.account_enabled
    for name, value in changes.items():
        setattr(user, name, value)
    after = {name: _field_value(user, name) for name in changes}
    changed = [name for name in changes if before[name] != after[name]]
    if not changed:
        return user
    user.save()
    audit_record(
        tenant=user.tenant,
        actor=actor,
        activity="Update user",
        target=user,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        category="UserManagement",
    )
    if was_enabled and not user.account_enabled:
        # A disabled account stays in the dynamic groups its rule selects (as in Entra: a rule can say
        # user.accountEnabled -eq true); a deleted one leaves them too.
        user.offboard_report = _offboard(
            actor=actor, user=user, reason="User disabled", keep_rule_memberships=True
        )
    elif not was_enabled and user.account_enabled:
        _restore_groups(actor=actor, user=user)
    on_user_attributes_changed(tenant=user.tenant, users=[user], actor=actor)
    return user


@transaction.atomic
def user_delete(*, actor: User, user: User) -> OffboardReport:
    """Soft delete: the user can't sign in, leaves every group, and is restorable for 30 days."""
    _authorize_user_change(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == actor.pk:
        raise UserError("You can't delete your own account.")
    if user.deleted_date_time is not None:
        raise UserError("This user is already deleted.")
    if user.dir_sync_enabled:
        raise UserError("This user is synced from on-premises: delete them there.")
    user.deleted_date_time = timezone.now()
    user.save(update_fields=["deleted_date_time"])
    audit_record(
        tenant=user.tenant,
        actor=actor,
        activity="Delete user",
        target=user,
        before=user_snapshot(user),
        category="UserManagement",
    )
    report = _offboard(actor=actor, user=user, reason="User deleted")
    on_user_attributes_changed(tenant=user.tenant, users=[user], actor=actor)
    return report


@transaction.atomic
def user_restore(*, actor: User, user: User) -> User:
    """Undo a deletion within 30 days, with the memberships and ownerships it removed."""
    _authorize_user_change(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.deleted_date_time is None:
        raise UserError("This user isn't deleted.")
    if timezone.now() - user.deleted_date_time > timedelta(days=RESTORE_WINDOW_DAYS):
        raise UserError(f"Users can be restored for {RESTORE_WINDOW_DAYS} days after deletion.")
    user.deleted_date_time = None
    user.save(update_fields=["deleted_date_time"])
    audit_record(
        tenant=user.tenant, actor=actor, activity="Restore user", target=user, category="UserManagement"
    )
    _restore_groups(actor=actor, user=user)
    on_user_attributes_changed(tenant=user.tenant, users=[user], actor=actor)
    return user


def _offboard(*, actor: User, user: User, reason: str, keep_rule_memberships: bool = False) -> OffboardReport:
    """Remove a leaver from every group and ownership and cancel their pending requests, keeping what
    was removed in the audit event's ``before`` so a restore can put it back."""
    from django.db.models import Count

    from access_requests.models import JoinRequest, RequestStatus
    from groups.models import Group, Membership, Ownership

    report = OffboardReport()
    tenant = user.tenant
    from groups.models import MembershipSource

    memberships = Membership.objects.filter(member_user=user).select_related("group")
    if keep_rule_memberships:
        memberships = memberships.exclude(source=MembershipSource.RULE)
    memberships = list(memberships)
    ownerships = list(Ownership.objects.filter(user=user).select_related("group"))
    for m in memberships:
        report.memberships.append(
            {"group": str(m.group_id), "groupName": m.group.display_name, "source": m.source}
        )
    for o in ownerships:
        report.ownerships.append({"group": str(o.group_id), "groupName": o.group.display_name})
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).delete()
    Ownership.objects.filter(pk__in=[o.pk for o in ownerships]).delete()
    pending = JoinRequest.objects.filter(requester=user, status=RequestStatus.PENDING)
    report.cancelled_requests = [str(pk) for pk in pending.values_list("pk", flat=True)]
    pending.update(status=RequestStatus.CANCELLED, decided_date_time=timezone.now(), reason=reason)
    for m in memberships:
        audit_record(
            tenant=tenant,
            actor=actor,
            activity="Remove member from group",
            target=m.group,
            before={"member": user.user_principal_name},
            reason=reason,
        )
    for o in ownerships:
        audit_record(
            tenant=tenant,
            actor=actor,
            activity="Remove owner from group",
            target=o.group,
            before={"owner": user.user_principal_name},
            reason=reason,
        )
    owned_ids = [o.group_id for o in ownerships]
    report.ownerless_groups = list(
        Group.objects.filter(pk__in=owned_ids)
        .alive()
        .annotate(owner_count=Count("ownerships"))
        .filter(owner_count=0)
        .order_by("display_name")
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        activity=OFFBOARD_ACTIVITY,
        target=user,
        before={
            "memberships": report.memberships,
            "ownerships": report.ownerships,
            "pendingRequests": report.cancelled_requests,
        },
        after={"groupsWithoutOwner": [g.display_name for g in report.ownerless_groups]},
        reason=reason,
        category="UserManagement",
    )
    if memberships:
        from groups.licensing.services import licenses_after_membership_change

        licenses_after_membership_change(memberships[0].group)
    if report.ownerless_groups:
        _tell_administrators(tenant=tenant, user=user, groups=report.ownerless_groups, reason=reason)
    return report


def _tell_administrators(*, tenant: Tenant, user: User, groups: list, reason: str) -> None:
    """Email the tenant's group administrators about groups a leaver left without an owner."""
    from django.core.mail import send_mail

    admins = (
        RoleAssignment.objects.for_tenant(tenant)
        .filter(builtin_role__in=["globalAdministrator", "groupsAdministrator"], principal_user__isnull=False)
        .filter(principal_user__account_enabled=True, principal_user__deleted_date_time__isnull=True)
        .values_list("principal_user__mail", "principal_user__user_principal_name")
    )
    to = sorted({mail or upn for mail, upn in admins})
    if not to:
        return
    names = "\n".join(f"- {g.display_name}" for g in groups)
    subject = f"{len(groups)} group{'s' if len(groups) != 1 else ''} left without an owner"
    body = (
        f"{user.display_name} ({user.user_principal_name}) left these groups ({reason.lower()}), "
        f"and they now have no owner:\n\n{names}\n\nAssign an owner in Groupdesk: Groups, filter “Has no owner”."
    )
    transaction.on_commit(lambda: send_mail(subject, body, None, to, fail_silently=True))


def _restore_groups(*, actor: User, user: User) -> None:
    """Put back what the last offboarding removed, if it happened within the restore window and was
    not already undone. Deleted groups, dynamic groups (their rule decides) and full owner lists are
    skipped."""
    from groups.models import MAX_OWNERS, Group, Membership, MembershipSource, Ownership
    from portal.models import AuditEvent

    last = (
        AuditEvent.objects.for_tenant(user.tenant)
        .filter(target_id=str(user.pk), activity__in=[OFFBOARD_ACTIVITY, RESTORE_ACTIVITY])
        .order_by("-activity_date_time", "-id")
        .first()
    )
    if last is None or last.activity != OFFBOARD_ACTIVITY:
        return
    if timezone.now() - last.activity_date_time > timedelta(days=RESTORE_WINDOW_DAYS):
        return
    before = last.before or {}
    wanted = {m["group"] for m in before.get("memberships", [])} | {
        o["group"] for o in before.get("ownerships", [])
    }
    groups = {str(g.pk): g for g in Group.objects.for_tenant(user.tenant).alive().filter(pk__in=wanted)}
    restored_members, restored_owners = [], []
    for m in before.get("memberships", []):
        group = groups.get(m["group"])
        if group is None or group.is_dynamic or m.get("source") == MembershipSource.RULE:
            continue
        _, created = Membership.objects.get_or_create(
            group=group, member_user=user, defaults={"source": m.get("source", "direct"), "added_by": actor}
        )
        if created:
            restored_members.append(group.display_name)
    for o in before.get("ownerships", []):
        group = groups.get(o["group"])
        if group is None or Ownership.objects.filter(group=group).count() >= MAX_OWNERS:
            continue
        _, created = Ownership.objects.get_or_create(group=group, user=user, defaults={"added_by": actor})
        if created:
            restored_owners.append(group.display_name)
    audit_record(
        tenant=user.tenant,
        actor=actor,
        activity=RESTORE_ACTIVITY,
        target=user,
        after={"memberships": restored_members, "ownerships": restored_owners},
        category="UserManagement",
    )
    if restored_members:
        from groups.licensing.services import licenses_after_membership_change

        licenses_after_membership_change(next(iter(groups.values())))
