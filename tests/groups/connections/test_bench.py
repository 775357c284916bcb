"""The benchmark command runs and agrees with its SQL baseline on a small tenant (not its timings)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_benchmark_compares_the_access_rule_with_its_sql_baseline():
    out = io.StringIO()
    call_command("bench_connections", users=40, items=25, samples=2, stdout=out)
    text = out.getvalue()
    assert "15 visible" in text  # 3 of every 5 ACL shapes reach the user; the two answers agreed
    assert "hand-written SQL (recursive CTE)" in text and "ratio" in text
