"""Background work of groups, through the django_tasks API (Django 6's tasks framework, backported).

The immediate backend (default) runs a task at once, in the caller's transaction; with
TASKS_BACKEND=database, `manage.py db_worker` processes run them.
"""

from __future__ import annotations

from django_tasks import task


@task()
def recompute_group_task(group_id: str) -> dict:
    from groups.dynamic import recompute_group

    result = recompute_group(group_id)
    return {"added": result.added, "removed": result.removed, "skipped": result.skipped}
