from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from groups.dynamic.compiler import queryset_for
from groups.rules import RuleSyntaxError, parse
from portal.models import Tenant


class Command(BaseCommand):
    help = (
        "Print the userPrincipalName (or device display name) of every object of the tenant that satisfies "
        "a dynamic membership rule, one per line, sorted. An invalid rule: the error on stderr, exit code 2."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True)
        parser.add_argument("rule")

    def handle(self, *args, tenant: str, rule: str, **options) -> None:
        try:
            parsed = parse(rule)
        except RuleSyntaxError as exc:
            raise CommandError(f"Invalid rule: {exc}", returncode=2) from None
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise CommandError(f"No tenant with the slug {tenant!r}.", returncode=2)
        field = "display_name" if parsed.kind == "device" else "user_principal_name"
        names = sorted(queryset_for(parsed, tenant_obj).values_list(field, flat=True))
        for name in names:
            self.stdout.write(name)
