from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from groups.models import Group, Membership
from portal.models import User

pytestmark = pytest.mark.django_db


def test_it_builds_a_small_tenant_and_reports_p1_and_p2():
    out = io.StringIO()
    call_command("bench_rules", users=300, groups=16, samples=5, rounds=1, stdout=out)
    text = out.getvalue()
    assert "P1 one user's attribute change" in text and "p95" in text
    assert "P2 full recompute of one group" in text and "ratio" in text
    assert "baseline, every rule evaluated for the same user in the same run" in text
    assert (
        "SQL statements and the commit" in text
        and "floor, the same change without" in text
        and "load average" in text
    )
    assert ("WAL per change" in text) == (connection.vendor == "postgresql")
    assert User.objects.filter(tenant__slug="bench").count() == 300
    assert Group.objects.filter(tenant__slug="bench", membership_type="dynamic").count() == 17
    p2 = Group.objects.get(tenant__slug="bench", mail_nickname="bench-p2")
    assert Membership.objects.filter(group=p2).exists()
