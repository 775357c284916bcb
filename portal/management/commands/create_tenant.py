from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from portal.models import Plan, Tenant
from portal.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant (an organization) with its default group settings."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--plan", default="free", type=str.lower, choices=[p.lower() for p in Plan.values]
        )
        parser.add_argument("--domain", action="append", default=[], help="A verified domain (repeatable)")

    def handle(self, *args, slug: str, name: str, plan: str, domain: list[str], **options) -> None:
        if Tenant.objects.filter(slug=slug).exists():
            raise CommandError(f"A tenant with the slug {slug!r} already exists.")
        tenant = tenant_create(slug=slug, name=name, plan=plan, domains=domain)
        self.stdout.write(
            f"Created tenant {tenant.slug} ({tenant.name}, {tenant.get_plan_display()}) id {tenant.id}"
        )
