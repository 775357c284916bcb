from __future__ import annotations

from django.apps import AppConfig


class SiteConfig(AppConfig):
    """Installed so its management commands (seed_demo, run_periodic) are found; it has no models.
    ``ready`` lets SCIM write the provisioning attributes of users."""

    name = "portal.site"
    label = "site"
    verbose_name = "Groupdesk site"

    def ready(self) -> None:
        # SCIM writes the provisioning attributes (portal.site.scim.users) and may rename a user.
        from portal.services import users  # noqa: PLC0415

        provisioning = ["external_id", "division", "cost_center"]
        users.USER_CREATE_FIELDS.extend(f for f in provisioning if f not in users.USER_CREATE_FIELDS)
        for name in [*provisioning, "user_principal_name"]:
            if name not in users.USER_UPDATE_FIELDS:
                users.USER_UPDATE_FIELDS.append(name)
