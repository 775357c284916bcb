from django.apps import AppConfig


class AccessRequestsConfig(AppConfig):
    name = "access_requests"
    verbose_name = "Access requests"

    def ready(self) -> None:
        # Models are loaded only now: these modules import them.
        from access_requests.services import LeaverRequests
        from portal.services.users import register_leaver_handler

        register_leaver_handler(LeaverRequests)
