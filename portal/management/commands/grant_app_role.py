"""``manage.py grant_app_role --role ROLE``: the application's PostgreSQL role gets exactly its rights.

Run as the role that owns the tables (``MIGRATION_DATABASE_URL``, README "Production"), after every
``migrate``; it is idempotent. On every table of the schema: SELECT, INSERT, UPDATE, DELETE; on the audit
table only SELECT and INSERT, so the database itself refuses UPDATE, DELETE and TRUNCATE of audit rows (and
the application's role, owning nothing, can't drop the append-only trigger). USAGE on the sequences;
the same rights, by default privileges, on tables the owner creates later.
"""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from portal.models import AuditEvent

ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
TABLE_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
AUDIT_RIGHTS = "SELECT, INSERT"


def grant_statements(*, role: str, owner: str, schema: str, audit_table: str) -> list[str]:
    """The statements, names already quoted. Revoke first so a re-run also takes back stray rights."""
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        f"GRANT {TABLE_RIGHTS} ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"REVOKE ALL ON {schema}.{audit_table} FROM {role}, PUBLIC",
        f"GRANT {AUDIT_RIGHTS} ON {schema}.{audit_table} TO {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT {TABLE_RIGHTS} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT USAGE ON SEQUENCES TO {role}",
    ]


class Command(BaseCommand):
    help = (
        "PostgreSQL: give the application's database role its rights (all tables: SELECT, INSERT, UPDATE, "
        "DELETE; the audit table: SELECT, INSERT only). Run as the tables' owner, after every migrate."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--role", required=True, help="the role DATABASE_URL connects as")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, role: str, database: str, **options) -> None:
        connection = connections[database]
        if connection.vendor != "postgresql":
            self.stdout.write(
                f"grant_app_role is for PostgreSQL; this database is {connection.vendor}, which has no roles. "
                "Nothing to do."
            )
            return
        if not ROLE_NAME.fullmatch(role):
            raise CommandError(f"{role!r} is not a plain role name (letters, digits and _).")
        audit_table = AuditEvent._meta.db_table
        with transaction.atomic(using=database), connection.cursor() as cursor:
            schema, owner = self._check(cursor, role, audit_table)
            quote = connection.ops.quote_name
            for statement in grant_statements(
                role=quote(role), owner=quote(owner), schema=quote(schema), audit_table=quote(audit_table)
            ):
                cursor.execute(statement)
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", [schema])
            tables = cursor.fetchone()[0]
        self.stdout.write(
            f"{role}: {TABLE_RIGHTS} on {tables - 1} tables of schema {schema}, {AUDIT_RIGHTS} on "
            f"{audit_table}, USAGE on its sequences; the same on tables {owner} creates later."
        )

    def _check(self, cursor, role: str, audit_table: str) -> tuple[str, str]:
        """(schema, owner of the tables); refuses a role for which grants would mean nothing."""
        cursor.execute(
            "SELECT current_schema(), tableowner FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename = %s",
            [audit_table],
        )
        row = cursor.fetchone()
        if row is None:
            raise CommandError(f"No table {audit_table} in this schema: run `manage.py migrate` first.")
        schema, owner = row
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        found = cursor.fetchone()
        if found is None:
            raise CommandError(
                f"No role {role}: create it first, e.g. CREATE ROLE {role} LOGIN PASSWORD '...'; "
                "(without CREATEDB, CREATEROLE or SUPERUSER)."
            )
        if found[0]:
            raise CommandError(f"{role} is a superuser: privileges don't bind it. Use an ordinary role.")
        if role == owner:
            raise CommandError(
                f"{role} owns the tables: an owner can truncate the audit table and drop its trigger. "
                "Migrate as another role (MIGRATION_DATABASE_URL) and give this one only its rights."
            )
        cursor.execute("SELECT pg_has_role(%s, %s, 'USAGE')", [role, owner])
        if cursor.fetchone()[0]:
            raise CommandError(f"{role} is a member of {owner}, the tables' owner, and has all its rights.")
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND pg_get_userbyid(c.relowner) = %s",
            [schema, role],
        )
        if cursor.fetchone()[0]:
            raise CommandError(
                f"{role} owns tables in schema {schema}. As a superuser: REASSIGN OWNED BY {role} TO {owner};"
            )
        return schema, owner
