"""The group pages, one module per tab of ``/groups/<uuid>/``.

common.py     the scoped getter and the tab frame every tab renders into
listing.py    /groups/: the admin list of groups
create.py     /groups/new/ and /my/groups/new/
members.py    members and owners tabs
settings.py   the settings tab (rename, description, classification, join policy, delete/restore)
rule.py       the dynamic membership rule tab
tenant_settings.py  /settings/groups/: the tenant-wide group settings
The overview tab (with its join box) and the requests tab live with the join requests app, which
imports groups (never the other way round).
"""
