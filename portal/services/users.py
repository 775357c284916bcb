"""Directory users: attribute edits through one function (which drives dynamic membership),
leavers (disable/delete removes memberships, restorable for 30 days) and restore."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from portal import roles
from portal.audit import audit_record
from portal.authz import authorize
from portal.directory import (
    UPN_RE,
    USER_EDITABLE_FIELDS,
    USER_STRING_PROPERTIES,
    changed_graph_names,
)
from portal.errors import Conflict, Invalid
from portal.models import (
    AuditEvent,
    MultiValueAttribute,
    Tenant,
    User,
    UserMultiValue,
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


# --- what feature apps plug in (from their AppConfig.ready) -----------------------------------------

_attribute_reactions: list[Callable[..., Any]] = []
_leaver_handlers: list[Any] = []


def register_attribute_reaction(reaction: Callable[..., Any]) -> None:
    """``reaction(tenant=..., objects=[users or devices], changed={Graph property names} or None)`` runs,
    in the caller's transaction, after every change of user or device attributes (dynamic membership
    registers here). ``changed`` names what changed on any of the objects; None: unknown, anything."""
    if reaction not in _attribute_reactions:
        _attribute_reactions.append(reaction)


def register_leaver_handler(handler: Any) -> None:
    """``handler.offboard(actor=, user=, reason=, keep_rule_memberships=, report=)`` takes a leaver out of
    what the app owns and fills its part of the ``OffboardReport``; ``handler.restore(actor=, user=,
    removed=, report=)`` puts back what the last offboarding removed (``removed``: its audited list)."""
    if handler not in _leaver_handlers:
        _leaver_handlers.append(handler)


def on_user_attributes_changed(
    *, tenant: Tenant, users: list[User], actor: Any, changed: set[str] | None = None
) -> None:
    """Reactions to changed user attributes, in the caller's transaction: every path that edits users
    (admin page, import_users, the API) ends here, so dynamic groups follow in the same transaction.
    ``changed``: the Graph names of the properties that changed (None: unknown, or a new user)."""
    for reaction in _attribute_reactions:
        reaction(tenant=tenant, objects=users, changed=changed)


def on_device_attributes_changed(
    *, tenant: Tenant, devices: list, actor: Any, changed: set[str] | None = None
) -> None:
    """The same for devices (import_devices, device edits)."""
    for reaction in _attribute_reactions:
        reaction(tenant=tenant, objects=devices, changed=changed)


# --- users: attribute edits, leavers, restore ----------------------------------------------------

OFFBOARD_ACTIVITY = "Remove leaver from groups"
RESTORE_ACTIVITY = "Restore leaver's groups"
RESTORE_WINDOW_DAYS = 30


class UserError(Invalid):
    """A user change refused for a reason the administrator can fix; ``field`` names the attribute."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field)


@dataclass
class OffboardReport:
    memberships: list[dict] = field(default_factory=list)
    ownerships: list[dict] = field(default_factory=list)
    cancelled_requests: list[str] = field(default_factory=list)
    ownerless_groups: list[Any] = field(default_factory=list)


@dataclass
class RestoreReport:
    """What a restore (or re-enabling) put back, and what it didn't with the reason: a membership is
    restored only as an add by the actor would be (privilege dominance included)."""

    memberships: list[str] = field(default_factory=list)
    ownerships: list[str] = field(default_factory=list)
    not_restored: list[dict] = field(
        default_factory=list
    )  # {"group": name, "as": "member"|"owner", "reason"}


def _authorize_user_change(actor: User, user: User) -> None:
    if user.tenant_id != actor.tenant_id:
        raise PermissionDenied("Not found.")
    authorize(actor, roles.USERS_UPDATE, user)


def _field_value(user: User, name: str) -> Any:
    if name == "manager":
        return user.manager.user_principal_name if user.manager_id else None
    value = getattr(user, name)
    return value.isoformat() if hasattr(value, "isoformat") else value


# Fields a new user may be given beyond the editable ones (feature apps that create users extend
# this tuple from their AppConfig.ready when they add fields of their own, e.g. an invitation's state).
USER_CREATE_FIELDS: list[str] = [*USER_EDITABLE_FIELDS, "source"]
# Fields ``user_update`` changes (feature apps extend it from their AppConfig.ready, as the list above).
USER_UPDATE_FIELDS: list[str] = [*USER_EDITABLE_FIELDS]
UPN_TAKEN = "Another object with the same value for property userPrincipalName already exists."


# A sign-in name kept verbatim (SCIM userName: not every identity provider sends alias@domain).
VERBATIM_NAME_RE = re.compile(r"^[^\s\x00]{1,256}$")


def _check_new_upn(actor: Any, tenant: Tenant, upn: str, *, verified_domain_only: bool) -> None:
    if not verified_domain_only and "@" not in upn and VERBATIM_NAME_RE.match(upn):
        pass  # a provider's own user name, kept as it is
    elif not UPN_RE.match(upn) or len(upn) > 256:
        raise UserError(
            f"“{upn[:80]}” is not a valid userPrincipalName (alias@domain).", "user_principal_name"
        )
    domain = upn.rsplit("@", 1)[-1].lower()
    verified = [d.lower() for d in tenant.verified_domains or []]
    if verified_domain_only and verified and domain not in verified:
        raise UserError(
            f"The domain of the userPrincipalName must be one of the organization's verified domains: "
            f"{', '.join(verified)}.",
            "user_principal_name",
        )
    holder = User.objects.select_for_update().filter(user_principal_name__iexact=upn).first()
    if holder is None:
        return
    if holder.tenant_id != tenant.pk or holder.deleted_date_time is None or not _release_name(holder):
        raise Conflict(UPN_TAKEN, field="user_principal_name")
    # Deleted before names were freed on deletion: free it now, visibly.
    holder.save(update_fields=["user_principal_name"])
    audit_record(
        tenant=tenant,
        actor=actor,
        activity="Update user",
        target=holder,
        before={"userPrincipalName": upn},
        after={"userPrincipalName": holder.user_principal_name},
        reason="The deleted user's name was given to a new user.",
        category="UserManagement",
    )


# A deleted user's sign-in name is freed at once, as Entra ID does: it becomes the object id's 32 hex
# digits followed by the name, so a new user may take the name (an identity provider re-creating someone,
# RFC 7644 §3.6: a deleted resource is no conflict), and a restore puts it back when it is still free.
# (A name longer than 224 characters would not fit: it stays reserved until the user is purged.)
def _release_name(user: User) -> bool:
    placeholder = f"{user.pk.hex}{user.user_principal_name}"
    if len(placeholder) > User._meta.get_field("user_principal_name").max_length:
        return False
    user.user_principal_name = placeholder
    return True


def _kept_name(user: User) -> str:
    """The name a deleted user had (and gets back on restore)."""
    name = user.user_principal_name
    return name.removeprefix(user.pk.hex) if user.deleted_date_time is not None else name


@transaction.atomic
def user_create(
    *,
    actor: Any,
    tenant: Tenant,
    user_principal_name: str,
    display_name: str,
    password: str | None = None,
    values: dict[str, Any] | None = None,
    collections: dict[str, list[str]] | None = None,
    verified_domain_only: bool = True,
    activity: str = "Add user",
    permission: str = roles.USERS_CREATE,
) -> User:
    """The one function that creates a directory user (API, SCIM, invitations): authorize, check the
    sign-in name (unique; on a verified domain unless ``verified_domain_only`` is off, as SCIM and guest
    names need), set the password (Django's validators) or none (the user can't sign in until one is
    set), audit, then ``on_user_attributes_changed`` so dynamic groups take the user in the same
    transaction. ``values``: model field names (``USER_CREATE_FIELDS``); ``collections``: otherMails /
    proxyAddresses lists; ``permission``: users/create, or users/inviteGuest for invitations."""
    if getattr(actor, "tenant_id", None) != tenant.pk:
        raise PermissionDenied("Not found.")
    invites = permission == roles.USERS_INVITE_GUEST
    authorize(actor, roles.USERS_INVITE_GUEST if invites else roles.USERS_CREATE)
    values = dict(values or {})
    unknown = set(values) - set(USER_CREATE_FIELDS)
    if unknown:
        raise UserError(f"These attributes can't be set here: {', '.join(sorted(unknown))}.")
    upn = (user_principal_name or "").strip()
    _check_new_upn(actor, tenant, upn, verified_domain_only=verified_domain_only)
    if not (display_name or "").strip():
        raise UserError("A user needs a display name.", "display_name")
    manager = values.get("manager")
    if manager is not None and manager.tenant_id != tenant.pk:
        raise UserError("Choose a manager of this organization.", "manager")
    values.setdefault("mail_nickname", upn.split("@", 1)[0].split("#", 1)[0][:64])
    user = User(tenant=tenant, user_principal_name=upn, display_name=display_name.strip(), **values)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise UserError(" ".join(exc.messages), "password") from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save(force_insert=True)
    for attribute, items in (collections or {}).items():
        UserMultiValue.objects.bulk_create(
            UserMultiValue(user=user, attribute=MultiValueAttribute(attribute), value=v, position=i)
            for i, v in enumerate(items)
        )
    audit_record(
        tenant=tenant,
        actor=actor,
        activity=activity,
        target=user,
        after=user_snapshot(user),
        category="UserManagement",
    )
    on_user_attributes_changed(tenant=tenant, users=[user], actor=actor)
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, changes: dict[str, Any]) -> User:
    """The one function that edits a user's attributes (model field names → values).

    Disabling removes the user's memberships and ownerships (a leaver); enabling again within 30 days
    puts them back. Ends with ``on_user_attributes_changed`` so dynamic groups follow.
    """
    _authorize_user_change(actor, user)
    user = User.objects.select_for_update(of=("self",)).select_related("manager", "tenant").get(pk=user.pk)
    if user.deleted_date_time is not None:
        raise Conflict("This user is deleted: restore them first.")
    unknown = set(changes) - set(USER_UPDATE_FIELDS)
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
        user.restore_report = _restore_groups(actor=actor, user=user)
    on_user_attributes_changed(
        tenant=user.tenant, users=[user], actor=actor, changed=changed_graph_names(changed)
    )
    return user


@transaction.atomic
def user_delete(*, actor: User, user: User) -> OffboardReport:
    """Soft delete: the user can't sign in, leaves every group, and is restorable for 30 days."""
    _authorize_user_change(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == actor.pk:
        raise UserError("You can't delete your own account.")
    if user.deleted_date_time is not None:
        raise Conflict("This user is already deleted.")
    if user.dir_sync_enabled:
        raise UserError("This user is synced from on-premises: delete them there.")
    before = user_snapshot(user)
    user.deleted_date_time = timezone.now()
    _release_name(user)
    user.save(update_fields=["deleted_date_time", "user_principal_name"])
    audit_record(
        tenant=user.tenant,
        actor=actor,
        activity="Delete user",
        target=user,
        before=before,
        after={"userPrincipalName": user.user_principal_name},
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
        raise Conflict("This user isn't deleted.")
    if timezone.now() - user.deleted_date_time > timedelta(days=RESTORE_WINDOW_DAYS):
        raise UserError(f"Users can be restored for {RESTORE_WINDOW_DAYS} days after deletion.")
    name = _kept_name(user)
    if User.objects.filter(user_principal_name__iexact=name).exclude(pk=user.pk).exists():
        raise Conflict(
            f"Another user has the name {name} now: rename or delete that user first, then restore this one.",
            field="user_principal_name",
        )
    user.user_principal_name = name
    user.deleted_date_time = None
    user.save(update_fields=["deleted_date_time", "user_principal_name"])
    audit_record(
        tenant=user.tenant, actor=actor, activity="Restore user", target=user, category="UserManagement"
    )
    user.restore_report = _restore_groups(actor=actor, user=user)
    on_user_attributes_changed(tenant=user.tenant, users=[user], actor=actor)
    return user


@transaction.atomic
def user_hard_delete(*, actor: User, user: User) -> None:
    """Permanently delete a soft-deleted user now, before the 30 days are over (an explicit second
    step, as Graph's DELETE /directory/deletedItems/{id}). Their groups were already left when they
    were deleted; the audit log keeps who they were."""
    _authorize_user_change(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.deleted_date_time is None:
        raise Conflict("Delete the user first; permanent deletion is for deleted users.")
    audit_record(
        tenant=user.tenant,
        actor=actor,
        activity="Hard delete user",
        target=user,
        before=user_snapshot(user),
        category="UserManagement",
    )
    user.delete()


def _offboard(*, actor: User, user: User, reason: str, keep_rule_memberships: bool = False) -> OffboardReport:
    """Take a leaver out of every group and ownership and cancel their pending requests (each app's
    leaver handler), keeping what was removed in the audit event's ``before`` so a restore can put it
    back."""
    report = OffboardReport()
    for handler in _leaver_handlers:
        handler.offboard(
            actor=actor, user=user, reason=reason, keep_rule_memberships=keep_rule_memberships, report=report
        )
    audit_record(
        tenant=user.tenant,
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
    return report


def _restore_groups(*, actor: User, user: User) -> RestoreReport:
    """Put back what the last offboarding removed, if it happened within the restore window and was
    not already undone: through each app's leaver handler, as the actor's own adds would be."""
    report = RestoreReport()
    last = (
        AuditEvent.objects.for_tenant(user.tenant)
        .filter(target_id=str(user.pk), activity__in=[OFFBOARD_ACTIVITY, RESTORE_ACTIVITY])
        .order_by("-activity_date_time", "-id")
        .first()
    )
    if last is None or last.activity != OFFBOARD_ACTIVITY:
        return report
    if timezone.now() - last.activity_date_time > timedelta(days=RESTORE_WINDOW_DAYS):
        return report
    for handler in _leaver_handlers:
        handler.restore(actor=actor, user=user, removed=last.before or {}, report=report)
    audit_record(
        tenant=user.tenant,
        actor=actor,
        activity=RESTORE_ACTIVITY,
        target=user,
        after={
            "memberships": report.memberships,
            "ownerships": report.ownerships,
            "notRestored": report.not_restored,
        },
        category="UserManagement",
    )
    return report
