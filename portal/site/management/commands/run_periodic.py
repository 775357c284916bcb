from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.moments import date_time_or_none
from portal.site.periodic import JOBS, run_all


class Command(BaseCommand):
    help = "Run one pass of Groupdesk's periodic work (for cron or a systemd timer). Idempotent."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--only", action="append", choices=sorted(JOBS), help="Run just this job (repeatable)"
        )
        parser.add_argument("--now", help="Pretend it is this ISO 8601 time (for testing and catch-up runs)")

    def handle(self, *args, only: list[str] | None, now: str | None, **options) -> None:
        moment = timezone.now()
        if now:
            moment = date_time_or_none(now)
            if moment is None:
                raise CommandError(f"--now must be an ISO 8601 date-time, not {now!r}")
        for name, count in run_all(now=moment, only=only).items():
            self.stdout.write(f"{name}: {count}")
