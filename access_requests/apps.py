from django.apps import AppConfig


class AccessRequestsConfig(AppConfig):
    name = "access_requests"
    verbose_name = "Access requests"

    def ready(self) -> None:
        # Imported here, not at the top: these modules import models, which aren't loaded yet when
        # Django imports this AppConfig.
        from access_requests import authz, selectors

        authz.register()
        selectors.register()
