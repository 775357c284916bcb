"""The audit record of a refused attempt, kept out of the transaction the refusal rolls back.

``authorize()`` refuses from inside a service's ``@transaction.atomic``; the ``PermissionDenied`` it
raises rolls that transaction (or savepoint) back, and an audit row written in it would go too.

The choice: defer the write until no transaction is open, so it runs in autocommit: a transaction of
its own. The exception may unwind any number of enclosing atomic blocks, and every one of them is
rolled back with it; only outside all of them is a write safe. The record is held on the database
connection and written

- at once, when the refusal happened outside any atomic block;
- else as soon as the connection is outside every atomic block: right after the rollback that ends
  the last one, or before the next statement run there (an execute wrapper); this is what a test
  asserting right after the refused call sees (the block a test case wraps each test in is not
  counted: it stands for the database as the test left it, not for a transaction of the app);
- and at the end of every HTTP request (``portal.middleware``), so nothing waits past a request.

Why not a second database alias with its own connection: SQLite has one writer at a time, and with
``transaction_mode = IMMEDIATE`` the transaction about to be rolled back holds the write lock from its
``BEGIN``; a second connection would wait for it (and fail), on the file database and on the shared
in-memory test database alike. PostgreSQL could, but one mechanism for both backends is simpler to
trust, and it doesn't leave committed rows behind in rolled-back test transactions.
"""

from __future__ import annotations

import contextvars
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

from portal.audit import current_request_id, describe
from portal.models import AuditEvent

_PENDING = "_groupdesk_pending_refusals"
# Set per HTTP request by portal.middleware. A refusal while showing a page (GET, HEAD) is a page
# the person may not see, not an attempted change: only unsafe methods and non-HTTP callers
# (commands, tasks, tests calling services) are recorded.
current_request_method: contextvars.ContextVar[str] = contextvars.ContextVar(
    "groupdesk_request_method", default=""
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# What a refused action would have been, in the audit log's words.
ACTIVITIES = {
    "create": "Add group",
    "createAsOwner": "Add group",
    "delete": "Delete group",
    "restore": "Restore group",
    "renew": "Renew group",
    "members/update": "Update group members",
    "guests/invite": "Invite guest into group",
    "microsoft.directory/users/inviteGuest": "Invite external user",
    "owners/update": "Update group owners",
    "dynamicMembershipRule/update": "Update group membership rule",
    "requests/decide": "Decide join request",
    "cancel": "Cancel join request",
    "join": "Join group",
    "request": "Request to join group",
    "leave": "Leave group",
    "externalConnections/create": "Add external connection",
    "externalConnections/update": "Update external connection",
    "externalConnections/delete": "Delete external connection",
}


def activity_for(action: str) -> str:
    if action in ACTIVITIES:
        return ACTIVITIES[action]
    if action.endswith("/update") and "/" not in action.removesuffix("/update").removeprefix(
        "microsoft.directory/"
    ):
        return "Update group"
    return f"Use {action.removeprefix('microsoft.directory/')}"


def record_refusal(*, actor: Any, action: str, target: Any, member: Any = None, reason: str) -> None:
    """Record that ``actor`` was refused ``action`` on ``target`` (result: failure)."""
    if current_request_method.get() in SAFE_METHODS:
        return
    tenant_id = getattr(actor, "tenant_id", None) or getattr(target, "tenant_id", None)
    if tenant_id is None:
        return  # an anonymous attempt on nothing tenant-owned: no tenant log to put it in
    foreign = getattr(target, "tenant_id", tenant_id) != tenant_id
    target_id, target_type, target_name = ("", "", "") if foreign else describe(_plain(target))
    actor_id, actor_type, actor_name = describe(actor if getattr(actor, "is_authenticated", False) else None)
    details: dict[str, Any] = {"action": action}
    if member is not None and not foreign:
        details["member"] = getattr(member, "user_principal_name", None) or getattr(
            member, "display_name", ""
        )
    row = {
        "tenant_id": tenant_id,
        "activity": activity_for(action),
        "category": "GroupManagement"
        if not action.startswith("microsoft.directory/role")
        else "RoleManagement",
        "result": AuditEvent.Result.FAILURE,
        "actor_id": actor_id,
        "actor_type": actor_type,
        "actor_name": actor_name,
        "target_id": target_id,
        "target_type": target_type,
        "target_name": target_name,
        "after": details,
        "reason": reason if not foreign else "Not found: an object of another organization.",
        "request_id": current_request_id.get() or "",
    }
    connection = connections[DEFAULT_DB_ALIAS]
    depth = _depth(connection)
    if depth == 0:
        AuditEvent.objects.create(**row)
        return
    connection.__dict__.setdefault(_PENDING, []).append(row)
    if _flush_before not in connection.execute_wrappers:
        # First in the list: other code's execute_wrapper() context managers pop from the end.
        connection.execute_wrappers.insert(0, _flush_before)


def _depth(connection) -> int:
    """How many atomic blocks are open, not counting those a test case wraps each test in (which
    stand for "the database as the test left it", not for a transaction of the application)."""
    return sum(1 for block in connection.atomic_blocks if not getattr(block, "_from_testcase", False))


def _plain(target: Any) -> Any:
    # What is no row yet (a group about to be created: groups.authz.GroupSpec) names itself.
    return getattr(target, "audit_name", None) or target


def flush_refusals(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Write the pending refusals, once no transaction of the application is open any more."""
    connection = connections[alias]
    pending = connection.__dict__.get(_PENDING)
    if not pending or _depth(connection) > 0:
        return
    connection.__dict__[_PENDING] = []
    if _flush_before in connection.execute_wrappers:
        connection.execute_wrappers.remove(_flush_before)
    AuditEvent.objects.using(alias).bulk_create([AuditEvent(**row) for row in pending])


def discard_pending_refusals(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Tests only: forget refusals recorded inside a test transaction that is being rolled back."""
    connection = connections[alias]
    connection.__dict__.pop(_PENDING, None)
    if _flush_before in connection.execute_wrappers:
        connection.execute_wrappers.remove(_flush_before)


def _flush_before(execute, sql, params, many, context):
    connection = context["connection"]
    if connection.alias != DEFAULT_DB_ALIAS or not connection.__dict__.get(_PENDING):
        return execute(sql, params, many, context)
    if isinstance(sql, str) and sql.lstrip()[:8].upper() == "ROLLBACK":
        # Leaving a block by rolling back its savepoint: write after the rollback, not before it.
        result = execute(sql, params, many, context)
        flush_refusals(connection.alias)
        return result
    flush_refusals(connection.alias)
    return execute(sql, params, many, context)
