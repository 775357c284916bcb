"""The audit table's privileges (issue 10, item 12): the application's role may read and append audit rows,
never change, delete or truncate them; migrations run as the owning role."""

from __future__ import annotations

import secrets
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from portal.settings import database_url

AUDIT_INSERT = (
    "INSERT INTO portal_auditevent (tenant_id, activity_date_time, activity, category, result, actor_id,"
    " actor_type, actor_name, target_id, target_type, target_name, reason, request_id)"
    " VALUES (gen_random_uuid(), now(), 'Probe', 'GroupManagement', 'success', '', '', '', '', '', '', '', '')"
)


@pytest.fixture
def app_role(transactional_db):
    """A throwaway login role (cluster-wide, so dropped again whatever happens) and a way to connect as it."""
    name = f"gd_test_app_{secrets.token_hex(4)}"
    password = secrets.token_hex(16)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
    settings_dict = connection.settings_dict

    def connect() -> psycopg.Connection:
        return psycopg.connect(
            dbname=settings_dict["NAME"],
            host=settings_dict["HOST"] or None,
            port=settings_dict["PORT"] or None,
            user=name,
            password=password,
            autocommit=True,
        )

    try:
        yield name, connect
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {name}")
            cursor.execute(f"DROP ROLE {name}")


@pytest.mark.postgres
def test_it_lets_the_app_role_only_read_and_append_audit_rows(app_role):
    role, connect = app_role
    out = StringIO()
    call_command("grant_app_role", "--role", role, stdout=out)
    assert "SELECT, INSERT on portal_auditevent" in out.getvalue()

    with connect() as app:
        app.execute(AUDIT_INSERT)
        assert app.execute("SELECT count(*) FROM portal_auditevent").fetchone()[0] == 1
        for refused in (
            "UPDATE portal_auditevent SET reason = 'rewritten'",
            "DELETE FROM portal_auditevent",
            "TRUNCATE portal_auditevent",
            "DROP TRIGGER portal_auditevent_append_only ON portal_auditevent",
            "ALTER TABLE portal_auditevent DISABLE TRIGGER ALL",
            "CREATE TABLE portal_sneaky (id int)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(refused)
        # Everywhere else the usual rights.
        app.execute(
            "INSERT INTO django_session (session_key, session_data, expire_date) VALUES ('probe', 'x', now())"
        )
        app.execute("UPDATE django_session SET session_data = 'y' WHERE session_key = 'probe'")
        app.execute("DELETE FROM django_session WHERE session_key = 'probe'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("TRUNCATE django_session")


@pytest.mark.postgres
def test_it_takes_back_rights_granted_by_hand_on_a_second_run(app_role):
    role, connect = app_role
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT ALL ON portal_auditevent TO {role}")
    call_command("grant_app_role", "--role", role, stdout=StringIO())
    call_command("grant_app_role", "--role", role, stdout=StringIO())  # idempotent

    with connect() as app, pytest.raises(psycopg.errors.InsufficientPrivilege):
        app.execute("TRUNCATE portal_auditevent")


@pytest.mark.postgres
def test_it_refuses_to_grant_to_the_role_that_owns_the_tables(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'portal_auditevent'")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="superuser|owns the tables"):
        call_command("grant_app_role", "--role", owner, stdout=StringIO())


def test_it_says_it_is_for_postgresql_on_sqlite(db):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite answer")
    out = StringIO()
    call_command("grant_app_role", "--role", "groupdesk_app", stdout=out)
    assert "grant_app_role is for PostgreSQL" in out.getvalue() and "Nothing to do" in out.getvalue()


def test_it_migrates_and_grants_as_the_owner_and_runs_everything_else_as_the_app_role():
    env = {
        "DATABASE_URL": "postgres://groupdesk_app@db/groupdesk",
        "MIGRATION_DATABASE_URL": "postgres://groupdesk_owner@db/groupdesk",
    }
    assert database_url(["manage.py", "migrate"], env) == env["MIGRATION_DATABASE_URL"]
    assert database_url(["manage.py", "grant_app_role", "--role", "groupdesk_app"], env).endswith(
        "owner@db/groupdesk"
    )
    for argv in (
        ["manage.py", "runserver"],
        ["manage.py", "seed_demo"],
        ["gunicorn", "portal.wsgi"],
        ["manage.py"],
    ):
        assert database_url(argv, env) == env["DATABASE_URL"], argv
    # Without an owner URL (a laptop, SQLite) everything uses DATABASE_URL, migrate too.
    assert (
        database_url(["manage.py", "migrate"], {"DATABASE_URL": env["DATABASE_URL"]}) == env["DATABASE_URL"]
    )
