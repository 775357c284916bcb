"""The one writer's step 3 (see ``groups.services.membership``): what follows every membership write, in
the writer's transaction: stored member counts, group-based licences, the registered reactions, the
cached grants of the users whose memberships changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from groups.licensing.services import licenses_after_membership_change
from groups.services.member_counts import recount
from portal.authz import forget
from portal.models import Tenant, User


@dataclass(frozen=True)
class Change:
    """What one write changed: handed to every registered reaction."""

    tenant: Tenant
    group_ids: frozenset
    members: tuple = ()  # the users, devices, groups and service principals that joined or left
    by_rule: bool = False  # written by dynamic membership, which settles memberOf rules itself
    licensed: bool | None = None  # whether the tenant has group licences, if just read (None: unknown)
    counted: bool = False  # the stored member counts were already kept by the write itself (rule_sql)


_reactions: list[Callable[[Change], None]] = []


def register_reaction(reaction: Callable[[Change], None]) -> None:
    """Run ``reaction`` after every membership write (from an ``AppConfig.ready``)."""
    if reaction not in _reactions:
        _reactions.append(reaction)


def _after(change: Change) -> None:
    if not change.group_ids:
        return
    if not change.counted:
        recount(change.group_ids)
    if change.licensed is not False:  # False: the tenant has no group licence (read with the change)
        licenses_after_membership_change(
            tenant=change.tenant, group_ids=change.group_ids, members=change.members
        )
    for reaction in _reactions:
        reaction(change)
    for member in change.members:
        if isinstance(member, User):
            forget(member)
