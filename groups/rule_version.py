"""The database triggers that stamp a tenant's set of active dynamic rules (groups.models.RuleVersion).

Installed by a migration. Any write to ``groups_group`` that can change which rules are active or what
they say (a dynamic group inserted or deleted; an UPDATE changing the membership type, the rule, its
processing state, the name, the deletion date being set or cleared, or a move into or out of the
failsafe's hold) gives the tenant a fresh random token, in the same transaction: whatever service,
process or worker made the change, and whether or not it remembered to. Every other UPDATE of a group
(progress, counters, settings) passes the WHEN clause and costs nothing more. On PostgreSQL, inserts and
deletes are stamped once per statement (a benchmark's 15,000 groups in one bulk insert: one stamp).
"""

from __future__ import annotations

from django.db import connections

_CHANGED = """
    (OLD.membership_type = 'dynamic' OR NEW.membership_type = 'dynamic') AND (
        OLD.membership_type IS DISTINCT FROM NEW.membership_type
        OR OLD.membership_rule IS DISTINCT FROM NEW.membership_rule
        OR OLD.membership_rule_processing_state IS DISTINCT FROM NEW.membership_rule_processing_state
        OR OLD.display_name IS DISTINCT FROM NEW.display_name
        OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id
        OR (OLD.deleted_date_time IS NULL) <> (NEW.deleted_date_time IS NULL)
        OR (OLD.processing_status = 'Held') <> (NEW.processing_status = 'Held')
    )"""

_SQLITE_STAMP = """INSERT INTO groups_ruleversion (tenant_id, token) VALUES ({tenant}, lower(hex(randomblob(16))))
    ON CONFLICT (tenant_id) DO UPDATE SET token = excluded.token;"""

SQLITE_INSTALL = [
    f"""CREATE TRIGGER groups_rule_version_insert AFTER INSERT ON groups_group
        WHEN NEW.membership_type = 'dynamic'
        BEGIN {_SQLITE_STAMP.format(tenant="NEW.tenant_id")} END""",
    f"""CREATE TRIGGER groups_rule_version_delete AFTER DELETE ON groups_group
        WHEN OLD.membership_type = 'dynamic'
        BEGIN {_SQLITE_STAMP.format(tenant="OLD.tenant_id")} END""",
    f"""CREATE TRIGGER groups_rule_version_update AFTER UPDATE ON groups_group
        WHEN {_CHANGED.replace("IS DISTINCT FROM", "IS NOT")}
        BEGIN {_SQLITE_STAMP.format(tenant="OLD.tenant_id")} {_SQLITE_STAMP.format(tenant="NEW.tenant_id")} END""",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS groups_rule_version_insert",
    "DROP TRIGGER IF EXISTS groups_rule_version_delete",
    "DROP TRIGGER IF EXISTS groups_rule_version_update",
]

POSTGRES_INSTALL = [
    """CREATE OR REPLACE FUNCTION groups_rule_version_stamp_rows() RETURNS trigger AS $$
       BEGIN
         INSERT INTO groups_ruleversion (tenant_id, token)
           SELECT t.tenant_id, gen_random_uuid()::text
           FROM (SELECT DISTINCT tenant_id FROM changed_rows WHERE membership_type = 'dynamic') t
           ON CONFLICT (tenant_id) DO UPDATE SET token = EXCLUDED.token;
         RETURN NULL;
       END; $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION groups_rule_version_stamp_update() RETURNS trigger AS $$
       BEGIN
         INSERT INTO groups_ruleversion (tenant_id, token)
           SELECT t.tenant_id, gen_random_uuid()::text
           FROM (SELECT DISTINCT u AS tenant_id FROM unnest(ARRAY[OLD.tenant_id, NEW.tenant_id]) u) t
           ON CONFLICT (tenant_id) DO UPDATE SET token = EXCLUDED.token;
         RETURN NULL;
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER groups_rule_version_insert AFTER INSERT ON groups_group
       REFERENCING NEW TABLE AS changed_rows
       FOR EACH STATEMENT EXECUTE FUNCTION groups_rule_version_stamp_rows()""",
    """CREATE TRIGGER groups_rule_version_delete AFTER DELETE ON groups_group
       REFERENCING OLD TABLE AS changed_rows
       FOR EACH STATEMENT EXECUTE FUNCTION groups_rule_version_stamp_rows()""",
    f"""CREATE TRIGGER groups_rule_version_update AFTER UPDATE ON groups_group
       FOR EACH ROW WHEN ({_CHANGED})
       EXECUTE FUNCTION groups_rule_version_stamp_update()""",
]
POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS groups_rule_version_insert ON groups_group",
    "DROP TRIGGER IF EXISTS groups_rule_version_delete ON groups_group",
    "DROP TRIGGER IF EXISTS groups_rule_version_update ON groups_group",
    "DROP FUNCTION IF EXISTS groups_rule_version_stamp_rows()",
    "DROP FUNCTION IF EXISTS groups_rule_version_stamp_update()",
]


def statements(vendor: str, *, install: bool) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    if vendor == "postgresql":
        return POSTGRES_INSTALL if install else POSTGRES_REMOVE
    raise NotImplementedError(f"no rule version triggers for {vendor}")


def reinstall_after_migrate(*, using: str = "default", **kwargs) -> None:
    """``post_migrate``: put the SQLite triggers back. SQLite can't alter most columns in place, so Django
    rebuilds ``groups_group`` (a new table, the rows copied, the old one dropped) for many later
    migrations, and the triggers go with the old table. Idempotent; PostgreSQL keeps them by itself."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    if "groups_group" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        for sql in [*SQLITE_REMOVE, *SQLITE_INSTALL]:
            cursor.execute(sql)
