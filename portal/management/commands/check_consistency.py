"""``manage.py check_consistency [--tenant SLUG] [--only NAME ...]``: recompute from scratch what is kept
incrementally and print every difference. Exit status 0 when there is none, 1 when there is one."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from portal.consistency import checker_names, run_checks
from portal.models import Tenant


class Command(BaseCommand):
    help = "Recompute incrementally kept state from scratch and report every difference (exit 1 if any)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", help="Only this tenant (its slug).")
        parser.add_argument("--only", nargs="+", metavar="NAME", help="Only these checkers.")

    def handle(self, *args, tenant: str | None = None, only: list[str] | None = None, **options) -> None:
        tenants = None
        if tenant is not None:
            tenants = list(Tenant.objects.filter(slug=tenant))
            if not tenants:
                raise CommandError(f"No tenant with the slug “{tenant}”.")
        unknown = set(only or []) - set(checker_names())
        if unknown:
            raise CommandError(
                f"Unknown checkers: {', '.join(sorted(unknown))}. Known: {', '.join(checker_names())}."
            )
        differences = run_checks(tenants=tenants, only=only)
        for difference in differences:
            self.stdout.write(str(difference))
        checked = ", ".join(only or checker_names()) or "no checker registered"
        if differences:
            self.stdout.write(f"{len(differences)} difference(s) found ({checked}).")
            sys.exit(1)
        self.stdout.write(f"No differences ({checked}).")
