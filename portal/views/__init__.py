"""Portal pages, one module per area.

basic.py     home, healthz
settings.py  /settings/groups/ (tenant-wide group settings)
users.py     /users/ and the user pages
audit.py     /audit/
roles.py     /roles/
directory.py /licenses/, /connections/ (placeholders until their features land)
"""
