from __future__ import annotations

import os

import pytest
from django.core.management.commands import flush
from django.db import connections

from portal.audit_guard import statements
from tests import factories

# Playwright's sync API runs an event loop in the test thread; the ORM calls made beside it are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

_original_flush = flush.Command.handle


def _flush_lifting_audit_guard(self, **options):
    """Test teardown only: SQLite's flush deletes row by row, which the audit triggers refuse.

    The guard is dropped for the flush and put back at once. Only the test suite patches this in; the
    application has no path that lifts the guard. (PostgreSQL flushes with TRUNCATE, which the
    row-level triggers don't see.)
    """
    connection = connections[options.get("database", "default")]
    if connection.vendor != "sqlite":
        return _original_flush(self, **options)
    with connection.cursor() as cursor:
        for sql in statements("sqlite", install=False):
            cursor.execute(sql)
    try:
        return _original_flush(self, **options)
    finally:
        with connection.cursor() as cursor:
            for sql in statements("sqlite", install=True):
                cursor.execute(sql)


flush.Command.handle = _flush_lifting_audit_guard


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    on_postgres = connections["default"].vendor == "postgresql"
    # CI sets GROUPDESK_REQUIRE_BROWSER=1 (and installs Chromium): there a missing browser is a failure.
    no_browser = not os.path.exists(CHROMIUM) and os.environ.get("GROUPDESK_REQUIRE_BROWSER") != "1"
    # Long runs (fuzzing, large data) only when asked for: `pytest -m slow`.
    run_slow = "slow" in (config.getoption("markexpr") or "")
    for item in items:
        if "slow" in item.keywords and not run_slow:
            item.add_marker(pytest.mark.skip(reason="a long run: pytest -m slow"))
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL (select_for_update is a no-op on SQLite)")
            )
        if "browser" in item.keywords and no_browser:
            item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def tenant(db):
    return factories.TenantFactory()


@pytest.fixture
def other_tenant(db):
    return factories.TenantFactory()


@pytest.fixture
def member(tenant):
    return factories.UserFactory(tenant=tenant)


@pytest.fixture
def admin_user(tenant):
    return factories.UserFactory(tenant=tenant, role="globalAdministrator")


@pytest.fixture
def groups_admin(tenant):
    return factories.UserFactory(tenant=tenant, role="groupsAdministrator")


@pytest.fixture(autouse=True)
def _discard_pending_refusals():
    """A refused attempt recorded inside a test's transaction and not yet written must not be written
    into the next test (portal.refusals defers the write until its atomic block has ended)."""
    yield
    from portal.refusals import discard_pending_refusals

    discard_pending_refusals()
