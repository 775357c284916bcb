"""Who is recomputing a dynamic group right now: a lease that dies with its worker.

A recomputation holds a PostgreSQL session advisory lock keyed on its group from before it marks the
group "running" until after it marks it finished. A ``db_worker`` killed in the middle (``kill -9``, the
machine lost) closes its connection, and PostgreSQL drops the lock with it: a group still "running"
whose lock is free has lost its worker, and ``requeue_stalled`` queues it again. The same lock makes two
workers recomputing one group take turns. (A transaction-pooling proxy such as pgbouncer in transaction
mode would break session locks: give the workers a direct or session-pooled connection.)

Other databases have no such lock: there a group "running" for longer than ``SQLITE_LEASE`` counts as
lost (SQLite runs the workers of one machine; the immediate backend never leaves a group running).
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db import connection

SQLITE_LEASE = timedelta(hours=1)
_NAMESPACE = b"groupdesk.recompute:"


def _key(group_id: uuid.UUID | str) -> int:
    """A signed 64-bit advisory-lock key for the group (stable across processes)."""
    digest = hashlib.blake2b(_NAMESPACE + str(group_id).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def held(group_id: uuid.UUID | str) -> Iterator[None]:
    """Hold the group's recomputation lease (waiting for another worker's run of the same group)."""
    if not _postgresql():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_key(group_id)])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_key(group_id)])


@contextlib.contextmanager
def probe(group_id: uuid.UUID | str, *, started: datetime | None, now: datetime) -> Iterator[bool]:
    """Whether a group marked "running" has lost its worker. On PostgreSQL the lease is held for the
    block when it was free, so no worker can start or finish that group meanwhile: re-read its status
    inside before acting on it."""
    if not _postgresql():
        yield started is None or now - started > SQLITE_LEASE
        return
    key = _key(group_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        (free,) = cursor.fetchone()
    try:
        yield bool(free)
    finally:
        if free:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
