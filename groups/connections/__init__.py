"""External connections (seed 001): a tenant's connections, their external groups and members, items with
access control lists, and who reaches which item.

- ``models``: the rows (connection, external group, its members, item, ACL entry).
- ``access``: the access rule on plain data (deny wins, nesting at any depth, cycles): no Django, so the
  property test compares it with a plain reference search without a database.
- ``validation``: Graph's ids and ACL entries, checked before anything is written.
- ``services``: every change (authorize → write → audit, one transaction).
- ``selectors``: tenant-scoped reads, the loaders that feed ``access``, search with security trimming.
- ``authz``: the connection rules of the one authorization function (a tenant permission: Search
  Administrator's).
- ``picture``: the nesting of a connection's external groups as an SVG drawn on the server.
"""
