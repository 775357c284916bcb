import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()
# What the process loaded to serve (modules, models, URLs, settings) lives as long as it does: keep it out
# of the cyclic collector's scans. A full collection otherwise walks all of it, every few hundred requests
# of a list page (50-70 ms a time at a page of 100 users: most of such a page's p95), and copy-on-write
# pages of a forked worker stay shared.
gc.freeze()
