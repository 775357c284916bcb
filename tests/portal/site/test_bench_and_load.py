"""manage.py bench (smoke, small) and the load test (30 s of locust against gunicorn + PostgreSQL)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from portal.services import SYSTEM
from portal.site.bench.command_support import this_database_url
from portal.site.bench.pages import PAGES
from portal.site.bench.throughput import CASES
from portal.site.load.run import run_load
from portal.tokens import api_token_create

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
    assert transitive["floor"]["ids"] == transitive["members_of_g"] > 0
    levels = transitive["by_level"]  # the chain, bottom to top: members only grow going up
    assert [row["level"] for row in levels] == list(range(1, 9))
    assert levels[-1]["ids"] == transitive["members_of_g"]
    assert [row["ids"] for row in levels] == sorted(row["ids"] for row in levels)
    assert transitive["floor"]["p95"] >= transitive["floor"]["p50"] > 0
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
    assert [row["path"] for row in rows] == [path for path, _, _ in CASES]
    assert all(set(row["statuses"]) == {"200"} and row["rps"] > 0 for row in rows), rows  # keys via JSON
    by_path = {row["path"]: row for row in rows}
    assert by_path["/my/groups/"]["baseline"] == "/bench/signed-in"
    assert by_path["/v1.0/groups?$top=100"]["baseline"] == "/v1.0/bench/signed-in"
    assert all(row["vs_healthz"] > 0 for row in rows)


def test_the_signed_in_baselines_answer_only_under_the_bench_urlconf(client, member, settings):
    api = api_token_create(tenant=member.tenant, actor=SYSTEM, user=member)[1]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {api}"}
    client.force_login(member)
    for path in ("/bench/signed-in", "/bench/page"):
        assert client.get(path).status_code == 404  # not product surface
    assert client.get("/v1.0/bench/signed-in", **bearer).status_code == 400  # Graph: no such segment
    settings.ROOT_URLCONF = "portal.site.bench.urls"
    assert client.get("/bench/signed-in").content == b"ok"
    page = client.get("/bench/page")
    assert page.status_code == 200 and b'aria-label="Main"' in page.content  # the site's navigation
    assert client.get("/v1.0/bench/signed-in", **bearer).json() == {"value": []}
    assert client.get("/my/groups/").status_code == 200  # the product's pages, unchanged
    client.logout()
    assert client.get("/bench/signed-in").status_code == 302  # to the sign-in page, as any page
    assert client.get("/v1.0/bench/signed-in").status_code == 401


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_thirty_seconds_of_mixed_traffic_lose_nothing():
    call_command("seed_demo", users=300, groups=60, stdout=io.StringIO())
    report = run_load(this_database_url(), seconds=30, users=10)
    assert report.problems == []
    assert report.requests > 30 and report.failures == 0, report.table
    assert report.writes["add"] > 0
