"""State changes of groups, memberships and ownerships: authorize → change → audit, in one
transaction. One module per area; the names are re-exported here so callers import
``groups.services``.

errors.py     ServiceError, NamingError
core.py       create, soft delete, the member and owner services
membership/    THE writer of memberships and ownerships (every path into or out of a group)
bulk.py       CSV bulk add and remove of members
policy.py     naming policy and expiration dates of new groups
lifecycle.py  provisioning, update, restore, permanent delete, renew
"""

from __future__ import annotations

from groups.services.bulk import (
    BULK_MAX_LINES,
    BulkLine,
    BulkReport,
    memberships_bulk_add,
    memberships_bulk_remove,
    parse_member_csv,
)
from groups.services.core import (
    default_join_policy,
    group_create,
    group_snapshot,
    group_soft_delete,
    membership_add,
    membership_remove,
    ownership_add,
    ownership_remove,
)
from groups.services.errors import (
    NamingError,
    ServiceError,
)
from groups.services.invariants import check_member_allowed
from groups.services.lifecycle import (
    UPDATE_RIGHTS,
    creator_becomes_owner,
    group_hard_delete,
    group_provision,
    group_renew,
    group_restore,
    group_update,
)
from groups.services.policy import (
    expiration_covers,
    initial_expiration,
)

__all__ = [
    "ServiceError",
    "NamingError",
    "group_snapshot",
    "default_join_policy",
    "group_create",
    "check_member_allowed",
    "membership_add",
    "membership_remove",
    "ownership_add",
    "ownership_remove",
    "group_soft_delete",
    "BULK_MAX_LINES",
    "BulkLine",
    "BulkReport",
    "parse_member_csv",
    "memberships_bulk_add",
    "memberships_bulk_remove",
    "expiration_covers",
    "initial_expiration",
    "creator_becomes_owner",
    "group_provision",
    "UPDATE_RIGHTS",
    "group_update",
    "group_restore",
    "group_hard_delete",
    "group_renew",
]
