"""Inviting guests, and the invitation's life: resend, revoke, redeem.

``guest_invite`` runs the steps of every write in one transaction: the tenant's invite setting
(``users/inviteGuest``, decided by ``portal.authz``) → the address (form, the tenant's own domains, the
collaboration restrictions: ``portal.guest_policy``) → the guest account through ``user_create``
(userType Guest, externalUserState PendingAcceptance, creationType Invitation, the ``#EXT#`` name) →
the groups through the one writer (``guests/invite``: owners and administrators, or members of a
Microsoft 365 group when the tenant lets members add guests) → the invitation row → one audit event per
change → the email with its single-use link.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from access_requests.invitations.links import read_token
from access_requests.invitations.mail import send_invitation
from access_requests.models import Invitation
from groups.models import Group
from groups.services.membership import member_add
from portal import guest_policy, roles
from portal.audit import audit_record
from portal.authz import acting_user, authorize, can, group_settings_for
from portal.errors import Conflict, Invalid, NotFound, Refused
from portal.models import CreationType, ExternalUserState, Tenant, User, UserType
from portal.services import user_create
from portal.services.guests import guest_accept

INVITE_ACTIVITY = "Invite external user"
RESEND_ACTIVITY = "Resend external user invite"
REVOKE_ACTIVITY = "Revoke external user invite"
LINK_DAYS = 30  # a link not redeemed by then stops working; a resend gives a fresh one
MAX_GROUPS = 20
MAX_MESSAGE = 2000
GUEST_INVITE_FIELDS = (
    "creation_type",
    "external_user_state",
    "external_user_state_change_date_time",
    "invited_by",
)


@dataclass
class Invited:
    invitation: Invitation
    user: User
    groups: list[Group] = field(default_factory=list)


def _actor_name(actor: Any) -> str:
    return getattr(actor, "display_name", None) or str(actor)


def _check_address(tenant: Tenant, email: str) -> str:
    email = guest_policy.normalize_email(email)
    if why := guest_policy.email_refusal(email):
        raise Invalid(why, field="email")
    settings = group_settings_for(tenant)
    if why := guest_policy.domain_refusal(email, settings=settings, verified_domains=tenant.verified_domains):
        raise Refused(why, field="email")
    if User.objects.for_tenant(tenant).filter(mail__iexact=email).exists():
        raise Conflict(f"{email} is already in your organization.", field="email")
    return email


@transaction.atomic
def guest_invite(
    *,
    actor: Any,
    tenant: Tenant,
    email: str,
    display_name: str = "",
    groups: list[Group] | tuple = (),
    redirect_url: str = "",
    message: str = "",
    send_email: bool = True,
) -> Invited:
    """Invite ``email`` as a guest of ``tenant``, into ``groups`` at once (all or nothing)."""
    authorize(actor, roles.USERS_INVITE_GUEST)
    email = _check_address(tenant, email)
    if len(groups) > MAX_GROUPS:
        raise Invalid(f"Invite into at most {MAX_GROUPS} groups at once.", field="groups")
    if len(message) > MAX_MESSAGE:
        raise Invalid(f"The message is at most {MAX_MESSAGE} characters.", field="message")
    now = timezone.now()
    user = user_create(
        actor=actor,
        tenant=tenant,
        user_principal_name=guest_policy.guest_user_principal_name(email, tenant),
        display_name=(display_name or "").strip() or email.split("@", 1)[0],
        values={
            "user_type": UserType.GUEST,
            "mail": email,
            "creation_type": CreationType.INVITATION,
            "external_user_state": ExternalUserState.PENDING_ACCEPTANCE,
            "external_user_state_change_date_time": now,
            "invited_by": acting_user(actor),
        },
        verified_domain_only=False,
        activity=INVITE_ACTIVITY,
        permission=roles.USERS_INVITE_GUEST,
    )
    for group in groups:
        if group.tenant_id != tenant.pk:
            raise NotFound("That group belongs to another organization.", field="groups")
        member_add(actor=actor, group=group, member=user, right="guests/invite", reason="Invited as a guest")
    invitation = Invitation.objects.create(
        tenant=tenant,
        invited_user=user,
        invited_by=acting_user(actor),
        invited_by_name=_actor_name(actor),
        email=email,
        redirect_url=redirect_url,
        message=message,
        groups=[g.display_name for g in groups],
        nonce=secrets.token_hex(16),
        expires_date_time=now + timedelta(days=LINK_DAYS),
        sent_date_time=now if send_email else None,
    )
    if send_email:
        send_invitation(invitation, tenant_name=tenant.name)
    return Invited(invitation=invitation, user=user, groups=list(groups))


def _authorize_manage(actor: Any, invitation: Invitation) -> None:
    """Resend and revoke: whoever may invite, for their own invitations or with the right to change users."""
    authorize(actor, roles.USERS_INVITE_GUEST)
    if invitation.invited_by_id is None or invitation.invited_by_id != getattr(actor, "pk", None):
        authorize(actor, roles.USERS_UPDATE, invitation.invited_user)


def _open_invitation(invitation: Invitation) -> Invitation:
    locked = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("invited_user", "tenant")
        .get(pk=invitation.pk)
    )
    if locked.redeemed_date_time is not None:
        raise Conflict("This invitation was already redeemed.")
    if locked.revoked_date_time is not None:
        raise Conflict("This invitation was revoked: invite the person again.")
    return locked


@transaction.atomic
def invitation_resend(*, actor: Any, invitation: Invitation) -> Invitation:
    """A new email with a new link (the older links stop working) valid for another ``LINK_DAYS``."""
    _authorize_manage(actor, invitation)
    invitation = _open_invitation(invitation)
    if not invitation.invited_user.is_active:
        raise Conflict("This guest is disabled or deleted: enable or restore them first.")
    now = timezone.now()
    invitation.nonce = secrets.token_hex(16)
    invitation.sent_date_time = now
    invitation.expires_date_time = now + timedelta(days=LINK_DAYS)
    invitation.save(update_fields=["nonce", "sent_date_time", "expires_date_time"])
    audit_record(
        tenant=invitation.tenant,
        actor=actor,
        activity=RESEND_ACTIVITY,
        target=invitation.invited_user,
        after={"email": invitation.email, "expires": invitation.expires_date_time.isoformat()},
        category="UserManagement",
    )
    send_invitation(invitation, tenant_name=invitation.tenant.name)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: Any, invitation: Invitation) -> Invitation:
    """The link stops working for good; the guest stays pending (and can't sign in) until invited again
    or deleted."""
    _authorize_manage(actor, invitation)
    invitation = _open_invitation(invitation)
    invitation.revoked_date_time = timezone.now()
    invitation.save(update_fields=["revoked_date_time"])
    audit_record(
        tenant=invitation.tenant,
        actor=actor,
        activity=REVOKE_ACTIVITY,
        target=invitation.invited_user,
        before={"email": invitation.email},
        category="UserManagement",
    )
    return invitation


LINK_INVALID = "This invitation link isn't valid. Check that you copied all of it."


def invitation_for_token(token: str, *, now=None) -> Invitation:
    """The open invitation a link names, or the reason it can't be redeemed (``Invalid`` / ``Conflict``)."""
    parsed = read_token(token)
    if parsed is None:
        raise Invalid(LINK_INVALID)
    invitation_id, nonce = parsed
    invitation = (
        Invitation.objects.select_related("invited_user", "tenant").filter(pk=invitation_id).first()
        if _is_uuid(invitation_id)
        else None
    )
    if invitation is None:
        raise Invalid(LINK_INVALID)
    if invitation.redeemed_date_time is not None:
        raise Conflict("This invitation was already used: sign in with the account name it gave you.")
    if invitation.revoked_date_time is not None:
        raise Conflict("This invitation was withdrawn. Ask the person who invited you.")
    if nonce != invitation.nonce:
        raise Conflict("A newer invitation email replaced this one: use the link in the latest email.")
    if (now or timezone.now()) >= invitation.expires_date_time:
        raise Conflict("This invitation expired. Ask the person who invited you to send it again.")
    if not invitation.invited_user.is_active:
        raise Conflict("This account is disabled or deleted. Ask the person who invited you.")
    return invitation


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@transaction.atomic
def invitation_redeem(*, token: str, password: str) -> User:
    """Redeem a link: single use (the row is locked, then marked), before it expires, not revoked."""
    invitation = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    invitation = invitation_for_token(token)  # again, under the lock: a second tab can't redeem twice
    user = guest_accept(user=invitation.invited_user, password=password)
    invitation.redeemed_date_time = timezone.now()
    invitation.save(update_fields=["redeemed_date_time"])
    return user


def may_manage(actor: Any, invitation: Invitation) -> bool:
    """Whether the user page offers resend and revoke to ``actor``."""
    if not can(actor, roles.USERS_INVITE_GUEST):
        return False
    return invitation.invited_by_id == getattr(actor, "pk", None) or can(
        actor, roles.USERS_UPDATE, invitation.invited_user
    )
