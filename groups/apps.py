from __future__ import annotations

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class GroupsConfig(AppConfig):
    name = "groups"

    def ready(self) -> None:
        # Not at the top: these modules import the models, which load only once the app registry is ready.
        from groups import authz, consistency, selectors
        from groups.dynamic import on_membership_written, reevaluate
        from groups.dynamic.db import register_sqlite_functions
        from groups.services import leavers, roles
        from groups.services.membership import register_reaction
        from portal.services.users import register_attribute_reaction, register_leaver_handler

        connection_created.connect(register_sqlite_functions, dispatch_uid="groupdesk-rule-functions")
        register_reaction(on_membership_written)
        register_attribute_reaction(reevaluate)
        register_leaver_handler(leavers)
        authz.register()
        selectors.register()
        consistency.register()
        roles.register()
