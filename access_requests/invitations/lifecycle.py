"""The guest lifecycle: a guest who left their last group (removed automatically when the tenant says
so), and inactive guests (no sign-in for the tenant's number of days), disabled or removed in bulk."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from groups.models import Membership
from groups.services.membership import Change
from portal.errors import ServiceError
from portal.models import TenantGroupSettings, User, UserType
from portal.services import user_delete, user_update
from portal.services.guests import guest_remove_without_groups

LAST_GROUP_REASON = "Removed from their last group: the organization removes guests without groups."


def on_membership_written(change: Change) -> None:
    """A reaction registered with the one writer: guests the write left in no group are deleted (as the
    system, audited), when the tenant's "remove a guest removed from their last group" is on.

    Only live guests who were part of the change and now belong to nothing: a leaver being offboarded
    is already disabled or deleted, and a guest just added belongs to a group."""
    guests = [m for m in change.members if isinstance(m, User) and m.user_type == UserType.GUEST]
    if not guests or not _removes_guests_without_groups(change.tenant):
        return
    still_in = set(Membership.objects.filter(member_user__in=guests).values_list("member_user_id", flat=True))
    for guest in guests:
        if guest.pk not in still_in and guest.is_active:
            guest_remove_without_groups(user=guest, reason=LAST_GROUP_REASON)


def _removes_guests_without_groups(tenant) -> bool:
    """The setting as stored now (one query, only when guests were written): not a copy cached on an
    object loaded before the setting changed."""
    return bool(
        TenantGroupSettings.objects.filter(tenant=tenant)
        .values_list("remove_guests_without_groups", flat=True)
        .first()
    )


@dataclass
class GuestsOutcome:
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def guests_disable_or_remove(*, actor: Any, guests: list[User], remove: bool) -> GuestsOutcome:
    """Disable (a leaver: out of their groups, back in when enabled within 30 days) or delete each
    guest through the user services, each in its own transaction: a refusal is reported, not raised."""
    outcome = GuestsOutcome()
    for guest in guests:
        if not guest.is_guest:
            outcome.refused.append((guest.display_name, "not a guest"))
            continue
        try:
            with transaction.atomic():
                if remove:
                    user_delete(actor=actor, user=guest)
                else:
                    user_update(actor=actor, user=guest, changes={"account_enabled": False})
        except (ServiceError, PermissionDenied) as exc:
            outcome.refused.append((guest.display_name, str(exc)))
        else:
            outcome.done.append(guest.display_name)
    return outcome
