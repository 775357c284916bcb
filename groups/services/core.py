"""Groups, memberships and ownerships: create, add, remove, soft delete.

Each function: authorize (portal.authz) → change → audit, in one transaction. Raise ``ServiceError``
for a refusal the user can fix (shown as a form error or a 4xx), ``PermissionDenied`` for a right the
actor lacks.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from groups import dynamic
from groups.authz import GroupSpec
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
from groups.services.errors import ServiceError
from groups.services.policy import _names_under_policy, initial_expiration
from portal.audit import audit_record
from portal.authz import acting_user, authorize, forget
from portal.models import Device, ServicePrincipal, User


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
