from django.apps import AppConfig


class AccessRequestsConfig(AppConfig):
    name = "access_requests"
    verbose_name = "Access requests"

    def ready(self) -> None:
        # Not at the top: these modules import models, which aren't loaded yet when Django imports
        # this AppConfig.
        from access_requests import authz, consistency, selectors
        from access_requests.invitations import lifecycle
        from access_requests.invitations.checks import guest_invitations_check
        from access_requests.invitations.services import GUEST_INVITE_FIELDS
        from access_requests.services import LeaverRequests
        from groups.services.membership import register_reaction
        from portal.consistency import register_checker
        from portal.services.users import USER_CREATE_FIELDS, register_leaver_handler

        authz.register()
        selectors.register()
        consistency.register()
        register_leaver_handler(LeaverRequests)
        register_reaction(lifecycle.on_membership_written)
        register_checker("guests", guest_invitations_check)
        USER_CREATE_FIELDS.extend(f for f in GUEST_INVITE_FIELDS if f not in USER_CREATE_FIELDS)
