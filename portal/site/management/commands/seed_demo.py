"""Demo data: the Contoso tenant (P1) with its people, groups of every kind and pending requests.

Idempotent: running it again changes nothing that is already there. ``--users N --groups M`` adds a
large, generated population by bulk inserts (for benchmarks; ``--users 100000 --groups 10000`` is the
large tenant of the README's performance section). The work is in portal/site/demo/.
"""

from __future__ import annotations

import random

from django.core.management.base import BaseCommand

from portal.site.demo.data import DEMO_PASSWORD, NAMED_USERS
from portal.site.demo.scale import bulk_population
from portal.site.demo.tenant import demo_tenant


class Command(BaseCommand):
    help = "Create the demo tenant 'contoso' (idempotent). --users/--groups add a large generated population."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--users", type=int, default=0, help="Generated users to add (bulk)")
        parser.add_argument("--groups", type=int, default=0, help="Generated groups to add (bulk)")
        parser.add_argument("--password", default=DEMO_PASSWORD)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, users: int, groups: int, password: str, seed: int, **options) -> None:
        rng = random.Random(seed)
        tenant = demo_tenant(password, rng)
        if users or groups:
            figures = bulk_population(tenant, users=users, groups=groups, rng=rng, progress=self.stdout.write)
            self.stdout.write("Large population ready:")
            for name, value in figures.items():
                self.stdout.write(
                    f"  {name:<38} {value:>10,}" if isinstance(value, int) else f"  {name:<38} {value:>10}"
                )
        self.stdout.write(self.style.SUCCESS("Demo tenant 'contoso' is ready. Sign in with:"))
        for upn, name, *_ in NAMED_USERS:
            self.stdout.write(f"  {upn:<28} {name}   password: {password}")
