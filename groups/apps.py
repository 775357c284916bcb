from __future__ import annotations

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class GroupsConfig(AppConfig):
    name = "groups"

    def ready(self) -> None:
        # Not at the top: groups.dynamic imports the models, which may only load once the app registry is ready.
        from groups.dynamic.db import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="groupdesk-rule-functions")
