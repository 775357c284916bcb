"""Naming policy and expiration dates of new groups (no dependency on the other services)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from groups.models import Group, GroupKind
from groups.naming import MAX_MAIL_NICKNAME, policy_for, resolve_names
from groups.services.errors import NamingError
from portal.authz import group_settings_for
from portal.models import ExpirationScope, User


def _names_under_policy(actor: User, display_name: str, mail_nickname: str) -> tuple[str, str]:
    """The final name and alias under the tenant's naming policy (administrators are exempt).

    An alias left blank is made from the name and made unique; a typed alias must be free.
    """
    policy, exempt = policy_for(actor)
    names = resolve_names(
        policy=policy, user=actor, display_name=display_name, mail_nickname=mail_nickname, exempt=exempt
    )
    if not names.ok:
        raise NamingError(names.errors)
    alias = names.mail_nickname
    if names.alias_derived:
        alias = _free_alias(actor.tenant, alias)
    return names.display_name, alias


def _free_alias(tenant: Any, alias: str) -> str:
    """``alias``, or ``alias-2``, ``alias-3`` ... the first one no group of the tenant uses."""
    taken = {
        a.lower()
        for a in Group.objects.for_tenant(tenant)
        .filter(mail_nickname__istartswith=alias[: MAX_MAIL_NICKNAME - 6])
        .values_list("mail_nickname", flat=True)
    }
    if alias.lower() not in taken:
        return alias
    n = 2
    while True:
        tail = f"-{n}"
        candidate = alias[: MAX_MAIL_NICKNAME - len(tail)] + tail
        if candidate.lower() not in taken:
            return candidate
        n += 1


def expiration_covers(settings: Any, group: Group) -> bool:
    """Does the tenant's expiration policy apply to ``group``? Microsoft 365 cloud groups only."""
    if settings is None or not settings.group_lifetime_days:
        return False
    if group.kind != GroupKind.MICROSOFT_365 or group.is_synced:
        return False
    if settings.expiration_scope == ExpirationScope.ALL:
        return True
    return settings.expiration_scope == ExpirationScope.SELECTED and group.expiration_selected


def initial_expiration(tenant: Any, *, kind: str, now: Any = None) -> Any:
    """When a new group expires: only Microsoft 365 groups, only with the policy on for all of them
    (with "selected", an administrator picks groups after they exist)."""
    settings = group_settings_for(tenant)
    if (
        settings is None
        or not settings.group_lifetime_days
        or kind != GroupKind.MICROSOFT_365
        or settings.expiration_scope != ExpirationScope.ALL
    ):
        return None
    return (now or timezone.now()) + timedelta(days=settings.group_lifetime_days)
