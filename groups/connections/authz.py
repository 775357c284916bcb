"""The external connection rules of the one authorization function, registered into ``portal.authz``.

Targets: an ``ExternalConnection`` (its groups, members and items are changed as the connection), or a
``ConnectionScope`` (the tenant's connections as a whole: list, create). Every action needs the tenant
permission ``roles.SEARCH_MANAGE`` (Entra's Search Administrator; Global Administrators hold it too).
Callers ask ``portal.authz.decide`` / ``authorize``, never these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from groups.connections.models import ExternalConnection
from portal import authz, roles
from portal.authz import ActorContext, Decision

READ = "externalConnections/read"
CREATE = "externalConnections/create"
UPDATE = "externalConnections/update"
DELETE = "externalConnections/delete"
ACTIONS = frozenset({READ, CREATE, UPDATE, DELETE})


@dataclass(frozen=True)
class ConnectionScope:
    """The connections of one tenant, before there is a connection to name."""

    tenant_id: Any

    @property
    def display_name(self) -> str:
        return "external connections"

    pk = ""


def decide_connection(
    actor: Any, ctx: ActorContext, action: str, target: Any, member: Any = None
) -> Decision:
    if action not in ACTIONS:
        raise ValueError(f"unknown external connection action {action!r}")
    if action == CREATE and isinstance(target, ExternalConnection):
        return authz.deny("A connection is created in the tenant, not in another connection.")
    granted = ctx.has_tenant_permission(roles.SEARCH_MANAGE)
    if granted:
        return authz.allow(*granted)
    return authz.deny("Only Search Administrators and Global Administrators manage external connections.")


def register() -> None:
    """Plug the connection rules into ``portal.authz`` (from ``GroupsConfig.ready``)."""
    for target_type in (ExternalConnection, ConnectionScope):
        authz.register_target(target_type, decide_connection, is_change=lambda action: action != READ)
