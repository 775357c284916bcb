from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.models import Tenant
from portal.services import ImportError_, users_import


class Command(BaseCommand):
    help = (
        "Create or update users from a CSV file whose columns are named like Graph's properties "
        "(userPrincipalName, displayName, department, ..., otherMails and proxyAddresses separated by ';', "
        "manager as a UPN). All rows or none: a bad row is reported with its line number."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True)
        parser.add_argument("file", type=Path)

    def handle(self, *args, tenant: str, file: Path, **options) -> None:
        try:
            tenant_obj = Tenant.objects.get(slug=tenant)
        except Tenant.DoesNotExist:
            raise CommandError(f"No tenant with the slug {tenant!r}.") from None
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Can't read {file}: {exc}") from None
        try:
            report = users_import(tenant=tenant_obj, text=text)
        except ImportError_ as exc:
            for line, message in exc.errors:
                self.stderr.write(f"{file}:{line}: {message}")
            raise CommandError(f"Nothing imported: {len(exc.errors)} problem(s) in {file}.") from None
        self.stdout.write(
            f"Imported {file}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged."
        )
