"""The directory read policy: who lists the users of the tenant, and which properties of a user an
actor reads. The one place the user pages, the typeahead and the JSON API take it from (through
``portal.authz.user_read_access`` and the ``users/standard/read`` tenant rule), and where the group
rules (``groups.authz``) learn the guest access level.

Entra's two switches (Graph's ``authorizationPolicy``), kept on the tenant's settings row:

- ``allowed_to_read_other_users`` (``defaultUserRolePermissions.allowedToReadOtherUsers``, default on):
  off, no user without a role reads anyone but themselves.
- ``guest_user_role_id`` (``guestUserRoleId``): the guest access level, one of three role templates.

What each reads, after Microsoft's "default user permissions" and "restrict guest access" pages:

=====================  ==================================================  =====================
who                    other users                                         groups
=====================  ==================================================  =====================
a role with users      every property of every user, and lists them        (their roles decide)
read (and apps)
a member               lists users; reads their basic profile              non-hidden memberships
                       (``BASIC_USER_PROPERTIES``)
a guest, same as       as a member                                         as a member
members
a guest, limited       reads a user it names by id or UPN: display name,   as a member (settings
(the default)          mail, sign-in name, user type; never lists users    may narrow it)
a guest, restricted    only themselves                                     only the groups they
                                                                           belong to; no members
                                                                           or owners
=====================  ==================================================  =====================

Everyone reads every property of their own account. The other properties (employeeId, extension
attributes, phones, usage location, addresses, accountEnabled ...) need a role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.models import GuestUserRole

# Graph names of the basic profile every member reads of every other user.
BASIC_USER_PROPERTIES: frozenset[str] = frozenset(
    {
        "id",
        "displayName",
        "givenName",
        "surname",
        "mail",
        "userPrincipalName",
        "jobTitle",
        "department",
        "officeLocation",
        "userType",
    }
)
# What a guest of the default (limited) level reads of a user it names: "display name, email,
# sign-in name, photo, user principal name, and user type" (and the id it named them by).
LIMITED_GUEST_USER_PROPERTIES: frozenset[str] = frozenset(
    {"id", "displayName", "mail", "userPrincipalName", "userType"}
)


@dataclass(frozen=True)
class UserReadAccess:
    """Which Graph properties of a user an actor reads; empty (falsy) with the reason when none."""

    everything: bool = False
    properties: frozenset[str] = frozenset()
    reason: str = ""

    def __contains__(self, prop: object) -> bool:
        return self.everything or prop in self.properties

    def __bool__(self) -> bool:
        return self.everything or bool(self.properties)


EVERYTHING = UserReadAccess(everything=True)


def guest_level(actor: Any, settings: Any) -> str | None:
    """The access level a guest reads the directory with; None for members (and apps)."""
    if not getattr(actor, "is_guest", False):
        return None
    return settings.guest_user_role_id


def reads_as_member(actor: Any, settings: Any) -> bool:
    return guest_level(actor, settings) in (None, GuestUserRole.SAME_AS_MEMBERS)


def is_restricted_guest(actor: Any, settings: Any) -> bool:
    """A guest who reads only their own directory objects: their own groups, none of their members."""
    return guest_level(actor, settings) == GuestUserRole.RESTRICTED


def list_refusal(actor: Any, settings: Any) -> str:
    """Why ``actor`` (holding no role that reads users) may not list the users; "" when it may."""
    if not reads_as_member(actor, settings):
        return "Guests can't list the users of this organization."
    if not settings.allowed_to_read_other_users:
        return "Your organization doesn't let users read other users' profiles."
    return ""


def other_users_access(actor: Any, settings: Any) -> UserReadAccess:
    """What ``actor``, holding no role that reads users, reads of another user."""
    if not settings.allowed_to_read_other_users:
        return UserReadAccess(reason="Your organization doesn't let users read other users' profiles.")
    if reads_as_member(actor, settings):
        return UserReadAccess(properties=BASIC_USER_PROPERTIES)
    if is_restricted_guest(actor, settings):
        return UserReadAccess(reason="Guests of this organization read only their own profile.")
    return UserReadAccess(properties=LIMITED_GUEST_USER_PROPERTIES)


__all__ = [
    "BASIC_USER_PROPERTIES",
    "EVERYTHING",
    "LIMITED_GUEST_USER_PROPERTIES",
    "UserReadAccess",
    "guest_level",
    "is_restricted_guest",
    "list_refusal",
    "other_users_access",
    "reads_as_member",
]
