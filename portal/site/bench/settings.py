"""The settings of the throughput bench's gunicorn: the product's, with the bench's URLconf."""

from __future__ import annotations

from portal.settings import *  # noqa: F403 - every setting, unchanged but one

ROOT_URLCONF = "portal.site.bench.urls"
