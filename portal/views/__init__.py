"""Portal pages, one module per area.

basic.py     home, healthz
settings.py  /settings/groups/ (tenant-wide group settings)
users.py     /users/ and the user pages
audit.py     /audit/

/roles/ and /devices/ read groups too: they are in portal/site/views/. /connections/ is
groups/connections/views.py.
"""
