"""Reads of the guest pages: the tenant's guests with inviter, state, last sign-in and groups; the
inactive ones; the groups an invitation names; a user's latest invitation."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from access_requests.models import Invitation
from groups.models import Group, Membership
from portal.authz import decide
from portal.models import ExternalUserState, Tenant, User, UserType

GUEST_STATES = {"pending": ExternalUserState.PENDING_ACCEPTANCE, "accepted": ExternalUserState.ACCEPTED}


def guests_of(tenant: Tenant, *, state: str = "") -> QuerySet[User]:
    """The live guests of ``tenant``, by name, with who invited them (one query per page)."""
    guests = (
        User.objects.for_tenant(tenant)
        .filter(user_type=UserType.GUEST, deleted_date_time__isnull=True)
        .select_related("invited_by")
        .order_by("display_name", "user_principal_name")
    )
    if state in GUEST_STATES:
        guests = guests.filter(external_user_state=GUEST_STATES[state])
    return guests


def inactive_cutoff(tenant: Tenant, settings: Any, *, now: datetime) -> datetime:
    return now - timedelta(days=settings.guest_inactive_days)


def inactive_guests(tenant: Tenant, *, cutoff: datetime) -> QuerySet[User]:
    """Enabled guests who haven't signed in since ``cutoff`` (never, and invited before it, counts)."""
    idle = Q(last_login__lt=cutoff) | Q(last_login__isnull=True, created_date_time__lt=cutoff)
    return guests_of(tenant).filter(idle, account_enabled=True)


def groups_by_guest(guests: list[User]) -> dict[Any, list[str]]:
    """The names of the live groups each guest is a direct member of (one query for the page)."""
    names: dict[Any, list[str]] = defaultdict(list)
    rows = (
        Membership.objects.filter(member_user__in=guests, group__deleted_date_time__isnull=True)
        .order_by("group__display_name")
        .values_list("member_user_id", "group__display_name")
    )
    for user_id, name in rows:
        names[user_id].append(name)
    return names


def groups_named(actor: Any, tenant: Tenant, names: list[str]) -> tuple[list[Group], list[str]]:
    """The live groups of ``tenant`` named by id, display name or alias, that ``actor`` may read; and
    a message for each name that matches none (a group the actor can't read matches none) or several."""
    found: list[Group] = []
    problems: list[str] = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        query = Q(display_name__iexact=name) | Q(mail_nickname__iexact=name)
        if is_uuid(name):
            query |= Q(pk=name)
        matches = [
            g
            for g in Group.objects.for_tenant(tenant).alive().select_related("tenant").filter(query)[:3]
            if decide(actor, "standard/read", g)
        ]
        if not matches:
            problems.append(f"No group named “{name[:80]}”.")
        elif len(matches) > 1:
            problems.append(f"Several groups are named “{name[:80]}”: use the group's alias or id.")
        else:
            found.append(matches[0])
    return found, problems


def is_uuid(text: str) -> bool:
    return len(text) == 36 and text.count("-") == 4 and all(c in "0123456789abcdefABCDEF-" for c in text)


def latest_invitation(user: User) -> Invitation | None:
    return Invitation.objects.filter(invited_user=user).select_related("tenant").first()
