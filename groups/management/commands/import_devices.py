from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.devices import devices_import
from portal.models import Tenant
from portal.services import ImportError_


class Command(BaseCommand):
    help = (
        "Create or update devices from a CSV file whose columns are the rule language's device properties "
        "(displayName, deviceId, deviceOSType, deviceOSVersion, deviceOwnership, isRooted, ..., devicePhysicalIds "
        "and systemLabels separated by ';'). All rows or none; problems reported by line. Dynamic device groups "
        "are updated in the same transaction."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True)
        parser.add_argument("file", type=Path)

    def handle(self, *args, tenant: str, file: Path, **options) -> None:
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise CommandError(f"No tenant with the slug {tenant!r}.")
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Can't read {file}: {exc}") from None
        try:
            report = devices_import(tenant=tenant_obj, text=text)
        except ImportError_ as exc:
            for line, message in exc.errors:
                self.stderr.write(f"{file}:{line}: {message}")
            raise CommandError(f"Nothing imported: {len(exc.errors)} problem(s) in {file}.") from None
        self.stdout.write(
            f"Imported {file}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged."
        )
