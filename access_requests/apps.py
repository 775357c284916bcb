from django.apps import AppConfig


class AccessRequestsConfig(AppConfig):
    name = "access_requests"
    verbose_name = "Access requests"

    def ready(self) -> None:
        # Not at the top: these modules import models, which aren't loaded yet when Django imports
        # this AppConfig.
        from access_requests import authz, consistency, selectors
        from access_requests.services import LeaverRequests
        from portal.services.users import register_leaver_handler

        authz.register()
        selectors.register()
        consistency.register()
        register_leaver_handler(LeaverRequests)
