"""manage.py bench (smoke, small) and the load test (30 s of locust against gunicorn + PostgreSQL)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from portal.site.bench.command_support import this_database_url
from portal.site.bench.pages import PAGES
from portal.site.load.run import run_load

POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="gunicorn's workers and the test share one database: run with DATABASE_URL=postgres://...",
)


@pytest.fixture
def small_tenant(db):
    call_command("seed_demo", users=120, groups=40, stdout=io.StringIO())


def test_bench_reports_every_page_and_the_transitive_cases(small_tenant):
    out = io.StringIO()
    call_command("bench", parts="pages,transitive", rounds=2, json=True, stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    rows = figures["pages"]["rows"]
    assert [row["page"] for row in rows] == [page.name for page in PAGES]
    assert {row["status"] for row in rows} == {200}, rows
    assert all(row["queries"] > 0 and row["p95"] >= row["p50"] > 0 for row in rows)
    transitive = figures["transitive"]
    assert transitive["depth"] == 8
    assert [case["case"] for case in transitive["cases"]][0] == "is U in G"
    text = io.StringIO()
    call_command("bench", parts="pages", rounds=1, stdout=text)
    assert "/my/groups/ (heavy member)" in text.getvalue()
    only = io.StringIO()
    call_command("bench", parts="pages", rounds=1, pages="discover,/users/", json=True, stdout=only)
    rows = json.loads(only.getvalue().strip().splitlines()[-1])["pages"]["rows"]
    assert [row["page"] for row in rows] == ["/my/groups/discover/", "/users/"]
    with pytest.raises(CommandError, match="No page matches"):
        call_command("bench", parts="pages", rounds=1, pages="nothing like it", stdout=io.StringIO())


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_throughput_is_measured_under_gunicorn():
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("bench", parts="throughput", seconds=1, json=True, stdout=out)
    rows = json.loads(out.getvalue().strip().splitlines()[-1])["throughput"]["rows"]
    assert [row["path"] for row in rows] == ["/healthz", "/my/groups/", "/v1.0/groups?$top=100"]
    assert all(set(row["statuses"]) == {"200"} and row["rps"] > 0 for row in rows), rows  # keys via JSON


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_thirty_seconds_of_mixed_traffic_lose_nothing():
    call_command("seed_demo", users=300, groups=60, stdout=io.StringIO())
    report = run_load(this_database_url(), seconds=30, users=10)
    assert report.problems == []
    assert report.requests > 30 and report.failures == 0, report.table
    assert report.writes["add"] > 0
