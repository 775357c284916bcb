from __future__ import annotations

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class GroupsConfig(AppConfig):
    name = "groups"

    def ready(self) -> None:
        from groups.rules.db import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="groupdesk-rule-functions")
        # Imported here, not at the top: it imports models, which aren't loaded yet when Django
        # imports this AppConfig.
        from groups import authz, selectors
        from groups.services import roles

        authz.register()
        selectors.register()
        roles.register()
