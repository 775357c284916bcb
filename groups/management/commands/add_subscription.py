"""manage.py add_subscription --tenant contoso --sku-part-number ENTERPRISEPACK --sku-id <uuid> --seats 25
[--service-plan <id>:<name>[:<service>] ...]: create a subscription, or resize it (idempotent by SKU id)."""

from __future__ import annotations

import uuid

from django.core.management.base import BaseCommand, CommandError

from groups.licensing.services import PlanSpec, subscription_put
from portal.errors import ServiceError
from portal.models import Tenant
from portal.services import SYSTEM


def _plan(text: str) -> PlanSpec:
    plan_id, _, rest = text.partition(":")
    name, _, service = rest.partition(":")
    try:
        parsed = uuid.UUID(plan_id)
    except ValueError:
        raise CommandError(
            f"--service-plan {text!r}: {plan_id!r} isn't a service plan id (a GUID)."
        ) from None
    if not name:
        raise CommandError(f"--service-plan {text!r}: give <id>:<name>[:<service>].")
    return PlanSpec(parsed, name, service)


class Command(BaseCommand):
    help = "Create or resize a subscription (a SKU with seats and service plans); idempotent by SKU id."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True, help="the tenant's slug")
        parser.add_argument("--sku-part-number", required=True)
        parser.add_argument("--sku-id", required=True, type=str)
        parser.add_argument("--seats", required=True, type=int)
        parser.add_argument("--service-plan", action="append", default=[], metavar="ID:NAME[:SERVICE]")

    def handle(self, *args, **options) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant {options['tenant']!r}.")
        try:
            sku_id = uuid.UUID(options["sku_id"])
        except ValueError:
            raise CommandError(f"--sku-id {options['sku_id']!r} isn't a GUID.") from None
        if options["seats"] < 0:
            raise CommandError("--seats can't be negative.")
        try:
            sku, created = subscription_put(
                tenant=tenant,
                actor=SYSTEM,
                sku_part_number=options["sku_part_number"],
                sku_id=sku_id,
                prepaid_units=options["seats"],
                service_plans=[_plan(p) for p in options["service_plan"]],
            )
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        verb = "Added" if created else "Updated"
        self.stdout.write(f"{verb} {sku.sku_part_number} ({sku.sku_id}): {sku.prepaid_units} seats.")
