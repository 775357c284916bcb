from __future__ import annotations

from django.apps import AppConfig


class SiteConfig(AppConfig):
    """Installed so its management commands (seed_demo, run_periodic) are found; it has no models."""

    name = "portal.site"
    label = "site"
    verbose_name = "Groupdesk site"
