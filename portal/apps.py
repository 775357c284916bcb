from __future__ import annotations

from django.apps import AppConfig
from django.db.backends.signals import connection_created

from portal import lookups


def _sqlite_pragmas(sender, connection, **kwargs) -> None:
    """WAL lets readers and one writer work at once; foreign keys are on by Django already."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL;")
            cursor.execute("PRAGMA synchronous=NORMAL;")


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Groupdesk portal"

    def ready(self) -> None:
        connection_created.connect(_sqlite_pragmas, dispatch_uid="groupdesk-sqlite-pragmas")
        lookups.register()
