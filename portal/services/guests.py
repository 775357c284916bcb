"""Invited guests' own account changes: redeeming an invitation (the guest sets a password; the state
becomes Accepted) and the automatic removal of a guest who left their last group (a tenant setting).

The invitation itself (who may invite, the link, resend and revoke) lives in
``access_requests.invitations``; it creates the guest through ``user_create`` and calls these."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit import audit_record
from portal.errors import Conflict
from portal.models import ExternalUserState, User
from portal.services.tenants import SYSTEM
from portal.services.users import (
    UserError,
    _offboard,
    _release_name,
    on_user_attributes_changed,
    user_snapshot,
)

REDEEM_ACTIVITY = "Redeem external user invite"
REMOVE_WITHOUT_GROUPS_ACTIVITY = "Delete guest removed from their last group"


@transaction.atomic
def guest_accept(*, user: User, password: str) -> User:
    """The guest redeems their invitation: their password (Django's validators), state Accepted. The
    caller has checked the invitation link; the guest is the actor of the audit event."""
    user = User.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=user.pk)
    if user.external_user_state != ExternalUserState.PENDING_ACCEPTANCE:
        raise Conflict("This invitation was already redeemed: sign in instead.")
    if not user.is_active:
        raise Conflict("This account is disabled or deleted: ask the person who invited you.")
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise UserError(" ".join(exc.messages), "password") from exc
    user.set_password(password)
    user.external_user_state = ExternalUserState.ACCEPTED
    user.external_user_state_change_date_time = timezone.now()
    user.save(update_fields=["password", "external_user_state", "external_user_state_change_date_time"])
    audit_record(
        tenant=user.tenant,
        actor=user,
        activity=REDEEM_ACTIVITY,
        target=user,
        before={"externalUserState": ExternalUserState.PENDING_ACCEPTANCE},
        after={"externalUserState": ExternalUserState.ACCEPTED},
        category="UserManagement",
    )
    return user


@transaction.atomic
def guest_remove_without_groups(*, user: User, reason: str) -> bool:
    """Delete (softly: restorable for 30 days) a live guest who belongs to no group any more, as the
    system: the tenant's "remove a guest removed from their last group" setting asked for it. Returns
    whether the guest was deleted."""
    user = User.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=user.pk)
    if not user.is_guest or not user.is_active:
        return False
    before = user_snapshot(user)
    user.deleted_date_time = timezone.now()
    _release_name(user)  # as every deleted user's: a new invitation may take it
    user.save(update_fields=["deleted_date_time", "user_principal_name"])
    audit_record(
        tenant=user.tenant,
        actor=SYSTEM,
        activity=REMOVE_WITHOUT_GROUPS_ACTIVITY,
        target=user,
        before=before,
        reason=reason,
        category="UserManagement",
    )
    # Their ownerships and pending requests go as a leaver's do (the restore puts them back).
    _offboard(actor=SYSTEM, user=user, reason=reason)
    on_user_attributes_changed(tenant=user.tenant, users=[user], actor=SYSTEM)
    return True


__all__ = ["REDEEM_ACTIVITY", "REMOVE_WITHOUT_GROUPS_ACTIVITY", "guest_accept", "guest_remove_without_groups"]
