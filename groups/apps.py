from __future__ import annotations

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

from groups.rule_version import reinstall_after_migrate


class GroupsConfig(AppConfig):
    name = "groups"

    def ready(self) -> None:
        # Not at the top: these modules import the models, which load only once the app registry is ready.
        from groups import authz, consistency, selectors
        from groups.connections import authz as connection_authz
        from groups.connections import selectors as connection_selectors
        from groups.dynamic import on_membership_written, reevaluate
        from groups.dynamic.db import register_sqlite_functions
        from groups.licensing.checker import check_licenses
        from groups.licensing.selectors import user_license_rows
        from groups.licensing.services import licenses_after_user_change
        from groups.services import leavers, roles
        from groups.services.membership import register_reaction
        from portal.consistency import register_checker
        from portal.selectors import register_user_section
        from portal.services.users import register_attribute_reaction, register_leaver_handler

        connection_created.connect(register_sqlite_functions, dispatch_uid="groupdesk-rule-functions")
        post_migrate.connect(reinstall_after_migrate, sender=self, dispatch_uid="groupdesk-rule-triggers")
        register_reaction(on_membership_written)
        register_attribute_reaction(reevaluate)
        register_attribute_reaction(licenses_after_user_change)
        register_leaver_handler(leavers)
        register_checker("licenses", check_licenses)
        register_user_section("licenses", user_license_rows)
        authz.register()
        selectors.register()
        consistency.register()
        roles.register()
        connection_authz.register()
        connection_selectors.register()
