"""Background work of groups, through the django_tasks API (Django 6's tasks framework, backported).

The recomputation task lives beside the recomputation (groups.dynamic.recompute), below the rule
services that queue it. This name stays importable so that tasks queued under
``groups.tasks.recompute_group_task`` (TASKS_BACKEND=database) still run.
"""

from __future__ import annotations

from groups.dynamic.recompute import recompute_group_task

__all__ = ["recompute_group_task"]
