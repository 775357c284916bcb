"""Who may invite guests, which addresses may be invited, and what an invited guest is called.

Entra's external collaboration settings, kept on the tenant's settings row (``TenantGroupSettings``):

- ``allow_invites_from`` (Graph's ``authorizationPolicy.allowInvitesFrom``; Entra's default ``everyone``):

  ================================  ==========================================================
  none                              nobody, administrators included
  adminsAndGuestInviters            roles holding ``users/inviteGuest`` (Global and User
                                    Administrators, Guest Inviter)
  adminsGuestInvitersAndAllMembers  those, and every member (not guests)
  everyone                          those, members and guests
  ================================  ==========================================================

- collaboration restrictions: any domain, a deny list, or an allow list of email domains, checked on
  every invitation (a subdomain matches its parent: ``eu.fabrikam.com`` is in ``fabrikam.com``). The
  tenant's own verified domains are never invited as guests: they are its members' domains.

``portal.authz`` asks ``invite_refusal`` for the ``users/inviteGuest`` action; the invitation service
asks ``address_refusal`` for each address.
"""

from __future__ import annotations

import re
from typing import Any

from portal.models import AllowInvitesFrom, CollaborationRestriction

SETTING_GRANT = "Tenant setting: guest invite restrictions"
# An email address: one @, a dotted domain; no spaces or angle brackets.
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
EMAIL_MAX_LENGTH = 254
# Characters of an email's local part that a userPrincipalName can't hold.
_NOT_IN_UPN = re.compile(r"[^A-Za-z0-9._%+'-]")


def invite_refusal(actor: Any, setting: str, *, holds_inviter_role: bool) -> str:
    """Why ``actor`` may not invite guests under ``setting``; "" when it may."""
    if setting == AllowInvitesFrom.NONE:
        return "Your organization doesn't allow anyone to invite guests."
    if holds_inviter_role:
        return ""
    if setting == AllowInvitesFrom.ADMINS_AND_GUEST_INVITERS:
        return "Only administrators and Guest Inviters can invite guests in your organization."
    if getattr(actor, "is_guest", False) and setting != AllowInvitesFrom.EVERYONE:
        return "Guests can't invite other guests in your organization."
    if not hasattr(actor, "user_type"):  # an app holds no role that invites
        return "The app's role doesn't invite guests."
    return ""


def normalize_email(address: str) -> str:
    """The address as stored: trimmed, its domain in lower case."""
    local, _, domain = (address or "").strip().rpartition("@")
    return f"{local}@{domain.lower()}" if local else (address or "").strip()


def _in_domains(domain: str, domains: list[str]) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in domains)


def email_refusal(address: str) -> str:
    """Why ``address`` isn't an email address that can be invited; "" when it is."""
    if len(address) > EMAIL_MAX_LENGTH or not EMAIL_RE.match(address):
        return f"“{address[:80]}” is not an email address."
    return ""


def domain_refusal(address: str, *, settings: Any, verified_domains: list[str]) -> str:
    """Why the domain of ``address`` (an email address) can't be invited: the tenant's own domains, the
    collaboration restrictions; "" when it can."""
    domain = address.rsplit("@", 1)[1].lower()
    if _in_domains(domain, [d.lower() for d in verified_domains or []]):
        return f"{domain} is a domain of your organization: add its people as members, not guests."
    listed = _in_domains(domain, settings.collaboration_domain_list)
    if settings.collaboration_restriction == CollaborationRestriction.DENY and listed:
        return f"Your organization doesn't allow invitations to {domain}."
    if settings.collaboration_restriction == CollaborationRestriction.ALLOW and not listed:
        allowed = ", ".join(settings.collaboration_domain_list) or "none"
        return f"Your organization allows invitations only to these domains: {allowed}."
    return ""


def address_refusal(address: str, *, settings: Any, verified_domains: list[str]) -> str:
    """Why ``address`` can't be invited (its form, then its domain); "" when it can."""
    return email_refusal(address) or domain_refusal(
        address, settings=settings, verified_domains=verified_domains
    )


def guest_user_principal_name(address: str, tenant: Any) -> str:
    """Entra's name for an invited guest: ``ada_fabrikam.com#EXT#@<the tenant's initial domain>``."""
    local, _, domain = address.rpartition("@")
    local = _NOT_IN_UPN.sub("_", local).lower()
    return f"{local}_{domain.lower()}#EXT#@{tenant.default_domain.lower()}"


__all__ = [
    "EMAIL_RE",
    "SETTING_GRANT",
    "address_refusal",
    "domain_refusal",
    "email_refusal",
    "guest_user_principal_name",
    "invite_refusal",
    "normalize_email",
]
