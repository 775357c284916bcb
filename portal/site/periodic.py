"""Periodic work: idempotent functions of the current time, run by ``manage.py run_periodic``.

Each job takes ``now`` (so tests pass a fixed clock) and returns how many objects it changed; running
a job twice at the same ``now`` changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils.module_loading import import_string

# name → dotted path of ``job(*, now: datetime) -> int``; apps add theirs here.
JOBS: dict[str, str] = {
    "expire_requests": "access_requests.periodic.expire_requests",
    "notify_owners": "access_requests.notifications.notify_owners_job",
    # Before expire_groups: a group in use is renewed rather than deleted.
    "group_expiration": "groups.expiration.group_expiration",
    "expire_groups": "groups.periodic.expire_groups",
    "purge_deleted_groups": "groups.periodic.purge_deleted_groups",
    "process_license_queue": "groups.licensing.services.process_license_queue",
    "requeue_stalled_recomputes": "groups.dynamic.recompute.requeue_stalled",
}


def job(name: str) -> Callable[..., int]:
    return import_string(JOBS[name])


def run_all(*, now: datetime, only: list[str] | None = None) -> dict[str, int]:
    return {name: job(name)(now=now) for name in JOBS if not only or name in only}
