"""``manage.py loadtest [--seconds 30] [--users 20]``: mixed traffic (locust, headless) against gunicorn
with 2 workers on this database, on 127.0.0.1 only, for a bounded time; then the checks: zero 5xx,
every accepted write present exactly once with its audit event, every change of the run audited,
``check_consistency`` clean. Exit status 1 when any check fails. Needs the demo tenant (seed_demo).
``--seconds 300`` is the on-demand five-minute run. ``--fault-command CMD --fault-at S`` runs CMD (a
database restart, a worker killed ...) S seconds in: then 503 "try again" answers are allowed while
the database is away, and nothing else changes in the checks (no lost or doubled write)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from portal.site.bench.command_support import this_database_url
from portal.site.load.run import Fault, run_load


class Command(BaseCommand):
    help = (
        "Load test: locust against gunicorn + this database, then consistency checks (exit 1 on a problem)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seconds", type=int, default=30)
        parser.add_argument("--users", type=int, default=20, help="Concurrent locust users")
        parser.add_argument("--fault-command", default="", help="Shell command run during the load")
        parser.add_argument("--fault-at", type=float, default=10, help="Seconds into the load")

    def handle(self, *args, seconds: int, users: int, fault_command: str, fault_at: float, **options) -> None:
        fault = Fault(fault_command, fault_at) if fault_command else None
        report = run_load(this_database_url(), seconds=seconds, users=users, fault=fault)
        self.stdout.write(
            f"{report.requests} requests in {seconds}s ({report.rps:.1f} req/s, {users} users), "
            f"{report.failures} failures; accepted writes: {report.writes}"
        )
        if report.server_errors:
            self.stdout.write(f"5xx answers by status: {report.server_errors}")
        if report.unavailable:
            first, last = report.unavailable
            self.stdout.write(f"503 (database away) from {first:.1f} s to {last:.1f} s into the load")
        for row in report.table:
            if row["Name"] != "Aggregated":
                self.stdout.write(
                    f"  {row['Type']:<6} {row['Name']:<32} {row['Request Count']:>6} "
                    f"p50 {row['50%']:>6} ms  p95 {row['95%']:>6} ms  failures {row['Failure Count']}"
                )
        for problem in report.problems:
            self.stdout.write(f"PROBLEM: {problem}")
        if report.problems:
            self.stdout.write(f"{len(report.problems)} problem(s).")
            sys.exit(1)
        self.stdout.write(
            self.style.SUCCESS("No 5xx; every accepted write present once and audited; consistent.")
        )
