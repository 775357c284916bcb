"""``manage.py db_worker``: django-tasks-db's worker, which first queues again the dynamic-group
recomputations that a killed worker left "running" (``groups.dynamic.recompute.requeue_stalled``; the
periodic job ``requeue_stalled_recomputes`` does the same every few minutes). This command takes over
the name because ``groups`` comes before ``django_tasks_db`` in ``INSTALLED_APPS``."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorker

from groups.dynamic.recompute import requeue_stalled


class Command(DbWorker):
    help = DbWorker.help + " First queues again the group recomputations a lost worker left running."

    def handle(self, *args: Any, **options: Any) -> None:
        if requeued := requeue_stalled(now=timezone.now()):
            self.stderr.write(
                f"Queued again {requeued} group recomputation(s) left running by a lost worker."
            )
        super().handle(*args, **options)
