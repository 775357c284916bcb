"""Groups: create and soft delete; the member and owner services people call (the writes themselves are
``groups.services.membership``'s).

Each function: authorize (portal.authz) → change → audit, in one transaction. Raise ``ServiceError``
for a refusal the user can fix (shown as a form error or a 4xx), ``PermissionDenied`` for a right the
actor lacks.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from groups import dynamic
from groups.authz import GroupSpec
from groups.licensing.services import licenses_after_group_change
from groups.models import (
    CreatedIn,
    Group,
    GroupKind,
    JoinPolicy,
    Membership,
    MembershipSource,
    MembershipType,
    Ownership,
)
from groups.services import membership
from groups.services.policy import _names_under_policy, initial_expiration
from portal.audit import audit_record
from portal.authz import acting_user, authorize
from portal.errors import Conflict, Invalid, Refused
from portal.models import User
from portal.roles import MAX_ROLE_ASSIGNABLE_GROUPS


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
    provisioned_by: Any = None,
    external_id: str | None = None,
) -> Group:
    """``provisioned_by``: the app (service principal) whose SCIM requests alone may change the group."""
    spec = GroupSpec(kind=kind, membership_type=membership_type, is_assignable_to_role=is_assignable_to_role)
    authorize(actor, "createAsOwner" if as_owner else "create", spec)
    if is_assignable_to_role:
        _check_role_assignable(actor.tenant, membership_type)
    display_name, mail_nickname = _names_under_policy(actor, display_name, mail_nickname)
    if join_policy is None:
        join_policy = default_join_policy(kind=kind, created_in=created_in)
    if join_policy == JoinPolicy.OWNER_APPROVAL and not actor.tenant.is_premium:
        raise Refused("Groups that need owner approval need Microsoft Entra ID P1 or P2.")
    if Group.objects.for_tenant(actor.tenant).filter(mail_nickname__iexact=mail_nickname).exists():
        raise Conflict(f"The alias “{mail_nickname}” is already used by another group.")
    if membership_type == MembershipType.DYNAMIC:
        _check_rule(actor, membership_rule, spec)
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
        provisioned_by=provisioned_by,
        external_id=external_id,
        created_by=acting_user(actor),
        expiration_date_time=initial_expiration(actor.tenant, kind=kind),
    )
    audit_record(
        tenant=actor.tenant, actor=actor, activity="Add group", target=group, after=group_snapshot(group)
    )
    if as_owner:  # the creator's own right to create makes them the first owner
        membership.owner_add(actor=actor, group=group, user=actor, right=None)
    dynamic.on_group_created(group)
    return group


def _check_role_assignable(tenant, membership_type: str) -> None:
    if membership_type == MembershipType.DYNAMIC:
        raise Invalid("Role-assignable groups can't have dynamic membership.")
    if (
        Group.objects.for_tenant(tenant).filter(is_assignable_to_role=True).count()
        >= MAX_ROLE_ASSIGNABLE_GROUPS
    ):
        raise Invalid(
            f"An organization can have at most {MAX_ROLE_ASSIGNABLE_GROUPS} role-assignable groups."
        )


def _check_rule(actor: User, rule: str, spec: GroupSpec) -> None:
    if not rule.strip():
        raise Invalid("A dynamic group needs a membership rule.")
    parsed = dynamic.validate_rule(rule, group_kind=spec.kind)  # a RuleError: Invalid, with the position
    # A rule naming a group whose members the creator can't read: refused as a right (403), not a typo.
    dynamic.refuse_unreadable_groups(actor, parsed, actor.tenant, attempt=spec)


@transaction.atomic
def membership_add(
    *, actor: User, group: Group, member: Any, source: str = MembershipSource.DIRECT, reason: str = ""
) -> Membership:
    return membership.member_add(actor=actor, group=group, member=member, source=source, reason=reason)


@transaction.atomic
def membership_remove(*, actor: User, group: Group, member: Any, reason: str = "") -> None:
    membership.member_remove(actor=actor, group=group, member=member, reason=reason)


@transaction.atomic
def ownership_add(*, actor: User, group: Group, user: User) -> Ownership:
    return membership.owner_add(actor=actor, group=group, user=user)


@transaction.atomic
def ownership_remove(*, actor: User, group: Group, user: User) -> None:
    membership.owner_remove(actor=actor, group=group, user=user)


@transaction.atomic
def group_soft_delete(*, actor: User, group: Group) -> Group:
    authorize(actor, "delete", group)
    if group.is_deleted:
        raise Conflict("This group is already deleted.")
    group.deleted_date_time = timezone.now()
    group.save(update_fields=["deleted_date_time"])
    audit_record(
        tenant=group.tenant, actor=actor, activity="Delete group", target=group, before=group_snapshot(group)
    )
    licenses_after_group_change(group)
    return group
