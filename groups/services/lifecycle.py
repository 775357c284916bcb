"""Admin portal: naming policy, provisioning, update, delete/restore, expiration."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from groups.authz import USERS_CAN_CREATE, GroupSpec
from groups.licensing.services import licenses_after_group_change
from groups.models import (
    CreatedIn,
    Group,
    GroupKind,
    JoinPolicy,
    Visibility,
)
from groups.naming import policy_for, resolve_names
from groups.services import membership
from groups.services.core import group_create, group_snapshot, membership_add, ownership_add
from groups.services.errors import NamingError
from groups.services.policy import expiration_covers
from portal.audit import audit_record
from portal.authz import authorize, decide
from portal.errors import Conflict, Invalid, NotFound, Refused
from portal.models import User

# --- Admin portal: naming policy, provisioning, update, delete/restore, expiration --------------


def creator_becomes_owner(*, actor: User, spec: GroupSpec, created_in: str) -> bool:
    """Seed 002: a group made in My Groups, or by someone who may only createAsOwner, gets its
    creator as first owner; one an administrator creates (a role's create right) gets none."""
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
        raise Invalid("Membership of a dynamic group is set by its rule: add no members.")
    for member in members:
        membership_add(actor=actor, group=group, member=member)
    return group


def _locked(group: Group) -> Group:
    """The group's row, locked for this transaction; a group deleted for good meanwhile is a refusal."""
    try:
        return Group.objects.select_for_update().select_related("tenant").get(pk=group.pk)
    except Group.DoesNotExist:
        raise NotFound("This group no longer exists: it was deleted permanently.") from None


# Which right each editable property needs (seed 003's catalog).
UPDATE_RIGHTS = {
    "display_name": "basic/update",
    "description": "basic/update",
    "join_policy": "basic/update",
    "visibility": "basic/update",
    "classification": "classification/update",
    "expiration_selected": "allProperties/update",
    "external_id": "allProperties/update",
}


@transaction.atomic
def group_update(*, actor: User, group: Group, **changes: Any) -> Group:
    """Change a group's properties; each property needs its right, a rename obeys the naming policy."""
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
        changes["display_name"] = _name_under_policy(actor, group, changes["display_name"])
        if changes["display_name"] == group.display_name:
            del changes["display_name"]
            if not changes:
                return group
    settings = actor.tenant.group_settings
    _check_update(actor, settings, changes)
    before = group_snapshot(group)
    for key, value in changes.items():
        setattr(group, key, value)
    if "expiration_selected" in changes:
        group.expiration_date_time = _expiration_when_selected(settings, group)
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


def _name_under_policy(actor: User, group: Group, display_name: str) -> str:
    """A group's new name under the naming policy (a rename keeps the alias)."""
    policy, exempt = policy_for(actor)
    names = resolve_names(
        policy=policy,
        user=actor,
        display_name=display_name,
        mail_nickname=group.mail_nickname,
        exempt=exempt,
        rename=True,
    )
    if not names.ok:
        raise NamingError(names.errors)
    return names.display_name


def _check_update(actor: User, settings: Any, changes: dict[str, Any]) -> None:
    """Refuse values the tenant doesn't offer: a classification off its list, an unknown join policy or
    visibility, owner approval without a premium plan."""
    classification = changes.get("classification")
    if classification and classification not in settings.classifications:
        raise Invalid("Choose a classification from your organization's list.")
    if "join_policy" in changes:
        if changes["join_policy"] not in JoinPolicy.values:
            raise Invalid("Choose a join policy.")
        if changes["join_policy"] == JoinPolicy.OWNER_APPROVAL and not actor.tenant.is_premium:
            raise Refused("Groups that need owner approval need Microsoft Entra ID P1 or P2.")
    if "visibility" in changes and changes["visibility"] not in Visibility.values:
        raise Invalid("Choose a visibility.")


def _expiration_when_selected(settings: Any, group: Group) -> Any:
    """The group's expiration once it is (de)selected for the policy: kept or a full lifetime from now
    if the policy covers it, none otherwise."""
    if expiration_covers(settings, group):
        return group.expiration_date_time or timezone.now() + timedelta(days=settings.group_lifetime_days)
    return None


@transaction.atomic
def group_restore(*, actor: User, group: Group, now: Any = None) -> Group:
    """Bring a soft-deleted group back with its members, owners and settings (they were never removed).

    A group deleted by the expiration policy comes back renewed for a full lifetime, as in Entra.
    """
    now = now or timezone.now()
    group = _locked(group)
    authorize(actor, "restore", group)
    if not group.is_deleted:
        raise Conflict("This group isn't deleted.")
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
    licenses_after_group_change(group)
    return group


@transaction.atomic
def group_hard_delete(*, actor: User, group: Group) -> None:
    """Permanently delete a soft-deleted group now, before the 30 days are over (an explicit second step)."""
    group = _locked(group)
    authorize(actor, "delete", group)
    if not group.is_deleted:
        raise Conflict("Delete the group first; permanent deletion is for deleted groups.")
    audit_record(
        tenant=group.tenant,
        actor=actor,
        activity="Hard delete group",
        target=group,
        before=group_snapshot(group),
    )
    membership.group_leaves_all(group)
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
        raise Refused("No expiration policy applies to this group.")
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
