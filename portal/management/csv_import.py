"""The shared body of the CSV import commands (import_users, import_devices)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.models import Tenant
from portal.services import ImportError_


class CsvImportCommand(BaseCommand):
    """``<command> --tenant <slug> FILE.csv``: all rows or none, problems reported as FILE:LINE: message."""

    # importer(tenant=..., text=...) validates and imports the whole file, raising ImportError_ with
    # every bad line, and returns a report with created/updated/unchanged counts.
    importer: Callable[..., Any]

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
            report = self.importer(tenant=tenant_obj, text=text)
        except ImportError_ as exc:
            for line, message in exc.errors:
                self.stderr.write(f"{file}:{line}: {message}")
            raise CommandError(f"Nothing imported: {len(exc.errors)} problem(s) in {file}.") from None
        self.stdout.write(
            f"Imported {file}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged."
        )
